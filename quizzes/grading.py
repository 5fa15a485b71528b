"""Scoring a response to a question: ``grade(spec, response) -> Grade``. Pure and server-side only.

Response shapes, per kind (what ``quizzes.responses`` builds from a form, and what polls store):

- single: a choice id (``"b"``);
- truefalse: ``"true"`` / ``"false"`` (any case) or a bool;
- multiple: a list of choice ids (order and repeats do not matter; an empty list is a wrong answer);
- short: text;
- numeric: a number, or text holding one (``"10240.1"``, ``"-3e2"``; no thousands separators);
- matching: ``{left: right}`` for the pairs answered (a left side left out counts as wrong).

A response of the wrong shape, or naming a choice or side the question does not have, raises
ResponseError; votes and answers are refused with its message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .spec import (
    Matching,
    MultipleResponse,
    Numeric,
    QuestionSpec,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    normalize_answer,
)

# What a typed number may look like: optional sign, digits with an optional decimal point, optional
# exponent. Stricter than float(), which also takes "nan", "inf" and "1_000". The whole part may group
# its digits in threes with one kind of thousands separator throughout: "10,240", "10 240", "1 000 000"
# (space, no-break space, thin space or narrow no-break space). "1,5" is not a number: a decimal comma
# cannot be told from a thousands comma.
THOUSANDS_SEPARATORS = ", \u00a0\u2009\u202f"
NUMBER_PATTERN = re.compile(
    r"[+-]?((\d{1,3}(?P<sep>[" + THOUSANDS_SEPARATORS + r"])\d{3}((?P=sep)\d{3})*|\d+)(\.\d*)?|\.\d+)"
    r"([eE][+-]?\d+)?"
)


class ResponseError(ValueError):
    """A response this question cannot take (wrong shape, unknown choice, not a number). ``str(error)``
    is a sentence that can be shown to the student as is."""


@dataclass(frozen=True)
class Grade:
    """``score`` is the fraction of the marks earned (0.0..1.0); ``correct`` means full marks.
    ``feedback`` holds the feedback of the chosen choices or matched answer, in question order;
    ``explanation`` is the question's general feedback."""

    score: float
    correct: bool
    feedback: list[str] = field(default_factory=list)
    explanation: str = ""


def grade(spec: QuestionSpec, response: Any) -> Grade:
    """Score ``response`` (shapes in the module docstring) against ``spec``. Raises ResponseError for a
    response the question cannot take, and TypeError for an object that is not a question spec."""
    grader = _GRADERS.get(type(spec))
    if grader is None:
        raise TypeError(f"not a question spec: {type(spec).__name__}")
    score, feedback = grader(spec, response)
    # Weights like 33.33 add up to 99.99: what is within rounding of full marks is full marks.
    score = 1.0 if score > 1 - 1e-9 else max(0.0, score)
    return Grade(
        score=score,
        correct=score == 1.0,
        feedback=[text for text in feedback if text],
        explanation=spec.explanation,
    )


def _unknown_choice(choice_id: Any) -> ResponseError:
    return ResponseError(f"choice {choice_id!r} is not in this question")


def _grade_single(spec: SingleChoice, response: Any) -> tuple[float, list[str]]:
    if not isinstance(response, str):
        raise ResponseError("choose one answer")
    chosen = next((choice for choice in spec.choices if choice.id == response), None)
    if chosen is None:
        raise _unknown_choice(response)
    return chosen.weight / 100, [chosen.feedback]


def _grade_multiple(spec: MultipleResponse, response: Any) -> tuple[float, list[str]]:
    if not isinstance(response, list | tuple) or not all(isinstance(item, str) for item in response):
        raise ResponseError("choose answers from the list")
    ids = {choice.id for choice in spec.choices}
    for choice_id in response:
        if choice_id not in ids:
            raise _unknown_choice(choice_id)
    chosen = [choice for choice in spec.choices if choice.id in set(response)]  # repeats count once
    feedback = [choice.feedback for choice in chosen]
    right = {choice.id for choice in spec.choices if choice.weight > 0}
    if spec.scoring == "all_or_nothing":
        return (1.0 if set(response) == right else 0.0), feedback
    # Relative to the positive total (validated to be 100 within rounding), so that choosing every
    # right answer of a 33.33/33.33/33.33 question earns exactly full marks.
    positive_total = math.fsum(choice.weight for choice in spec.choices if choice.weight > 0)
    earned = math.fsum(choice.weight for choice in chosen)
    return min(1.0, earned / positive_total), feedback


