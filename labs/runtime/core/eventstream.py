"""AWS's event stream encoding (``application/vnd.amazon.eventstream``), the body of a streamed response such
as Lambda's InvokeWithResponseStream, which botocore decodes into its ``EventStream``.

A message is a prelude (total length, headers length, both 4-byte big-endian, and the prelude's CRC-32), the
headers (name length byte, name, value type 7 = string, 2-byte value length, value), the payload and the
CRC-32 of everything before it.
https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream (the
format all event-stream APIs share).
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["event_message"]

_STRING = 7


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode(), value.encode()
    return (
        struct.pack(">B", len(name_bytes))
        + name_bytes
        + struct.pack(">BH", _STRING, len(value_bytes))
        + value_bytes
    )


def event_message(event_type: str, payload: bytes, content_type: str) -> bytes:
    """One ``event`` message of type ``event_type`` carrying ``payload``."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", content_type)
        + _header(":message-type", "event")
    )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))
