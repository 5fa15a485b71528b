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
