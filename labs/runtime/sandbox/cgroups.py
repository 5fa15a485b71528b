"""Pids cgroups: one per execution environment, so that a fork bomb stops at the function's process limit.

Used by the fork server's host side (``host.py``) when the sandbox is bubblewrap.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

__all__ = ["ProcessLimiter", "sweep_abandoned_cgroups"]


_HIERARCHIES = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")  # cgroup v1 pids controller, then v2
_PREFIX = "labs-runtime-"


def sweep_abandoned_cgroups(hierarchies: tuple[str, ...] = _HIERARCHIES) -> list[Path]:
    """Remove the empty ``labs-runtime-<pid>`` cgroups (and their empty ``env-<n>`` children) of processes
    that no longer exist: a host killed with SIGKILL, or a test run that ended without closing its fork
    server, leaves them behind. A cgroup that still holds a process is not empty and stays (rmdir refuses)."""
    removed = []
    for hierarchy in map(Path, hierarchies):
        try:
            parents = list(hierarchy.glob(f"{_PREFIX}*"))
        except OSError:
            continue
        for parent in parents:
            pid = parent.name[len(_PREFIX) :]
            if not pid.isdigit() or os.path.exists(f"/proc/{pid}"):
                continue
            with contextlib.suppress(OSError):
                for child in parent.iterdir():
                    if child.is_dir():
                        child.rmdir()
                parent.rmdir()
                removed.append(parent)
    return removed


class ProcessLimiter:
    """One pids cgroup per execution environment, so a fork bomb stops at the function's process limit.

    ``RLIMIT_NPROC`` alone is not enough: the kernel does not apply it to processes whose host uid is 0,
    which is what sandboxed processes are when the host runs as root (as in CI). The host creates
    ``<hierarchy>/labs-runtime-<pid>/env-<n>`` with ``pids.max`` set, opens its ``cgroup.procs`` and hands
    the open file to the environment, which writes ``0`` to it (meaning "me") as its first act, before any
    student code can run; the environment and all its children then stay in that cgroup. The open
    file is the only access the sandbox gets: no cgroup file system is mounted inside it.

    Where no writable pids hierarchy exists (no cgroups, not root), ``available`` is False and only the
    rlimit applies, which is effective whenever the host is not root.
    """

    def __init__(self) -> None:
        self.parent: Path | None = None
        self._count = 0
        self._leftovers: list[Path] = []
        self._lock = threading.Lock()
        for hierarchy in map(Path, _HIERARCHIES):
            v1 = hierarchy.name == "pids" and (hierarchy / "cgroup.procs").exists()
            v2 = not v1 and self._v2_has_pids(hierarchy)
            if not (v1 or v2):
                continue
            parent = hierarchy / f"{_PREFIX}{os.getpid()}"
            try:
                parent.mkdir(exist_ok=True)
                if v2:
                    (parent / "cgroup.subtree_control").write_text("+pids")
            except OSError:
                continue
            self.parent = parent
            break

    @staticmethod
    def _v2_has_pids(hierarchy: Path) -> bool:
        try:
            return "pids" in (hierarchy / "cgroup.subtree_control").read_text().split()
        except OSError:
            return False

    @property
    def available(self) -> bool:
        return self.parent is not None

    def open_for_environment(self, max_processes: int) -> tuple[int, Path] | None:
        """A new cgroup allowing ``max_processes``; returns (fd of its cgroup.procs, path) or None."""
        if self.parent is None:
            return None
        with self._lock:
            self._count += 1
            path = self.parent / f"env-{self._count}"
            self._retry_leftovers()
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_processes))
            return os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC), path
        except OSError:
            self.release(path)
            return None

    def release(self, path: Path) -> None:
        """Remove an environment's cgroup; one whose last process is still exiting is retried later."""
        try:
            path.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            with self._lock:
                self._leftovers.append(path)

    def _retry_leftovers(self) -> None:
        still = []
        for path in self._leftovers:
            try:
                path.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                still.append(path)
        self._leftovers = still

    def close(self) -> None:
        if self.parent is None:
            return
        deadline = time.monotonic() + 2
        with self._lock:
            while True:
                self._retry_leftovers()
                children = [p for p in self.parent.iterdir() if p.is_dir()]
                for child in children:
                    with contextlib.suppress(OSError):
                        child.rmdir()
                if not any(p.is_dir() for p in self.parent.iterdir()) or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
        with contextlib.suppress(OSError):
            self.parent.rmdir()
        self.parent = None
