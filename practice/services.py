"""Writes for practice exams. An exam is a ``quizzes.Attempt`` on a course's exam pool (practice/content.py):
the pool quiz is never published as an ordinary quiz, and this module draws each attempt's questions by
SAA-C03 domain weights and sets its deadline. Answers autosave and submit through ``quizzes.services``
(``attempt_answer`` refuses an answer after the deadline; ``attempt_submit`` scores what was saved), so the
timer is the server's, and a lost connection resumes the same open attempt with its saved answers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes import questions
from quizzes.models import Attempt, Question, Quiz
from quizzes.services import QuizError, attempt_expired, attempt_submit

from .blueprint import FORMS, draw_exam, exam_seconds, question_domain


def pool_by_domain(pool: Quiz) -> dict[str, list[int]]:
    """The pool's question ids per domain key (from each question's ``domain:`` tag)."""
    by_domain: dict[str, list[int]] = {}
    for question_id, tags in Question.objects.filter(items__quiz=pool).values_list("id", "tags"):
        domain, _ = question_domain(tags)
        if domain:
            by_domain.setdefault(domain, []).append(question_id)
    return by_domain


def seen_questions(*, user, pool: Quiz) -> set[int]:
    """Every question of the pool the student was shown in an earlier exam."""
    seen: set[int] = set()
    for ids in Attempt.objects.filter(quiz=pool, user=user).values_list("question_ids", flat=True):
        seen.update(ids)
    return seen


def exam_start(
    *, user, pool: Quiz, size: int, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start a practice exam of ``size`` questions (one of ``FORMS``), or return the student's open one
    (resume: same questions, saved answers, same deadline). An open exam whose time is up is submitted
    first. Raises QuizError for an unknown form or an empty pool."""
    if size not in FORMS:
        raise QuizError(f"Choose one of the exam forms: {', '.join(map(str, FORMS))} questions.")
    now = now or timezone.now()
    rng = rng or random.Random()  # noqa: S311 (drawing questions is not security-sensitive)
    with transaction.atomic():
        open_attempt = Attempt.objects.filter(quiz=pool, user=user, submitted_at__isnull=True).first()
        if open_attempt is not None:
            if not attempt_expired(open_attempt, now):
                return open_attempt
            attempt_submit(attempt=open_attempt, now=now)
        question_ids = draw_exam(pool_by_domain(pool), seen_questions(user=user, pool=pool), size, rng)
        if len(question_ids) < size:
            raise QuizError(f"The pool has only {len(question_ids)} questions; choose a shorter form.")
        choice_orders = {
            str(question.id): questions.shuffled_choice_ids(question, rng)
            for question in Question.objects.filter(id__in=question_ids)
        }
        used = Attempt.objects.filter(quiz=pool, user=user).count()
        try:
            return Attempt.objects.create(
                quiz=pool,
                user=user,
                number=used + 1,
                started_at=now,
                deadline=now + timedelta(seconds=exam_seconds(size)),
                question_ids=question_ids,
                choice_orders=choice_orders,
            )
        except IntegrityError as exc:  # two tabs started at once
            raise QuizError("An exam was just started in another window; reload the page.", 409) from exc


def exam_submit(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Score the exam from its saved answers (idempotent; after the deadline only what was saved in time)."""
    return attempt_submit(attempt=attempt, now=now)


__all__ = ["exam_start", "exam_submit", "pool_by_domain", "seen_questions"]
