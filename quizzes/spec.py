"""Questions as plain data: one frozen dataclass per kind, with a JSON form and validation.

A question is stored as ``to_dict()`` (which includes ``"kind"``) and read back with :func:`from_dict`;
the round trip is exact. Nothing here imports Django: grading (``quizzes.grading``) and the GIFT format
(``quizzes.gift``) work on these objects, and the Django side stores their dicts.

Weights are percents, as in Moodle's GIFT: 100 is a full-mark answer, 50 half, -100 cancels a right one.
Choices carry a stable ``id`` ("a", "b", ... by position when parsed) that responses refer to; true/false
questions use the fixed ids "true" and "false".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .spec_data import (
    SpecData,
    SpecError,
    check_text,
    check_weight,
    choice_id,
    format_number,
    is_number,
    normalize_answer,
)

FORMATS = ("markdown", "moodle", "html", "plain")
SCORINGS = ("all_or_nothing", "partial")
TITLE_MAX_LENGTH = 200  # Question.title is a CharField(max_length=200)
CATEGORY_MAX_LENGTH = 200  # and so is Question.category
# Positive weights of a multiple-response question must add up to 100; thirds (33.33) and sevenths
# (14.29) are never exact, so allow what rounding to two decimals can lose.
WEIGHT_SUM_SLACK = 0.5


@dataclass(frozen=True)
class Choice(SpecData):
    """One choice of a single-choice or multiple-response question. A ``pinned`` choice keeps its place
    when the choices are shuffled ("All of the above" stays last); see ``quizzes.shuffling``."""

    id: str
    text: str
    weight: float = 0
    feedback: str = ""
    pinned: bool = False
    _numbers: ClassVar[tuple[str, ...]] = ("weight",)

    def to_dict(self) -> dict[str, Any]:
        # "pinned" only when set: questions stored before pinning existed keep exactly their dict, so
        # re-importing content does not see every question as edited (quizzes/versions.py).
        data = super().to_dict()
        if data.get("pinned") is False:
            del data["pinned"]
        return data


@dataclass(frozen=True)
class Answer(SpecData):
    """One accepted short answer; ``weight`` 0..100."""

    text: str
    weight: float = 100
    feedback: str = ""
    _numbers: ClassVar[tuple[str, ...]] = ("weight",)


@dataclass(frozen=True)
class NumericAnswer(SpecData):
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
            return f"{format_number(self.minimum)} to {format_number(self.maximum)}"
        if self.tolerance:
            return f"{format_number(self.value)} ± {format_number(self.tolerance)}"
        return format_number(self.value)


@dataclass(frozen=True)
class Pair(SpecData):
    """A matching pair: the student must match ``left`` with ``right``."""

    left: str
    right: str


@dataclass(frozen=True, kw_only=True)
class QuestionSpec(SpecData):
    """Fields every kind has. ``explanation`` is the general feedback shown after answering. ``hints``
    (Markdown) and ``penalty`` (the fraction of the mark a wrong try costs, 0..1) are Moodle's, carried
    through imports and exports so that a bank goes back to Moodle as it came."""

    kind: ClassVar[str] = ""
    title: str = ""
    stem: str = ""
    stem_format: str = "markdown"
    explanation: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    penalty: float = 0
    _numbers: ClassVar[tuple[str, ...]] = ("penalty",)

    def validate(self) -> None:
        """Raise SpecError for the first problem (``errors`` lists them all); return None when valid."""
        problems = self.problems()
        if problems:
            raise SpecError(*problems[0], errors=problems)

    def problems(self) -> list[tuple[str, str]]:
        """Every rule this question breaks, as ``(field, message)`` pairs; empty when valid."""
        found: list[tuple[str, str]] = []
        check_text(found, "title", self.title, single_line=True)
        if isinstance(self.title, str) and len(self.title) > TITLE_MAX_LENGTH:
            found.append(("title", f"must be at most {TITLE_MAX_LENGTH} characters"))
        check_text(found, "stem", self.stem)
        if self.stem_format not in FORMATS:
            found.append(("stem_format", f"must be one of {', '.join(FORMATS)}"))
        check_text(found, "explanation", self.explanation, required=False)
        check_text(found, "category", self.category, required=False, single_line=True)
        if isinstance(self.category, str) and len(self.category) > CATEGORY_MAX_LENGTH:
            found.append(("category", f"must be at most {CATEGORY_MAX_LENGTH} characters"))
        if not isinstance(self.tags, tuple):
            found.append(("tags", "must be a list of text"))
        else:
            for i, tag in enumerate(self.tags):
                if not isinstance(tag, str) or not tag.strip() or tag != tag.strip():
                    found.append((f"tags[{i}]", "must be non-empty text without surrounding spaces"))
                elif "\n" in tag or "\r" in tag:
                    found.append((f"tags[{i}]", "must not contain line breaks"))
        if not isinstance(self.hints, tuple):
            found.append(("hints", "must be a list of text"))
        else:
            for i, hint in enumerate(self.hints):
                check_text(found, f"hints[{i}]", hint)
        if not is_number(self.penalty) or not 0 <= self.penalty <= 1:
            found.append(("penalty", "must be a number from 0 to 1 (the fraction a wrong try costs)"))
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


def _choices_are_choices(spec: SingleChoice | MultipleResponse) -> bool:
    return isinstance(spec.choices, tuple) and all(isinstance(c, Choice) for c in spec.choices)


def _check_choices(spec: SingleChoice | MultipleResponse) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not _choices_are_choices(spec):
        return [("choices", "must be a list of choices")]
    if len(spec.choices) < 2:
        found.append(("choices", "needs at least two choices"))
    seen: set[str] = set()
    for i, choice in enumerate(spec.choices):
        where = f"choices[{i}]"
        if not isinstance(choice.id, str) or not choice.id.strip():
            found.append((f"{where}.id", "must be non-empty text"))
        elif choice.id in seen:
            found.append((f"{where}.id", f"id {choice.id!r} is used twice"))
        else:
            seen.add(choice.id)
        check_text(found, f"{where}.text", choice.text)
        check_weight(found, f"{where}.weight", choice.weight, -100)
        check_text(found, f"{where}.feedback", choice.feedback, required=False)
        if not isinstance(choice.pinned, bool):
            found.append((f"{where}.pinned", "must be true or false"))
    return found


def _public_choices(choices) -> list[dict[str, Any]]:
    # "pinned" is public: it says nothing about correctness, and shuffling needs it.
    return [{"id": c.id, "text": c.text, **({"pinned": True} if c.pinned else {})} for c in choices]


def _numeric_weights(choices) -> list[float]:
    return [c.weight for c in choices if is_number(c.weight)]


@dataclass(frozen=True, kw_only=True)
class SingleChoice(QuestionSpec):
    """One answer to pick. Exactly one choice is right (weight 100); others may give partial credit."""

    kind: ClassVar[str] = "single"
    choices: tuple[Choice, ...] = ()
    _items: ClassVar[dict[str, type]] = {"choices": Choice}

    def _kind_problems(self) -> list[tuple[str, str]]:
        found = _check_choices(self)
        if not _choices_are_choices(self):
            return found
        right = sum(1 for weight in _numeric_weights(self.choices) if weight == 100)
        if right != 1:
            found.append(("choices", f"exactly one choice must be correct (at 100%); found {right}"))
        return found

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "choices": _public_choices(self.choices)}

    def correct_ids(self) -> list[str]:
        return [c.id for c in self.choices if c.weight == 100]

    def solution_text(self) -> str:
        return "; ".join(c.text for c in self.choices if c.weight == 100)


@dataclass(frozen=True, kw_only=True)
class MultipleResponse(QuestionSpec):
    """Several answers to pick. Positive weights add up to 100. ``scoring`` "partial" adds the weights
    of the chosen answers; "all_or_nothing" gives full marks only for exactly the positive-weight set."""

    kind: ClassVar[str] = "multiple"
    choices: tuple[Choice, ...] = ()
    scoring: str = "partial"
    _items: ClassVar[dict[str, type]] = {"choices": Choice}

    def _kind_problems(self) -> list[tuple[str, str]]:
        found = _check_choices(self)
        if self.scoring not in SCORINGS:
            found.append(("scoring", f"must be one of {', '.join(SCORINGS)}"))
        if not _choices_are_choices(self):
            return found
        total = math.fsum(weight for weight in _numeric_weights(self.choices) if weight > 0)
        if not total:
            found.append(("choices", "at least one choice must be correct (a positive weight)"))
        elif abs(total - 100) > WEIGHT_SUM_SLACK:
            found.append(("choices", f"the positive weights must add up to 100%, not {round(total, 4):g}%"))
        return found

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "choices": _public_choices(self.choices)}

    def correct_ids(self) -> list[str]:
        return [c.id for c in self.choices if is_number(c.weight) and c.weight > 0]

    def solution_text(self) -> str:
        return "; ".join(c.text for c in self.choices if is_number(c.weight) and c.weight > 0)


TRUE_FALSE_CHOICES = ({"id": "true", "text": "True"}, {"id": "false", "text": "False"})


@dataclass(frozen=True, kw_only=True)
class TrueFalse(QuestionSpec):
    """A statement that is true or false. ``right_feedback`` is shown to those who answered ``answer``,
    ``wrong_feedback`` to the others (GIFT's ``{T#wrong#right}``)."""

    kind: ClassVar[str] = "truefalse"
    answer: bool = True
    right_feedback: str = ""
    wrong_feedback: str = ""

    def _kind_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if not isinstance(self.answer, bool):
            found.append(("answer", "must be true or false"))
        check_text(found, "right_feedback", self.right_feedback, required=False)
        check_text(found, "wrong_feedback", self.wrong_feedback, required=False)
        return found

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "choices": [dict(choice) for choice in TRUE_FALSE_CHOICES]}

    def correct_ids(self) -> list[str]:
        return ["true" if self.answer else "false"]

    def solution_text(self) -> str:
        return "True" if self.answer else "False"


