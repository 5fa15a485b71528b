"""The code store: function code and layers unpacked on the host, per simulated account, bounded.

A fork server has one store root, ``<tmp>/labs-runtime-store-<pid>-<random>``, bound read-only into the
sandbox at ``/var/functions``; each environment sees only its own function's directory. Inside the root,
each ``Cloud`` (one simulated account, one grading) has a directory of its own (``AccountCode``), removed
when the account closes or resets; the root goes when its fork server closes. A process killed with SIGKILL
cleans nothing, so ``sweep_abandoned`` (run whenever a fork server starts, and at worker start) removes the
roots whose owner process is gone, recognised by the pid and process start time written in the root.

Limits, checked before anything is written (from the zip's directory) and again while unpacking (counting
the bytes actually written):

- Per function, AWS's own: 250 MB unzipped, function and layers together (262,144,000 bytes; "Deployment
  package (.zip file archive) size", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
- Per account, ours: ``ACCOUNT_CODE_LIMIT`` (50 MB unpacked by default), far below AWS's 75 GB "code storage"
  quota (same page), because a grading worker's disk is shared by every student. A lab's functions are a few
  KB of Python (boto3 comes with the runtime), so 50 MB leaves room for vendored packages while a grading
  can no longer fill a worker's disk. Functions that a handler creates count toward the same limit.
- The compression ratio: an archive, or an entry, that unpacks to more than 1 MiB may not unpack to more
  than ``MAX_COMPRESSION_RATIO`` (100) times its compressed size. Source code and JSON compress 3-20 times;
  a zip bomb of zeros 1,000 times.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from labs.runtime.core.errors import InvalidCodeError

__all__ = [
    "ACCOUNT_CODE_LIMIT",
    "FUNCTION_UNZIPPED_LIMIT",
    "MAX_COMPRESSION_RATIO",
    "AccountCode",
    "CodeTooLargeError",
    "StoreRoot",
    "sweep_abandoned",
    "unzipped_size",
]

FUNCTION_UNZIPPED_LIMIT = 262_144_000  # AWS: 250 MB, function code and layers unzipped
ACCOUNT_CODE_LIMIT = 50 * 1024 * 1024  # ours, per simulated account (one grading)
MAX_COMPRESSION_RATIO = 100
RATIO_EXEMPT_BYTES = 1024 * 1024  # small files may compress as well as they like
ABANDONED_AGE_S = 24 * 3600  # a root without an owner record (its process died creating it) after this
_PREFIX = "labs-runtime-store-"
_OWNER_FILE = ".owner"
_CHUNK = 1 << 16
_MB = 1024 * 1024
_account_numbers = itertools.count(1)


class CodeTooLargeError(InvalidCodeError):
    """The account's code would unpack past its limit: carries ``unpacked_bytes`` and ``limit_bytes``."""

    def __init__(self, unpacked_bytes: int, limit_bytes: int) -> None:
        self.unpacked_bytes, self.limit_bytes = unpacked_bytes, limit_bytes
        super().__init__(
            f"your functions' code would unpack to {_megabytes(unpacked_bytes)} MB; "
            f"the limit is {_megabytes(limit_bytes)} MB"
        )


def _megabytes(size: int) -> str:
    return f"{size / _MB:.1f}".removesuffix(".0")


def _too_compressed(unpacked: int, packed: int) -> bool:
    return unpacked > RATIO_EXEMPT_BYTES and unpacked > MAX_COMPRESSION_RATIO * max(packed, 1)


def unzipped_size(archive: bytes) -> int:
    """The bytes ``archive`` unpacks to, from its directory; raises ``InvalidCodeError`` for an archive that
    is not a zip, an entry that escapes the code directory, a zip bomb, or more than Lambda's 250 MB."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            infos = zipped.infolist()
    except zipfile.BadZipFile as error:
        raise InvalidCodeError(f"code is not a valid zip archive: {error}") from None
    for info in infos:
        path = Path(info.filename)
        if path.is_absolute() or ".." in path.parts:
            raise InvalidCodeError(f"zip entry {info.filename!r} escapes the code directory")
        if _too_compressed(info.file_size, info.compress_size):
            raise InvalidCodeError(
                f"zip entry {info.filename!r} unpacks to {info.file_size} bytes from {info.compress_size}: "
                f"more than {MAX_COMPRESSION_RATIO} times compressed, refused as a zip bomb"
            )
    total = sum(info.file_size for info in infos)
    if _too_compressed(total, len(archive)):
        raise InvalidCodeError(
            f"the archive unpacks to {total} bytes from {len(archive)}: more than {MAX_COMPRESSION_RATIO} "
            "times compressed, refused as a zip bomb"
        )
    if total > FUNCTION_UNZIPPED_LIMIT:
        raise InvalidCodeError(f"Unzipped size must be smaller than {FUNCTION_UNZIPPED_LIMIT} bytes")
    return total


def _extract(archive: bytes, target: Path, allowance: int) -> int:
    """Unpack ``archive`` into ``target`` (links skipped), writing at most ``allowance`` bytes; returns the
    bytes written. The directory's sizes were checked already; the count catches an archive that lies."""
    written = 0
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            for info in zipped.infolist():
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    continue  # a symbolic link: never followed out of the package
                destination = target / info.filename
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(info) as source, open(destination, "wb") as sink:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        if written > allowance:
                            raise InvalidCodeError("the archive unpacks to more than its directory says")
                        sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:  # zipfile's CRC and stream errors
        raise InvalidCodeError(f"code is not a valid zip archive: {error}") from None
    return written


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class StoreRoot:
    """A fork server's store directory, with a record of the process that owns it."""

    def __init__(self) -> None:
        pid = os.getpid()
        self.root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{pid}-"))
        (self.root / _OWNER_FILE).write_text(f"{pid} {_start_time(pid)}\n")
        self.root.chmod(0o755)  # the sandbox's uid reads it

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _abandoned(root: Path, now: float) -> bool:
    try:
        pid_text, started = (root / _OWNER_FILE).read_text().split()
        pid = int(pid_text)
    except FileNotFoundError:
        try:
            return now - root.stat().st_mtime > ABANDONED_AGE_S
        except OSError:
            return False
    except (OSError, ValueError):
        return False
    return _start_time(pid) != started  # gone, or its pid now belongs to another process


