"""The trace as text: one line per record, for the CLI, scenarios and a student's "show the timeline"."""

from __future__ import annotations

__all__ = ["render"]


def render(entries: list[dict], start: float | None = None) -> str:
    """The trace as text, one record a line: simulated seconds since ``start`` (the first record's time by
    default), the record's number, its kind, what it concerns, and which record caused it."""
    if not entries:
        return ""
    origin = entries[0]["time"] if start is None else start
    lines = []
    for entry in entries:
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
    "type",
    "name",
    "action",
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
    "api_type",
    "method",
    "path",
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