@dataclass(frozen=True, kw_only=True)
class ShortAnswer(QuestionSpec):
    """Typed text compared with each accepted answer (see ``normalize_answer``); the best match counts.
    As in Moodle, ``*`` in an accepted answer matches any characters (``*`` alone: any other answer) and
    ``\\*`` is a literal asterisk."""

    kind: ClassVar[str] = "short"
    answers: tuple[Answer, ...] = ()
    case_sensitive: bool = False
    _items: ClassVar[dict[str, type]] = {"answers": Answer}

    def _kind_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if not isinstance(self.case_sensitive, bool):
            found.append(("case_sensitive", "must be true or false"))
        if not isinstance(self.answers, tuple) or not all(isinstance(a, Answer) for a in self.answers):
            return [*found, ("answers", "must be a list of answers")]
        if not self.answers:
            return [*found, ("answers", "needs at least one accepted answer")]
        seen: set[str] = set()
        for i, answer in enumerate(self.answers):
            check_text(found, f"answers[{i}].text", answer.text)
            check_weight(found, f"answers[{i}].weight", answer.weight, 0)
            check_text(found, f"answers[{i}].feedback", answer.feedback, required=False)
            if isinstance(answer.text, str) and answer.text.strip():
                key = normalize_answer(answer.text, case_sensitive=self.case_sensitive is True)
                if key in seen:
                    found.append((f"answers[{i}].text", f"the answer {answer.text!r} is given twice"))
                seen.add(key)
        if not any(a.weight == 100 for a in self.answers):
            found.append(("answers", "at least one answer must earn full marks (100%)"))
        return found

    def solution_text(self) -> str:
        return " or ".join(a.text for a in self.answers if a.weight == 100)