def sweep_abandoned(directory: str | None = None, now: float | None = None) -> list[Path]:
    """Remove the store roots in ``directory`` (the temp directory) left by processes that died without
    cleaning up (SIGKILL, a crash); returns them. Roots of live processes, and of other kinds, stay."""
    base = Path(directory or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    for root in base.glob(f"{_PREFIX}*-*"):
        pid_part = root.name[len(_PREFIX) :].split("-", 1)[0]
        if pid_part.isdigit() and root.is_dir() and _abandoned(root, now):
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


class AccountCode:
    """One simulated account's code: the directories unpacked for it, within ``limit_bytes``.

    ``admit`` is called when a function or layer version is created (so the call that would exceed the
    limit is refused, as CreateFunction is on AWS); ``directory`` unpacks for an environment, counting
    every byte written against the same limit; ``remove`` deletes everything the account unpacked.
    """

    def __init__(self, limit_bytes: int = ACCOUNT_CODE_LIMIT) -> None:
        self.limit_bytes = limit_bytes
        self.name = f"account-{os.getpid()}-{next(_account_numbers)}"
        self._admitted: dict[bytes, int] = {}
        self._unpacked: dict[tuple[Path, str], int] = {}
        self._lock = threading.Lock()

    @property
    def unpacked_bytes(self) -> int:
        return sum(self._unpacked.values())

    def admit(self, archive: bytes) -> int:
        """Check ``archive`` and count it toward the account's code; returns its unzipped size. Raises
        ``InvalidCodeError`` (see ``unzipped_size``) or ``CodeTooLargeError``."""
        size = unzipped_size(archive)
        digest = hashlib.sha256(archive).digest()
        with self._lock:
            if digest not in self._admitted:
                total = sum(self._admitted.values()) + size
                if total > self.limit_bytes:
                    raise CodeTooLargeError(total, self.limit_bytes)
                self._admitted[digest] = size
        return size

    def directory(self, root: Path, archives: list[bytes]) -> str:
        """Unpack ``archives`` in order (later files win, as with Lambda layers) under the store ``root``;
        returns the directory's path relative to it. Nothing is left behind when this raises."""
        digest = hashlib.sha256(b"".join(hashlib.sha256(a).digest() for a in archives)).hexdigest()[:32]
        relative = f"{self.name}/{digest}"
        with self._lock:
            if (root, digest) in self._unpacked:
                return relative
            declared = sum(unzipped_size(archive) for archive in archives)
            if declared > FUNCTION_UNZIPPED_LIMIT:
                raise InvalidCodeError(f"Unzipped size must be smaller than {FUNCTION_UNZIPPED_LIMIT} bytes")
            if self.unpacked_bytes + declared > self.limit_bytes:
                raise CodeTooLargeError(self.unpacked_bytes + declared, self.limit_bytes)
            account_dir = root / self.name
            account_dir.mkdir(mode=0o755, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=account_dir, prefix=".staging-"))
            try:
                written = 0
                for archive in archives:
                    written += _extract(archive, staging, declared - written)
                for path in [staging, *staging.rglob("*")]:
                    path.chmod(0o755 if path.is_dir() else 0o644)
                staging.rename(account_dir / digest)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._unpacked[(root, digest)] = written
        return relative

    def remove(self) -> None:
        """Delete every directory unpacked for this account; the account may unpack again afterwards."""
        with self._lock:
            for root in {root for root, _ in self._unpacked}:
                shutil.rmtree(root / self.name, ignore_errors=True)
            self._unpacked.clear()
            self._admitted.clear()
