"""Questions answered by typing or pairing: short answer, numeric (a value with a tolerance, or a range),
matching. Pure Python: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from quizzes.spec.base import (
    Answer,
    NumericAnswer,
    Pair,
    QuestionSpec,
    _check_text,
    _check_weight,
    _is_number,
    normalize_answer,
)

__all__ = ["Matching", "Numeric", "ShortAnswer"]


@dataclass(frozen=True, kw_only=True)
class ShortAnswer(QuestionSpec):
    """Typed text compared with each accepted answer (see ``normalize_answer``); the best match counts."""

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
            _check_text(found, f"answers[{i}].text", answer.text)
            _check_weight(found, f"answers[{i}].weight", answer.weight, 0)
            _check_text(found, f"answers[{i}].feedback", answer.feedback, required=False)
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
        _check_text(found, "wrong_feedback", self.wrong_feedback, required=False)
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
                    if not _is_number(getattr(answer, name)):
                        found.append((f"{where}.{name}", "must be a number"))
                low, high = answer.minimum, answer.maximum
                if _is_number(low) and _is_number(high) and low > high:
                    found.append((f"{where}.minimum", "must not be greater than the maximum"))
            else:
                if not _is_number(answer.value):
                    found.append((f"{where}.value", "must be a number"))
                if not _is_number(answer.tolerance):
                    found.append((f"{where}.tolerance", "must be a number"))
                elif answer.tolerance < 0:
                    found.append((f"{where}.tolerance", "must not be negative"))
            _check_weight(found, f"{where}.weight", answer.weight, 0)
            _check_text(found, f"{where}.feedback", answer.feedback, required=False)
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
            _check_text(found, f"pairs[{i}].left", pair.left)
            _check_text(found, f"pairs[{i}].right", pair.right)
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
                _check_text(found, f"distractors[{i}]", distractor)
        return found

    def rights(self) -> list[str]:
        """Every right side a student can pick, sorted so that their order gives nothing away."""
        return sorted({pair.right for pair in self.pairs} | set(self.distractors))

    def public_dict(self) -> dict[str, Any]:
        return {**super().public_dict(), "lefts": [pair.left for pair in self.pairs], "rights": self.rights()}

    def solution_text(self) -> str:
        return "; ".join(f"{pair.left} → {pair.right}" for pair in self.pairs)