@dataclass(frozen=True, kw_only=True)
class Numeric(QuestionSpec):
    """A number, right when inside an answer's interval (ends included); the best-weighted match counts.
    ``wrong_feedback`` is shown when no answer matches (GIFT's ``~#feedback``)."""

    kind: ClassVar[str] = "numeric"
    answers: tuple[NumericAnswer, ...] = ()
    wrong_feedback: str = ""
    _items: ClassVar[dict[str, type]] = {"answers": NumericAnswer}

    def _kind_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        check_text(found, "wrong_feedback", self.wrong_feedback, required=False)
        if not isinstance(self.answers, tuple) or not all(isinstance(a, NumericAnswer) for a in self.answers):
            return [*found, ("answers", "must be a list of numeric answers")]
        if not self.answers:
            return [*found, ("answers", "needs at least one answer")]
        for i, answer in enumerate(self.answers):
            where = f"answers[{i}]"
            if answer.is_range:
                if answer.value is not None:
                    found.append(
                        (f"{where}.value", "give either a value with a tolerance or a range, not both")
                    )
                for name in ("minimum", "maximum"):
                    if not is_number(getattr(answer, name)):
                        found.append((f"{where}.{name}", "must be a number"))
                low, high = answer.minimum, answer.maximum
                if is_number(low) and is_number(high) and low > high:
                    found.append((f"{where}.minimum", "must not be greater than the maximum"))
            else:
                if not is_number(answer.value):
                    found.append((f"{where}.value", "must be a number"))
                if not is_number(answer.tolerance):
                    found.append((f"{where}.tolerance", "must be a number"))
                elif answer.tolerance < 0:
                    found.append((f"{where}.tolerance", "must not be negative"))
            check_weight(found, f"{where}.weight", answer.weight, 0)
            check_text(found, f"{where}.feedback", answer.feedback, required=False)
        if not any(a.weight == 100 for a in self.answers):
            found.append(("answers", "at least one answer must earn full marks (100%)"))
        return found

    def solution_text(self) -> str:
        return " or ".join(a.describe() for a in self.answers if a.weight == 100)


