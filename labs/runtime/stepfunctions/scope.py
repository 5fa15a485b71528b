"""What an execution's branches share: workflow variables (``Scope``), threads, and one JSON encoder."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Generator
from typing import Any

from labs.runtime.stepfunctions.paths import NoMatchError

__all__ = ["Scope", "Thread", "dumps"]

# History serializes every state's input and output, so this is the hottest call of a run of short states.
# ``json.dumps`` with arguments builds a new encoder per call, and even one kept encoder's ``encode`` builds
# its C encoder again on every call; this keeps the C encoder itself (compact separators, non-ASCII kept).
# It is built without the circular-reference markers: the values are JSON documents (parsed, or made by
# templates, intrinsics and expressions), which cannot contain themselves.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_C_ENCODE = (
    json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    if json.encoder.c_make_encoder is not None
    else None
)


def dumps(value: Any) -> str:
    """``value`` as compact JSON text, exactly as ``json.dumps(value, separators=(",", ":"),
    ensure_ascii=False)`` writes it."""
    return "".join(_C_ENCODE(value, 0))


if _C_ENCODE is None:  # pragma: no cover - CPython always has the C encoder
    dumps = _ENCODER.encode  # noqa: F811


class Scope:
    """Workflow variables. A Parallel branch or Map iteration reads its parent's variables and writes its own."""

    __slots__ = ("parent", "values")

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        raise NoMatchError(f"${name}")

    def all(self) -> dict[str, Any]:
        chain, scope = [], self
        while scope is not None:
            chain.append(scope.values)
            scope = scope.parent
        merged: dict[str, Any] = {}
        for values in reversed(chain):
            merged.update(values)
        return merged


class Thread:
    """One running branch: its generator, what it waits on, and the last history event it wrote."""

    __slots__ = ("gen", "on_done", "cancel", "children", "last_event", "done")

    def __init__(self, gen: Generator, on_done: Callable[[bool, Any], None], last_event: int) -> None:
        self.gen = gen
        self.on_done = on_done
        self.cancel: Callable[[], None] | None = None
        self.children: list[Thread] = []
        self.last_event = last_event
        self.done = False
