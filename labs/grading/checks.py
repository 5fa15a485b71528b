"""The checks API that lab graders are written in.

A grader (``labs/content/<slug>/grader.py``) is trusted Python. It declares checks with ``@check``; each
check receives the grading session (``labs.grading.Session``: the student's files, a fresh simulated
account, helpers to deploy and invoke) and fails by raising ``CheckFailed`` with a message that tells the
student what to look at. ``session.require(condition, message)`` is the usual way to say it.

    from labs.grading.checks import check

    @check("returns_square", "Returns the square of the number", points=4)
    def returns_square(lab):
        result = lab.invoke("squared", {"number": 4})
        lab.require(result.json == {"squared": 16}, f"For number 4 the function returned {result.text}")

Which checks a student sees before submitting is the manifest's business (``[checks]`` in lab.toml), not
the grader's, so an instructor can change visibility without touching code. Pure Python: no Django.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

__all__ = ["Check", "CheckFailed", "calls_logging", "check", "checks_of", "setup_of"]

_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CheckFailed(Exception):
    """A check did not pass; ``message`` says what the student should look at."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Check:
    id: str  # stable, lower_snake_case: the manifest and stored results refer to it
    name: str  # what the student reads
    points: int
    run: Callable
    order: int


_declaration_order = itertools.count()


def check(check_id: str, name: str, *, points: int = 1) -> Callable[[Callable], Callable]:
    """Declare a check. Raises ``ValueError`` for a malformed id or points below 0."""
    if not _CHECK_ID.match(check_id):
        raise ValueError(f"check id {check_id!r} must be lower_snake_case, at most 63 characters")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise ValueError(f"check {check_id!r}: points must be an integer >= 0")

    def register(function: Callable) -> Callable:
        order = next(_declaration_order)
        function.__lab_check__ = Check(check_id, name, points, function, order)  # type: ignore[attr-defined]
        return function

    return register


def checks_of(module: ModuleType) -> list[Check]:
    """The checks a grader module declares, in the order they appear. Raises ``ValueError`` on duplicates."""
    found = [value.__lab_check__ for value in vars(module).values() if hasattr(value, "__lab_check__")]
    found.sort(key=lambda declared: declared.order)
    seen: set[str] = set()
    for declared in found:
        if declared.id in seen:
            raise ValueError(f"two checks have the id {declared.id!r}")
        seen.add(declared.id)
    return found


def setup_of(module: ModuleType) -> Callable | None:
    """The grader's optional ``setup(lab)``: run once before the checks (deploy the design, send events)."""
    setup = getattr(module, "setup", None)
    return setup if callable(setup) else None


_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}


def calls_logging(source: str) -> bool:
    """Whether Python ``source`` imports the ``logging`` module and calls a log method (``logger.info``,
    ``logging.warning``, ...). Read from the student's file on the host, so nothing the function prints can
    fake it; ``print("[INFO] ...")`` is not logging. Source that does not parse counts as not logging."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    imported = any(
        (isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "logging" for alias in node.names))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "logging")
        for node in ast.walk(tree)
    )
    called = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LOG_METHODS
        for node in ast.walk(tree)
    )
    return imported and called
