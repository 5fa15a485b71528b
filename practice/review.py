"""Spaced review with FSRS (the maintained ``fsrs`` package, py-fsrs): services and selectors.

- Every missed knowledge-check question, every graded-quiz or practice-exam question not answered right in a
  submitted attempt, and every failed check of a graded lab submission becomes a ReviewItem for that student
  (``review_sync``: pulled from the answers and results since the student's last sync, so quizzes and labs
  never call into this app). A new item is an FSRS card due at once.
- 'Review today' shows the items due now (``review_due``): never a suspended one, and never one already
  reviewed today, even when FSRS's short learning steps (1 and 10 minutes) make it due again the same day.
- The student records recall as again / hard / good / easy; ``review_item_rate`` hands the card and rating
  to ``fsrs.Scheduler.review_card`` and stores the card it returns: the due dates are the library's.

Fuzzing is off so a rating always moves a card to the same date (what the tests compare with the library).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from labs.models import Submission
from quizzes import questions
from quizzes.grading import Grade, ResponseError
from quizzes.models import Attempt, CheckAnswer

from .models import ReviewItem, ReviewLog, ReviewSync

SCHEDULER = Scheduler(enable_fuzzing=False)
RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
# Answers saved in a transaction that committed a little after its timestamp are still picked up.
SYNC_OVERLAP = timedelta(minutes=5)
SYNC_EVERY = timedelta(seconds=20)


class ReviewError(Exception):
    """A review action that is not allowed; ``message`` is shown to the student."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _new_item(*, user, course_id: int, source: str, due: datetime, **what) -> ReviewItem:
    card = Card(due=due)
    return ReviewItem(
        user=user,
        course_id=course_id,
        source=source,
        card=card.to_dict(),
        due=card.due,
        created_at=due,
        **what,
    )


def _missed_questions(user, since: datetime) -> list[ReviewItem]:
    items = []
    for answer in CheckAnswer.objects.filter(user=user, correct=False, answered_at__gt=since).select_related(
        "quiz"
    ):
        items.append(
            _new_item(
                user=user,
                course_id=answer.quiz.course_id,
                source=ReviewItem.Source.CHECK,
                due=answer.answered_at,
                question_id=answer.question_id,
            )
        )
    attempts = Attempt.objects.filter(user=user, submitted_at__gt=since).select_related("quiz")
    for attempt in attempts.prefetch_related("answers"):
        right = {answer.question_id for answer in attempt.answers.all() if answer.correct}
        is_exam = "/exams/" in attempt.quiz.source_key
        for question_id in attempt.question_ids:
            if question_id not in right:  # wrong, or drawn and left unanswered
                items.append(
                    _new_item(
                        user=user,
                        course_id=attempt.quiz.course_id,
                        source=ReviewItem.Source.EXAM if is_exam else ReviewItem.Source.QUIZ,
                        due=attempt.submitted_at,
                        question_id=question_id,
                    )
                )
    return items


def _failed_lab_checks(user, since: datetime) -> list[ReviewItem]:
    items = []
    graded = Submission.objects.filter(
        user=user, kind=Submission.Kind.SUBMIT, status=Submission.Status.GRADED, graded_at__gt=since
    ).select_related("lab__lesson")
    for submission in graded.only("verdicts", "graded_at", "lab__id", "lab__lesson__course_id"):
        if submission.lab.lesson is None:
            continue
        for verdict in submission.verdicts or []:
            if not verdict.get("passed"):
                items.append(
                    _new_item(
                        user=user,
                        course_id=submission.lab.lesson.course_id,
                        source=ReviewItem.Source.LAB,
                        due=submission.graded_at,
                        lab_id=submission.lab_id,
                        check_id=str(verdict.get("id", ""))[:100],
                        check_message=str(verdict.get("message", ""))[:2000],
                    )
                )
    return items


def review_sync_recent(*, user, now: datetime | None = None) -> int:
    """``review_sync`` at most once per ``SYNC_EVERY`` per student (a cache key), for pages viewed often (the
    course page, 'Review today'): a miss shows up in review within that time."""
    key = f"practice:review-sync:{user.pk}"
    if cache.get(key):
        return 0
    created = review_sync(user=user, now=now)
    cache.set(key, 1, SYNC_EVERY.total_seconds())
    return created