@dataclass(frozen=True, kw_only=True)
class Matching(QuestionSpec):
    """Match each left side with its right side. ``distractors`` are extra right sides that match nothing.
    Responses name sides by their text, so left sides are unique."""

    kind: ClassVar[str] = "matching"
    pairs: tuple[Pair, ...] = ()
    distractors: tuple[str, ...] = ()
    _items: ClassVar[dict[str, type]] = {"pairs": Pair}

    def _kind_problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if not isinstance(self.pairs, tuple) or not all(isinstance(p, Pair) for p in self.pairs):
            return [("pairs", "must be a list of pairs")]
        if len(self.pairs) < 2:
            found.append(("pairs", "needs at least two pairs"))
        lefts: set[str] = set()
        for i, pair in enumerate(self.pairs):
            check_text(found, f"pairs[{i}].left", pair.left)
            check_text(found, f"pairs[{i}].right", pair.right)
            if isinstance(pair.left, str):
                if pair.left in lefts:
                    found.append((f"pairs[{i}].left", f"the left side {pair.left!r} appears twice"))
                if "->" in pair.left:
                    found.append((f"pairs[{i}].left", "must not contain '->' (GIFT could not export it)"))
                lefts.add(pair.left)
        if not isinstance(self.distractors, tuple):
            found.append(("distractors", "must be a list of text"))
        else:
            for i, distractor in enumerate(self.distractors):
                check_text(found, f"distractors[{i}]", distractor)
        return found

    def rights(self) -> list[str]:
        """Every right side a student can pick, sorted so that their order gives nothing away."""
        return sorted({pair.right for pair in self.pairs} | set(self.distractors))

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "lefts": [pair.left for pair in self.pairs], "rights": self.rights()}

    def solution_text(self) -> str:
        return "; ".join(f"{pair.left} → {pair.right}" for pair in self.pairs)


KINDS: dict[str, type[QuestionSpec]] = {
    cls.kind: cls for cls in (SingleChoice, MultipleResponse, TrueFalse, ShortAnswer, Numeric, Matching)
}


def from_dict(data: dict[str, Any]) -> QuestionSpec:
    """Build a question from its ``to_dict()`` form (``"kind"`` selects the class; missing fields take
    their defaults). Raises SpecError when the shape is wrong: not an object, unknown kind or field,
    a list that is not a list. Rules (an empty stem, no right answer, ...) are left to ``validate()``."""
    if not isinstance(data, dict):
        raise SpecError("spec", "must be an object")
    cls = KINDS.get(data.get("kind"))  # type: ignore[arg-type]
    if cls is None:
        raise SpecError("kind", f"must be one of {', '.join(KINDS)}; got {data.get('kind')!r}")
    return cls._from_dict({name: value for name, value in data.items() if name != "kind"}, "")


__all__ = [
    "FORMATS",
    "KINDS",
    "SCORINGS",
    "Answer",
    "Choice",
    "Matching",
    "MultipleResponse",
    "Numeric",
    "NumericAnswer",
    "Pair",
    "QuestionSpec",
    "ShortAnswer",
    "SingleChoice",
    "SpecError",
    "TrueFalse",
    "choice_id",
    "from_dict",
    "normalize_answer",
]
