"""The plumbing under ``quizzes.spec``: the error type, choice ids, how short answers compare, numbers, and
the dict form shared by every question dataclass. Nothing here imports Django."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import MISSING, fields
from typing import Any, ClassVar


class SpecError(ValueError):
    """A question that is malformed or breaks a rule. ``field`` names the offending field in ``to_dict()``
    terms (``"stem"``, ``"choices[1].text"``), ``message`` says what is wrong, and ``errors`` lists every
    problem found as ``(field, message)`` pairs (the first one is ``field``/``message``)."""

    def __init__(self, field: str, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.errors = errors or [(field, message)]


def choice_id(index: int) -> str:
    """The id a choice gets from its position: a..z, then aa, ab, ... (spreadsheet columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def normalize_answer(text: str, *, case_sensitive: bool = False) -> str:
    """How short answers compare: Unicode NFC, whitespace runs collapsed, ends trimmed, case folded
    unless the question is case sensitive."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else text.casefold()


def tidy_number(value: Any) -> Any:
    # 50.0 and 50 are the same weight; store integers as int so the JSON reads like what authors write.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_number(value: float) -> str:
    return str(tidy_number(value))


class SpecData:
    """Shared plumbing of the dataclasses below: lists become tuples (so specs compare and stay frozen),
    numbers are tidied, and the dict form is generated from the fields."""

    _items: ClassVar[dict[str, type]] = {}  # field name -> class of its elements (nested dataclasses)
    _numbers: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
            elif f.name in self._numbers:
                object.__setattr__(self, f.name, tidy_number(value))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [item.to_dict() if isinstance(item, SpecData) else item for item in value]
            data[f.name] = value
        return data

    @classmethod
    def _from_dict(cls, data: Any, where: str):
        if not isinstance(data, dict):
            raise SpecError(where or "spec", "must be an object")
        path = f"{where}." if where else ""
        by_name = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        values = {}
        for name, value in data.items():
            if name not in by_name:
                raise SpecError(path + str(name), "is not a field of this kind of question")
            if by_name[name].default == ():  # the list fields
                if not isinstance(value, list | tuple):
                    raise SpecError(path + name, "must be a list")
                item_class = cls._items.get(name)
                if item_class is not None:
                    value = [
                        item_class._from_dict(item, f"{path}{name}[{i}]") for i, item in enumerate(value)
                    ]
            values[name] = value
        for name, f in by_name.items():
            if f.default is MISSING and name not in values:
                raise SpecError(path + name, "is required")
        return cls(**values)


def check_text(found: list, name: str, value: Any, *, required: bool = True, single_line: bool = False):
    if not isinstance(value, str):
        found.append((name, "must be text"))
    elif required and not value.strip():
        found.append((name, "must not be empty"))
    elif single_line and ("\n" in value or "\r" in value):
        found.append((name, "must be a single line"))


def check_weight(found: list, name: str, weight: Any, low: float) -> None:
    if not is_number(weight):
        found.append((name, "must be a number (a percent)"))
    elif not low <= weight <= 100:
        found.append((name, f"must be between {format_number(low)} and 100 (percent)"))
