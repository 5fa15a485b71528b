"""The run's trace: every invocation and API call, in order, with causal links, exportable as JSON."""

from __future__ import annotations

import json
import threading

__all__ = ["Trace"]


class Trace(list):
    """A list of records (plain dicts). Each record has ``seq`` (its position), ``kind``, ``time`` (the
    simulated clock, epoch seconds) and ``cause`` (the ``seq`` of the record that led to it, or None)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, kind: str, time_s: float, cause: int | None = None, **fields: object) -> dict:
        with self._lock:
            entry = {"seq": len(self), "kind": kind, "time": time_s, "cause": cause, **fields}
            self.append(entry)
        return entry

    def of_kind(self, kind: str) -> list[dict]:
        return [entry for entry in self if entry["kind"] == kind]

    def to_json(self, **dumps_options: object) -> str:
        return json.dumps(list(self), default=str, **dumps_options)

    def timeline(self, start: float | None = None) -> str:
        """The trace as text, one record a line: simulated seconds since ``start`` (the first record's time by
        default), the record's number, its kind, what it concerns, and which record caused it."""
        if not self:
            return ""
        origin = self[0]["time"] if start is None else start
        lines = []
        for entry in list(self):
            parts = []
            for name in _TIMELINE_FIELDS:
                value = entry.get(name)
                if value is None or value == "":
                    continue
                if isinstance(value, str) and value.startswith("arn:"):
                    value = value.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or value
                if name == "duration_ms":
                    value = f"{value} ms"
                parts.append(f"{name}={value}")
            if entry.get("injected"):
                parts.append("INJECTED")
            cause = f"  <- #{entry['cause']}" if entry.get("cause") is not None else ""
            lines.append(
                f"{entry['time'] - origin:+10.3f}s  #{entry['seq']:<5} {entry['kind']:<22} {' '.join(parts)}{cause}"
            )
        return "\n".join(lines)


# what a timeline line shows of a record, in this order, when the record has it
_TIMELINE_FIELDS = (
    "service",
    "operation",
    "function_arn",
    "bucket",
    "key",
    "event_name",
    "topic",
    "protocol",
    "bus",
    "source",
    "detail_type",
    "rule",
    "target",
    "destination",
    "fault",
    "status",
    "outcome",
    "cold_start",
    "duration_ms",
    "function_error",
    "error_type",
    "reason",
    "delay_s",
    "error",
)
