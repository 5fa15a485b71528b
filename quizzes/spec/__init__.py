"""Questions as plain data: one frozen dataclass per kind, with a JSON form and validation.

A question is stored as ``to_dict()`` (which includes ``"kind"``) and read back with :func:`from_dict`;
the round trip is exact. Nothing here imports Django: grading (``quizzes.grading``) and the GIFT format
(``quizzes.gift``) work on these objects, and the Django side stores their dicts.

Weights are percents, as in Moodle's GIFT: 100 is a full-mark answer, 50 half, -100 cancels a right one.
Choices carry a stable ``id`` ("a", "b", ... by position when parsed) that responses refer to; true/false
questions use the fixed ids "true" and "false".

The package is split by concept: ``base`` (errors, ids, the dict form, shared checks), ``choice_kinds``
(single choice, multiple response, true/false) and ``answer_kinds`` (short answer, numeric, matching);
everything public is importable from ``quizzes.spec``.
"""

from __future__ import annotations

from typing import Any

from quizzes.spec.answer_kinds import Matching, Numeric, ShortAnswer
from quizzes.spec.base import (
    FORMATS,
    SCORINGS,
    Answer,
    Choice,
    NumericAnswer,
    Pair,
    QuestionSpec,
    SpecError,
    choice_id,
    normalize_answer,
)
from quizzes.spec.choice_kinds import MultipleResponse, SingleChoice, TrueFalse

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
