"""Questions answered by picking: single choice, multiple response (all or nothing, or partial credit),
true/false. Pure Python: no Django."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from quizzes.spec.base import (
    SCORINGS,
    WEIGHT_SUM_SLACK,
    Choice,
    QuestionSpec,
    _check_text,
    _check_weight,
    _is_number,
)

__all__ = ["TRUE_FALSE_CHOICES", "MultipleResponse", "SingleChoice", "TrueFalse"]


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
        _check_text(found, f"{where}.text", choice.text)
        _check_weight(found, f"{where}.weight", choice.weight, -100)
        _check_text(found, f"{where}.feedback", choice.feedback, required=False)
    return found


def _numeric_weights(choices) -> list[float]:
    return [c.weight for c in choices if _is_number(c.weight)]


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
        return {**super().public_dict(), "choices": [{"id": c.id, "text": c.text} for c in self.choices]}

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
        return {**super().public_dict(), "choices": [{"id": c.id, "text": c.text} for c in self.choices]}

    def correct_ids(self) -> list[str]:
        return [c.id for c in self.choices if _is_number(c.weight) and c.weight > 0]

    def solution_text(self) -> str:
        return "; ".join(c.text for c in self.choices if _is_number(c.weight) and c.weight > 0)


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
        _check_text(found, "right_feedback", self.right_feedback, required=False)
        _check_text(found, "wrong_feedback", self.wrong_feedback, required=False)
        return found

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "choices": [dict(choice) for choice in TRUE_FALSE_CHOICES]}

    def correct_ids(self) -> list[str]:
        return ["true" if self.answer else "false"]

    def solution_text(self) -> str:
        return "True" if self.answer else "False"
