"""What changed between two submissions' files: a line diff per file (difflib), as plain data for a
template to render (autoescaped there: a student's code is never marked safe).

``files_diff(old, new)`` pairs the files by name, in name order: each is "added", "removed", "changed"
or "unchanged", and a changed file carries hunks of lines with a few lines of context around each
change, the way ``diff -u`` shows them, with old and new line numbers."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

__all__ = ["CONTEXT_LINES", "DiffLine", "FileDiff", "files_diff"]

CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: ``kind`` is "context", "added" or "removed"; a line number is None on the
    side the line is not on."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


@dataclass
class FileDiff:
    name: str
    status: str  # added, removed, changed, unchanged
    hunks: list[list[DiffLine]] = field(default_factory=list)
    added: int = 0
    removed: int = 0


def _hunks(old: list[str], new: list[str]) -> list[list[DiffLine]]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("context", i + 1, j1 + k + 1, old[i]) for k, i in enumerate(range(i1, i2))]
                continue
            # "replace" shows the old lines, then the new ones, as diff -u does.
            lines += [DiffLine("removed", i + 1, None, old[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, new[j]) for j in range(j1, j2)]
        hunks.append(lines)
    return hunks


def files_diff(old: dict[str, str], new: dict[str, str]) -> list[FileDiff]:
    """The diff from ``old`` to ``new`` ({file name: text}), one entry per file name in either."""
    diffs = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            status = "added"
        elif name not in new:
            status = "removed"
        else:
            status = "unchanged" if old[name] == new[name] else "changed"
        before = old.get(name, "").splitlines()
        after = new.get(name, "").splitlines()
        diff = FileDiff(name=name, status=status)
        if status != "unchanged":
            diff.hunks = _hunks(before, after)
            flat = [line for hunk in diff.hunks for line in hunk]
            diff.added = sum(1 for line in flat if line.kind == "added")
            diff.removed = sum(1 for line in flat if line.kind == "removed")
        diffs.append(diff)
    return diffs
