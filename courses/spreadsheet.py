"""Cells for CSV exports that a spreadsheet opens: low in the app layers, so every app's export can use it
(the gradebook's, the live-poll results of quizzes)."""

from __future__ import annotations

__all__ = ["spreadsheet_safe"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
    apostrophe (OWASP "CSV injection"); numbers and empty cells pass unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