def _grade_truefalse(spec: TrueFalse, response: Any) -> tuple[float, list[str]]:
    if isinstance(response, str) and response.strip().lower() in {"true", "false"}:
        response = response.strip().lower() == "true"
    if not isinstance(response, bool):
        raise _unknown_choice(response)
    if response == spec.answer:
        return 1.0, [spec.right_feedback]
    return 0.0, [spec.wrong_feedback]


def _short_matches(accepted: str, typed: str, case_sensitive: bool) -> bool:
    """Moodle's short-answer matching: ``*`` stands for any characters, ``\\*`` for an asterisk.
    (https://docs.moodle.org/en/Short-Answer_question_type)"""
    pattern = normalize_answer(accepted, case_sensitive=case_sensitive)
    if "*" not in pattern:
        return pattern == typed
    pieces = re.split(r"(\\\*|\*)", pattern)
    regex = "".join(".*" if piece == "*" else re.escape("*" if piece == "\\*" else piece) for piece in pieces)
    return re.fullmatch(regex, typed, re.DOTALL) is not None


def _grade_short(spec: ShortAnswer, response: Any) -> tuple[float, list[str]]:
    if not isinstance(response, str):
        raise ResponseError("type your answer as text")
    typed = normalize_answer(response, case_sensitive=spec.case_sensitive)
    matches = [answer for answer in spec.answers if _short_matches(answer.text, typed, spec.case_sensitive)]
    if not matches:
        return 0.0, []
    best = max(matches, key=lambda answer: answer.weight)
    return best.weight / 100, [best.feedback]


def _decimal(number: float) -> Decimal:
    # repr() is the shortest text that reads back as the same float: 10240.1 becomes Decimal("10240.1"),
    # not the binary 10240.100000000000363..., so interval ends are compared as the author wrote them.
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def parse_number(response: Any) -> Decimal:
    """The number in a numeric response, exactly as typed. Raises ResponseError for anything else."""
    if isinstance(response, bool):
        raise ResponseError("type a number")
    if isinstance(response, int | float):
        if not math.isfinite(response):
            raise ResponseError("type a number")
        return _decimal(response)
    if not isinstance(response, str):
        raise ResponseError("type a number")
    text = response.strip()
    match = NUMBER_PATTERN.fullmatch(text)
    if not match:
        raise ResponseError(f"{text[:40]!r} is not a number")
    return Decimal(text.replace(match["sep"], "") if match["sep"] else text)


def _grade_numeric(spec: Numeric, response: Any) -> tuple[float, list[str]]:
    number = parse_number(response)
    matches = []
    for answer in spec.answers:
        if answer.is_range:
            low, high = _decimal(answer.minimum), _decimal(answer.maximum)
        else:
            low = _decimal(answer.value) - _decimal(answer.tolerance)
            high = _decimal(answer.value) + _decimal(answer.tolerance)
        if low <= number <= high:  # both ends count: "10240 ± 0.1" accepts 10240.1
            matches.append(answer)
    if not matches:
        return 0.0, [spec.wrong_feedback]
    # Moodle takes the first matching answer; the best one is kinder and does not depend on order.
    best = max(matches, key=lambda answer: answer.weight)
    return best.weight / 100, [best.feedback]


def _grade_matching(spec: Matching, response: Any) -> tuple[float, list[str]]:
    if not isinstance(response, dict):
        raise ResponseError("match each item with one answer")
    rights = set(spec.rights())
    expected = {pair.left: pair.right for pair in spec.pairs}
    for left, right in response.items():
        if left not in expected:
            raise ResponseError(f"{left!r} is not an item of this question")
        if right not in rights:
            raise ResponseError(f"{right!r} is not an answer of this question")
    right_count = sum(1 for left, right in expected.items() if response.get(left) == right)
    return right_count / len(expected), []


_GRADERS = {
    SingleChoice: _grade_single,
    MultipleResponse: _grade_multiple,
    TrueFalse: _grade_truefalse,
    ShortAnswer: _grade_short,
    Numeric: _grade_numeric,
    Matching: _grade_matching,
}

__all__ = ["Grade", "ResponseError", "grade", "parse_number"]
