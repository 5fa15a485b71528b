"""Selectors for item analysis: read a quiz's submitted attempts (first attempts by default, as Moodle) in two
queries and hand plain numbers to ``quizzes.statistics.analyse``.

A question drawn into an attempt but left unanswered scores 0 for the version that was current when the
attempt was submitted. Versions (quizzes/versions.py) are analysed apart, each named on the report."""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import TextField
from django.db.models.functions import Cast

from .models import Attempt, AttemptAnswer, Question, QuestionVersion, Quiz
from .statistics import Analysis, analyse, choice_shares_counted

CHOICE_KINDS = {"single", "multiple", "truefalse"}


@dataclass
class ChoiceRow:
    id: str
    text: str
    share: float
    correct: bool


@dataclass
class QuestionRow:
    question_id: int
    version: int
    current: bool
    title: str
    kind: str
    n: int
    facility: float | None
    discrimination: float | None
    flags: list[str]
    choices: list[ChoiceRow] = field(default_factory=list)
    version_note: str = ""

    def as_json(self) -> dict:
        return {
            "question": self.question_id,
            "version": self.version,
            "title": self.title,
            "n": self.n,
            "facility": self.facility,
            "discrimination": self.discrimination,
        }


@dataclass
class QuizReport:
    quiz: Quiz
    all_attempts: bool
    attempts: int
    cronbach_alpha: float | None
    questions: list[QuestionRow]

    def as_json(self) -> dict:
        return {
            "quiz": self.quiz.slug,
            "attempts": self.attempts,
            "cronbach_alpha": self.cronbach_alpha,
            "questions": [row.as_json() for row in self.questions],
        }

    @property
    def alpha_note(self) -> str:
        if self.cronbach_alpha is not None:
            return ""
        return (
            "Cronbach's alpha is undefined here: it needs at least two attempts that all hold the same two "
            "or more questions (and versions) and whose totals vary."
        )


def _choice_rows(spec: dict, responses: list[tuple[object, int]]) -> list[ChoiceRow]:
    if spec.get("kind") == "truefalse":
        shares = choice_shares_counted(responses, ["true", "false"])
        answer = spec.get("answer")
        return [
            ChoiceRow("true", "True", shares["true"], answer is True),
            ChoiceRow("false", "False", shares["false"], answer is False),
        ]
    choices = spec.get("choices", [])
    shares = choice_shares_counted(responses, [choice["id"] for choice in choices])
    return [
        ChoiceRow(choice["id"], choice["text"], shares[choice["id"]], choice.get("weight", 0) > 0)
        for choice in choices
    ]


def _decode(response_text: str | None) -> object:
    return None if response_text is None else json.loads(response_text)


def _version_at(replaced: list, submitted_at, current: int) -> int:
    """The version current at ``submitted_at``, given [(replaced_at, number)] sorted by time."""
    index = bisect.bisect_right([when for when, _ in replaced], submitted_at)
    return replaced[index][1] if index < len(replaced) else current


def quiz_item_analysis(*, quiz: Quiz, all_attempts: bool = False) -> QuizReport:
    """Item statistics of ``quiz`` over its submitted first attempts (every submitted attempt with
    ``all_attempts``). Reads attempts, answers, questions and versions; no per-row queries."""
    attempts = Attempt.objects.filter(quiz=quiz, submitted_at__isnull=False)
    if not all_attempts:
        attempts = attempts.filter(number=1)
    attempt_rows = list(attempts.values_list("id", "question_ids", "submitted_at"))
    # One pass over the answers. Responses come as their JSON text and are counted as text: a question has a
    # few distinct responses, so only those are decoded (decoding 100,000 small documents was most of the time).
    rows = (
        AttemptAnswer.objects.filter(attempt__in=attempts)
        .annotate(response_text=Cast("response", TextField()))
        .values_list("attempt_id", "question_id", "question_version", "score", "response_text")
    )
    scores: dict[int, dict[tuple[int, int], float]] = defaultdict(dict)
    response_counts: Counter = Counter()
    for attempt_id, question_id, version, score, response_text in rows:
        scores[attempt_id][(question_id, version)] = score
        response_counts[(question_id, version, response_text)] += 1
    responses: dict[tuple[int, int], list[tuple[object, int]]] = defaultdict(list)
    for (question_id, version, response_text), count in response_counts.items():
        responses[(question_id, version)].append((_decode(response_text), count))
    unanswered: dict[tuple[int, int], int] = defaultdict(int)
    question_ids = {question_id for _, ids, _ in attempt_rows for question_id in ids}
    questions = {question.id: question for question in Question.objects.filter(id__in=question_ids)}
    old_versions = {
        (version.question_id, version.number): version
        for version in QuestionVersion.objects.filter(question_id__in=question_ids)
    }
    replaced: dict[int, list] = defaultdict(list)
    for (question_id, number), version in sorted(old_versions.items()):
        replaced[question_id].append((version.replaced_at, number))
    per_attempt = []
    for attempt_id, ids, submitted_at in attempt_rows:
        answered = scores.get(attempt_id, {})
        seen = {question_id for question_id, _ in answered}
        row = dict(answered)
        for question_id in ids:
            if question_id not in seen and question_id in questions:  # drawn, left unanswered: 0
                version = _version_at(replaced[question_id], submitted_at, questions[question_id].version)
                row[(question_id, version)] = 0.0
                unanswered[(question_id, version)] += 1
        per_attempt.append(row)
    for key, count in unanswered.items():
        responses[key].append((None, count))
    analysis = analyse(per_attempt)
    return QuizReport(
        quiz=quiz,
        all_attempts=all_attempts,
        attempts=analysis.attempts,
        cronbach_alpha=analysis.cronbach_alpha,
        questions=_question_rows(quiz, analysis, questions, old_versions, responses),
    )


def _question_rows(quiz, analysis: Analysis, questions, old_versions, responses) -> list[QuestionRow]:
    item_ids = quiz.items.order_by("order").values_list("question_id", flat=True)
    order = {question_id: index for index, question_id in enumerate(item_ids)}
    rows = []
    for (question_id, version), stats in analysis.items.items():
        question = questions.get(question_id)
        if question is None:
            continue
        old = old_versions.get((question_id, version))
        spec = old.spec if old else question.spec
        note = ""
        if old:
            note = (
                f"Version {version}: edited on {old.replaced_at:%Y-%m-%d %H:%M} UTC after {old.answers} "
                f"answer(s); answers to later versions are counted apart."
            )
        elif question.version > 1:
            note = f"Version {version}, the current text (earlier versions are listed apart)."
        rows.append(
            QuestionRow(
                question_id=question_id,
                version=version,
                current=old is None,
                title=old.title if old else question.title,
                kind=spec.get("kind", question.kind),
                n=stats.n,
                facility=stats.facility,
                discrimination=stats.discrimination,
                flags=stats.flags,
                choices=_choice_rows(spec, responses[(question_id, version)])
                if spec.get("kind") in CHOICE_KINDS
                else [],
                version_note=note,
            )
        )
    rows.sort(key=lambda row: (order.get(row.question_id, len(order)), row.question_id, row.version))
    return rows


__all__ = ["QuestionRow", "QuizReport", "quiz_item_analysis"]