def review_sync(*, user, now: datetime | None = None) -> int:
    """Turn the student's misses since the last sync into review items (an existing item is kept as it is:
    its schedule already holds). Returns how many items were created. Cheap when nothing is new: three
    indexed reads and no write (the watermark moves only with new items or after ``SYNC_OVERLAP``), so the
    course page and 'Review today' can call it on every view."""
    now = now or timezone.now()
    sync = ReviewSync.objects.filter(user=user).first()
    since = (sync.synced_at if sync else datetime(2000, 1, 1, tzinfo=UTC)) - SYNC_OVERLAP
    candidates = _missed_questions(user, since) + _failed_lab_checks(user, since)
    created = 0
    if not candidates and sync is not None and now - sync.synced_at <= SYNC_OVERLAP:
        return 0  # nothing new and the watermark is recent: no write at all
    with transaction.atomic():
        if candidates:
            before = ReviewItem.objects.filter(user=user).count()
            # Concurrent syncs are harmless: the unique constraints drop what another one already added.
            ReviewItem.objects.bulk_create(candidates, ignore_conflicts=True)
            created = ReviewItem.objects.filter(user=user).count() - before
        if sync is None:
            ReviewSync.objects.get_or_create(user=user, defaults={"synced_at": now})
        elif candidates or now - sync.synced_at > SYNC_OVERLAP:
            ReviewSync.objects.filter(pk=sync.pk, synced_at__lt=now).update(synced_at=now)
    return created


def _start_of_day(now: datetime) -> datetime:
    return datetime.combine(timezone.localdate(now), time.min, tzinfo=timezone.get_current_timezone())


def _due_queryset(*, user, course, now: datetime):
    return (
        ReviewItem.objects.filter(user=user, course=course, suspended=False, due__lte=now)
        .exclude(last_review__gte=_start_of_day(now))  # no item twice in a day
        .order_by("due", "id")
    )


def review_due_count(*, user, course, now: datetime | None = None) -> int | None:
    """Items due now for the course page (None for anonymous visitors)."""
    if not user.is_authenticated:
        return None
    now = now or timezone.now()
    review_sync_recent(user=user, now=now)
    return _due_queryset(user=user, course=course, now=now).count()


def review_due(*, user, course, now: datetime | None = None, limit: int = 1) -> list[ReviewItem]:
    now = now or timezone.now()
    return list(_due_queryset(user=user, course=course, now=now).select_related("question", "lab")[:limit])


def review_item_answer(*, item: ReviewItem, response) -> Grade:
    """Grade an answer given during review (nothing is stored: the recall rating is what counts)."""
    if item.question is None:
        raise ReviewError("This review item is a lab check, not a question.")
    try:
        return questions.grade_response(item.question, response)
    except ResponseError as exc:
        raise ReviewError(f"Invalid answer: {exc}") from exc


def review_item_rate(*, item: ReviewItem, rating: str, now: datetime | None = None) -> ReviewItem:
    """Record recall (again / hard / good / easy) and reschedule with FSRS. Raises ReviewError for an
    unknown rating, a suspended item, or one already reviewed today."""
    if rating not in RATINGS:
        raise ReviewError("Choose again, hard, good or easy.")
    now = now or timezone.now()
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.suspended:
            raise ReviewError("This item is suspended; resume it first.", status=409)
        if item.last_review and item.last_review >= _start_of_day(now):
            raise ReviewError("You already reviewed this item today.", status=409)
        card, _log = SCHEDULER.review_card(
            Card.from_dict(item.card), RATINGS[rating], review_datetime=now.astimezone(UTC)
        )
        item.card, item.due, item.last_review = card.to_dict(), card.due, now
        item.reviews += 1
        item.save(update_fields=["card", "due", "last_review", "reviews"])
        ReviewLog.objects.create(item=item, rating=int(RATINGS[rating]), reviewed_at=now, due_after=card.due)
    return item


def review_item_suspend(*, item: ReviewItem, suspended: bool = True) -> ReviewItem:
    item.suspended = suspended
    item.save(update_fields=["suspended"])
    return item


__all__ = [
    "RATINGS",
    "SCHEDULER",
    "ReviewError",
    "review_due",
    "review_due_count",
    "review_item_answer",
    "review_item_rate",
    "review_item_suspend",
    "review_sync",
    "review_sync_recent",
]
