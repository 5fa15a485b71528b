"""The plumbing every kind of question shares: errors, ids, the dict form, the common fields and checks.
Pure Python: no Django."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

FORMATS = ("markdown", "moodle", "html", "plain")
SCORINGS = ("all_or_nothing", "partial")
TITLE_MAX_LENGTH = 200  # Question.title is a CharField(max_length=200)
# Positive weights of a multiple-response question must add up to 100; thirds (33.33) and sevenths
# (14.29) are never exact, so allow what rounding to two decimals can lose.
WEIGHT_SUM_SLACK = 0.5


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


def _tidy_number(value: Any) -> Any:
    # 50.0 and 50 are the same weight; store integers as int so the JSON reads like what authors write.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _format_number(value: float) -> str:
    return str(_tidy_number(value))


class _Data:
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
                object.__setattr__(self, f.name, _tidy_number(value))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [item.to_dict() if isinstance(item, _Data) else item for item in value]
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


@dataclass(frozen=True)
class Choice(_Data):
    """One choice of a single-choice or multiple-response question."""

    id: str
    text: str
    weight: float = 0
    feedback: str = ""
    _numbers: ClassVar[tuple[str, ...]] = ("weight",)


@dataclass(frozen=True)
class Answer(_Data):
    """One accepted short answer; ``weight`` 0..100."""

    text: str
    weight: float = 100
    feedback: str = ""
    _numbers: ClassVar[tuple[str, ...]] = ("weight",)


@dataclass(frozen=True)
class NumericAnswer(_Data):
    """A numeric answer: either ``value`` ± ``tolerance`` or the range ``minimum``..``maximum`` (both ends
    included); the other form's fields stay None. ``weight`` 0..100."""

    value: float | None = None
    tolerance: float = 0
    minimum: float | None = None
    maximum: float | None = None
    weight: float = 100
    feedback: str = ""
    _numbers: ClassVar[tuple[str, ...]] = ("value", "tolerance", "minimum", "maximum", "weight")

    @property
    def is_range(self) -> bool:
        return self.minimum is not None or self.maximum is not None

    def describe(self) -> str:
        if self.is_range:
            return f"{_format_number(self.minimum)} to {_format_number(self.maximum)}"
        if self.tolerance:
            return f"{_format_number(self.value)} ± {_format_number(self.tolerance)}"
        return _format_number(self.value)


@dataclass(frozen=True)
class Pair(_Data):
    """A matching pair: the student must match ``left`` with ``right``."""

    left: str
    right: str


@dataclass(frozen=True, kw_only=True)
class QuestionSpec(_Data):
    """Fields every kind has. ``explanation`` is the general feedback shown after answering."""

    kind: ClassVar[str] = ""
    title: str = ""
    stem: str = ""
    stem_format: str = "markdown"
    explanation: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()

    def validate(self) -> None:
        """Raise SpecError for the first problem (``errors`` lists them all); return None when valid."""
        problems = self.problems()
        if problems:
            raise SpecError(*problems[0], errors=problems)

    def problems(self) -> list[tuple[str, str]]:
        """Every rule this question breaks, as ``(field, message)`` pairs; empty when valid."""
        found: list[tuple[str, str]] = []
        _check_text(found, "title", self.title, single_line=True)
        if isinstance(self.title, str) and len(self.title) > TITLE_MAX_LENGTH:
            found.append(("title", f"must be at most {TITLE_MAX_LENGTH} characters"))
        _check_text(found, "stem", self.stem)
        if self.stem_format not in FORMATS:
            found.append(("stem_format", f"must be one of {', '.join(FORMATS)}"))
        _check_text(found, "explanation", self.explanation, required=False)
        _check_text(found, "category", self.category, required=False, single_line=True)
        if not isinstance(self.tags, tuple):
            found.append(("tags", "must be a list of text"))
        else:
            for i, tag in enumerate(self.tags):
                if not isinstance(tag, str) or not tag.strip() or tag != tag.strip():
                    found.append((f"tags[{i}]", "must be non-empty text without surrounding spaces"))
                elif any(char in tag for char in "[]\n\r"):
                    found.append((f"tags[{i}]", "must not contain brackets or line breaks"))
        found.extend(self._kind_problems())
        return found

    def _kind_problems(self) -> list[tuple[str, str]]:
        return []

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **super().to_dict()}

    def public_dict(self) -> dict[str, Any]:
        """What a student may see before answering: kind, stem and what to choose from; never correctness,
        weights, feedback, explanation, nor the title (authors sometimes name a question after its answer)."""
        return {"kind": self.kind, "stem": self.stem, "stem_format": self.stem_format}

    def correct_ids(self) -> list[str]:
        """Ids of the choices that earn marks (empty for kinds without choices)."""
        return []

    def solution_text(self) -> str:
        """The right answer in words, for review pages shown after answering."""
        raise NotImplementedError


def _check_text(found: list, name: str, value: Any, *, required: bool = True, single_line: bool = False):
    if not isinstance(value, str):
        found.append((name, "must be text"))
    elif required and not value.strip():
        found.append((name, "must not be empty"))
    elif single_line and ("\n" in value or "\r" in value):
        found.append((name, "must be a single line"))


def _check_weight(found: list, name: str, weight: Any, low: float) -> None:
    if not _is_number(weight):
        found.append((name, "must be a number (a percent)"))
    elif not low <= weight <= 100:
        found.append((name, f"must be between {_format_number(low)} and 100 (percent)"))
