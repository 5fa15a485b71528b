"""Length-prefixed JSON frames: the wire format of every private channel of the runtime.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON whose top level is an object.
This module is imported both by the host (as ``labs.runtime.sandbox.framing``) and inside the sandbox (as the top-level
module ``framing``), so it uses only the standard library and imports nothing from the package.

The host treats every frame that comes out of an execution environment as untrusted input: ``read_frame``
enforces a size cap before allocating, rejects anything that is not a JSON object, and ``require`` checks the
fields a message must carry and their types. A peer that breaks the format gets ``FrameError``; the host then
discards that environment.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

__all__ = ["FrameError", "MAX_FRAME_BYTES", "read_frame", "require", "write_frame"]

MAX_FRAME_BYTES = 16 * 1024 * 1024  # an invoke payload is at most 6 MB; base64 and headers fit in 16 MiB
_HEADER = struct.Struct(">I")


class FrameError(Exception):
    """A frame broke the protocol: carries a message saying what was wrong (size, JSON, field, type)."""


def write_frame(fd: int, message: dict) -> None:
    """Send ``message`` as one frame on file descriptor ``fd`` (blocking until all bytes are written)."""
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(data)} bytes exceeds the {MAX_FRAME_BYTES}-byte cap")
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks = []
    remaining = size
    while remaining:
        if deadline is not None:
            wait_s = deadline - time.monotonic()
            if wait_s <= 0 or not select.select([fd], [], [], wait_s)[0]:
                raise TimeoutError("no complete frame before the deadline")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size and not chunks:
                return None
            raise FrameError("channel closed in the middle of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, *, max_bytes: int = MAX_FRAME_BYTES, deadline: float | None = None) -> dict | None:
    """Read one frame from ``fd``; return the decoded object, or None at a clean end of stream.

    ``deadline`` is a ``time.monotonic()`` value; past it, ``TimeoutError`` is raised. Raises ``FrameError``
    when the length exceeds ``max_bytes``, the body is not UTF-8 JSON, or its top level is not an object.
    """
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    if length > max_bytes:
        raise FrameError(f"frame announces {length} bytes, more than the {max_bytes}-byte cap")
    body = _read_exact(fd, length, deadline) or b""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FrameError(f"frame is not UTF-8 JSON: {error}") from None
    if not isinstance(message, dict):
        raise FrameError(f"frame must be a JSON object, got {type(message).__name__}")
    return message


def require(message: dict, schema: dict[str, type | tuple[type, ...]]) -> dict:
    """Check that ``message`` has every field of ``schema`` with the given type(s); return it.

    Raises ``FrameError`` naming the first missing or mistyped field. ``bool`` is never accepted where an
    ``int`` is asked for, because JSON ``true`` must not pass as a number.
    """
    for field, expected in schema.items():
        if field not in message:
            raise FrameError(f"message of type {message.get('type')!r} lacks field {field!r}")
        value = message[field]
        types = expected if isinstance(expected, tuple) else (expected,)
        if isinstance(value, bool) and bool not in types:
            raise FrameError(f"field {field!r} must be {expected}, got a boolean")
        if not isinstance(value, types):
            raise FrameError(f"field {field!r} must be {expected}, got {type(value).__name__}")
    return message
