"""What runs a state can raise or ask of the executor: errors, and the commands a branch yields to wait.

A branch of an execution is a generator. It yields ``Sleep`` (a Wait state, a retry's back-off), ``Suspend``
(a task token, a nested execution) or ``Spawn`` (Parallel branches, Map iterations) and is resumed by the
executor on the simulated clock. Everything else runs straight through, so a workflow without waits runs
in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

__all__ = ["TERMINAL_ERRORS", "Sleep", "Spawn", "StatesError", "Suspend", "error_matches"]

# Errors no Retry or Catch handles: States.ALL does not match them and they always fail the execution.
TERMINAL_ERRORS = frozenset({"States.Runtime", "States.DataLimitExceeded"})


class StatesError(Exception):
    """A failure inside an execution: ``error`` (a name such as States.TaskFailed) and ``cause`` (text)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause

    @property
    def terminal(self) -> bool:
        return self.error in TERMINAL_ERRORS

    def output(self) -> dict:
        """The error output a Catch passes on."""
        return {"Error": self.error, "Cause": self.cause}


def error_matches(names: list[str], error: str) -> bool:
    """Whether an ``ErrorEquals`` list matches ``error`` (States.ALL and States.TaskFailed are wildcards)."""
    if error in TERMINAL_ERRORS:
        return False
    for name in names:
        if name == error or name == "States.ALL":
            return True
        if name == "States.TaskFailed" and error != "States.Timeout":
            return True
    return False


@dataclass(slots=True)
class Sleep:
    seconds: float


@dataclass(slots=True)
class Suspend:
    """Park the branch. ``setup(resume)`` arranges for ``resume(value)`` to be called later (``value`` may be
    a ``StatesError``, which is raised in the branch) and returns a function that cancels the arrangement."""

    setup: Callable[[Callable[[Any], None]], Callable[[], None]]


@dataclass(slots=True)
class Spawn:
    """Run child branches; resumes with one ``(ok, value)`` per child, in order. More than ``tolerated``
    failures stop the remaining children (their slots hold ``None``)."""

    children: list[Callable[[], Generator]]
    max_concurrency: int = 0
    tolerated: int = 0
