"""Writes for quizzes: knowledge-check answers, quiz attempts, and authoring. Scores are computed here, on
the server, from the stored question; nothing the browser sends is trusted beyond the response itself."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Course
from courses.page_cache import user_generation_bump
from courses.services import course_content_changed
from courses.signals import score_changed

from . import questions, selectors
from .files import with_file_urls
from .gift import GiftError, parse_gift
from .grading import ResponseError
from .interchange import Bank, BankError
from .models import (
    GRADED_QUIZ_ATTEMPTS,
    Attempt,
    AttemptAnswer,
    CheckAnswer,
    Question,
    QuestionFile,
    Quiz,
    QuizItem,
)
from .spec import SpecError, from_dict
from .versions import choice_ids_kept, question_version_bump

# Answers that arrive this long after the deadline still count: the request was on its way in time.
DEADLINE_GRACE = timedelta(seconds=5)


class QuizError(Exception):
    """A quiz action that is not allowed; ``message`` is shown to the user. ``errors`` lists every problem
    found as ``(field, message)`` pairs, ``field`` "" when no form field is at fault."""

    def __init__(self, message: str, status: int = 400, *, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or [("", message)]


# --- Knowledge checks ---------------------------------------------------------------------------------
def check_answer(*, user, quiz: Quiz, question: Question, response, now: datetime | None = None):
    """Grade a knowledge-check answer and keep it as the student's latest. Returns (CheckAnswer, Grade)."""
    if quiz.kind != Quiz.Kind.CHECK or not quiz.items.filter(question=question).exists():
        raise QuizError("That question is not part of this knowledge check.", status=404)
    try:
        grade = questions.grade_response(question, response)
    except ResponseError as exc:
        raise QuizError(f"Invalid answer: {exc}") from exc
    now = now or timezone.now()
    with transaction.atomic():
        answer, created = CheckAnswer.objects.select_for_update().get_or_create(
            user=user,
            quiz=quiz,
            question=question,
            defaults={
                "response": response,
                "score": grade.score,
                "correct": grade.correct,
                "answered_at": now,
                "question_version": question.version,
            },
        )
        if not created:
            answer.response, answer.score, answer.correct = response, grade.score, grade.correct
            answer.answered_at, answer.tries = now, answer.tries + 1
            answer.question_version = question.version
            answer.save()
    user_generation_bump(user_id=user.id)
    return answer, grade


# --- Graded quizzes -----------------------------------------------------------------------------------
def _draw_questions(quiz: Quiz, rng: random.Random) -> list[int]:
    fixed = list(quiz.items.order_by("order").values_list("question_id", flat=True))
    if quiz.draw_tags and quiz.draw_count:
        pool = [
            question.id
            for question in Question.objects.filter(course=quiz.course).exclude(id__in=fixed)
            if set(question.tags) & set(quiz.draw_tags)
        ]
        fixed += rng.sample(sorted(pool), min(quiz.draw_count, len(pool)))
    if quiz.shuffle_questions:
        rng.shuffle(fixed)
    return fixed


def attempt_start(
    *, user, quiz: Quiz, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start an attempt, or return the one already open. Enforces the number of attempts allowed."""
    now = now or timezone.now()
    rng = rng or random.Random()  # noqa: S311 (shuffling questions is not security-sensitive)
    with transaction.atomic():
        open_attempt = Attempt.objects.filter(quiz=quiz, user=user, submitted_at__isnull=True).first()
        if open_attempt is not None:
            if not attempt_expired(open_attempt, now):
                return open_attempt
            attempt_submit(attempt=open_attempt, now=now)
        if quiz.is_past_due(now):
            raise QuizError(
                f"This quiz was due {timezone.localtime(quiz.due_at):%Y-%m-%d %H:%M %Z}.", status=403
            )
        used = Attempt.objects.filter(quiz=quiz, user=user).count()
        if quiz.attempts_allowed and used >= quiz.attempts_allowed:
            raise QuizError(f"You have used all {quiz.attempts_allowed} attempt(s) of this quiz.", status=403)
        question_ids = _draw_questions(quiz, rng)
        if not question_ids:
            raise QuizError("This quiz has no questions yet.")
        choice_orders = {}
        if quiz.shuffle_choices:
            for question in Question.objects.filter(id__in=question_ids).order_by("id"):
                if order := questions.shuffled_choice_ids(question, rng):
                    choice_orders[str(question.id)] = order
        deadline = now + timedelta(seconds=quiz.time_limit_s) if quiz.time_limit_s else None
        try:
            return Attempt.objects.create(
                quiz=quiz,
                user=user,
                number=used + 1,
                started_at=now,
                deadline=deadline,
                question_ids=question_ids,
                choice_orders=choice_orders,
            )
        except IntegrityError as exc:  # two tabs started at once
            raise QuizError("An attempt was just started in another window; reload the page.", 409) from exc


def attempt_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + DEADLINE_GRACE


def attempt_answer(
    *, attempt: Attempt, question_id: int, response, now: datetime | None = None
) -> AttemptAnswer:
    """Save one answer of an open attempt (autosave). Nothing is graded for the student until submit."""
    now = now or timezone.now()
    if not attempt.is_open:
        raise QuizError("This attempt has been submitted; answers can no longer change.", status=409)
    if attempt_expired(attempt, now):
        raise QuizError("Time is up: the answer was not saved.", status=409)
    if question_id not in attempt.question_ids:
        raise QuizError("That question is not part of this attempt.", status=404)
    question = Question.objects.get(pk=question_id)
    try:
        grade = questions.grade_response(question, response)
    except ResponseError as exc:
        raise QuizError(f"Invalid answer: {exc}") from exc
    answer, _ = AttemptAnswer.objects.update_or_create(
        attempt=attempt,
        question=question,
        defaults={
            "response": response,
            "score": grade.score,
            "correct": grade.correct,
            "question_version": question.version,
        },
    )
    return answer


def attempt_submit(
    *, attempt: Attempt, responses: dict[int, object] | None = None, now: datetime | None = None
) -> Attempt:
    """Save the last answers (unless time is up), then score the attempt on the server. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.is_open:
            return attempt
        if responses and not attempt_expired(attempt, now):
            for question_id, response in responses.items():
                attempt_answer(attempt=attempt, question_id=question_id, response=response, now=now)
        scores = dict(attempt.answers.values_list("question_id", "score"))
        total = sum(scores.get(question_id, 0.0) for question_id in attempt.question_ids)
        attempt.score = round(100 * total / len(attempt.question_ids), 2) if attempt.question_ids else 0.0
        attempt.passed = attempt.score >= attempt.quiz.pass_mark
        attempt.submitted_at = min(now, attempt.deadline + DEADLINE_GRACE) if attempt.deadline else now
        attempt.save()
        score_changed.send(sender=Attempt, user=attempt.user, item=attempt.quiz)  # e.g. to linked LMS courses
    return attempt


# --- Authoring ----------------------------------------------------------------------------------------
def question_save(
    *, course: Course, spec_data: dict, question: Question | None = None, user=None, lesson=None
) -> Question:
    """Create or update a question from spec data. Raises SpecError (field, message) when invalid. Choices
    whose text is unchanged keep their ids, so students' stored answers still name the same choice."""
    if question is not None:
        spec_data = choice_ids_kept(question.spec, spec_data)
    spec = from_dict(spec_data)
    spec.validate()
    values = {
        "kind": spec.kind,
        "title": spec.title,
        "category": spec.category or "",
        "tags": list(spec.tags),
        "spec": spec.to_dict(),
        "lesson": lesson,
    }
    if question is None:
        question = Question.objects.create(course=course, created_by=user, **values)
    else:
        question_version_bump(question=question, new_spec=values["spec"])  # answered + edited: new version
        for name, value in values.items():
            setattr(question, name, value)
        question.save()
    course_content_changed(course_id=course.id)  # the question may show in a lesson's knowledge check
    return question


def question_duplicate(*, question: Question, user=None) -> Question:
    data = dict(question.spec, title=f"{question.title} (copy)")
    return question_save(course=question.course, spec_data=data, user=user, lesson=question.lesson)


def quiz_set_questions(*, quiz: Quiz, question_ids: list[int]) -> None:
    """Replace the quiz's ordered question list (used by reorder, add and remove)."""
    if len(set(question_ids)) != len(question_ids):
        raise QuizError("A question appears twice in the list.")
    valid = set(Question.objects.filter(course=quiz.course, id__in=question_ids).values_list("id", flat=True))
    if valid != set(question_ids):
        raise QuizError("Some questions are not in this course.")
    with transaction.atomic():
        quiz.items.all().delete()
        QuizItem.objects.bulk_create(
            QuizItem(quiz=quiz, question_id=question_id, order=order)
            for order, question_id in enumerate(question_ids, start=1)
        )
    course_content_changed(course_id=quiz.course_id)


def question_delete(*, question: Question) -> None:
    """Delete a question nobody has answered. Raises QuizError when students' answers refer to it."""
    if selectors.question_has_answers(question=question):
        raise QuizError(
            f"“{question.title}” has students' answers and was kept; remove it from its quizzes "
            "instead, or duplicate it to make a new version."
        )
    with transaction.atomic():
        question.delete()
        course_content_changed(course_id=question.course_id)


QUIZ_FIELDS = (
    "title",
    "slug",
    "kind",
    "lesson",
    "description",
    "attempts_allowed",
    "review_answers",
    "due_at",
    "shuffle_questions",
    "shuffle_choices",
    "time_limit_s",
    "pass_mark",
    "draw_count",
    "draw_tags",
    "is_published",
)


def quiz_save(*, course: Course, values: dict, quiz: Quiz | None = None) -> Quiz:
    """Create (``quiz`` None) or update a quiz of ``course`` with ``values`` (names from ``QUIZ_FIELDS``).
    Checks every rule before saving; raises QuizError whose ``errors`` name each value at fault."""
    unknown = sorted(set(values) - set(QUIZ_FIELDS))
    if unknown:
        raise QuizError(f"Not a field of a quiz: {', '.join(unknown)}.")
    if quiz is None:
        quiz = Quiz(course=course)
        if values.get("kind", Quiz.Kind.QUIZ) == Quiz.Kind.QUIZ:
            quiz.attempts_allowed = GRADED_QUIZ_ATTEMPTS
    for name, value in values.items():
        setattr(quiz, name, value)
    quiz.course = course
    problems = _quiz_problems(course, quiz)
    if problems:
        raise QuizError(problems[0][1], errors=problems)
    with transaction.atomic():
        quiz.save()
        course_content_changed(course_id=course.id)
    return quiz


def _quiz_problems(course: Course, quiz: Quiz) -> list[tuple[str, str]]:
    found = []
    if Quiz.objects.filter(course=course, slug=quiz.slug).exclude(pk=quiz.pk).exists():
        found.append(("slug", "Another quiz of this course has this slug."))
    if quiz.pass_mark > 100:
        found.append(("pass_mark", "The pass mark is a percentage (0 to 100)."))
    if quiz.kind == Quiz.Kind.CHECK and quiz.lesson is None:
        found.append(("lesson", "A knowledge check belongs to a lesson."))
    elif quiz.lesson is not None and quiz.lesson.course_id != course.id:
        found.append(("lesson", "The lesson belongs to another course."))
    return found


def quiz_delete(*, quiz: Quiz) -> None:
    """Delete a quiz nobody has attempted. Raises QuizError when students' attempts or answers exist."""
    if selectors.quiz_has_answers(quiz=quiz):
        raise QuizError(f"“{quiz.title}” has students' attempts and was kept; unpublish it instead.")
    with transaction.atomic():
        quiz.delete()
        course_content_changed(course_id=quiz.course_id)


def gift_import(*, course: Course, text: str, quiz: Quiz | None = None, user=None) -> list[Question]:
    """Import GIFT text into the course's bank (and append to ``quiz``). All or nothing: raises GiftError
    naming the line of every problem, and then nothing is saved. For trusted text (fixtures, seeds): it
    does not report warnings; uploads and commands go through ``read_bank`` and ``bank_import``."""
    specs = parse_gift(text)
    if not specs:
        raise GiftError(1, "the file contains no questions")
    return bank_import(course=course, bank=Bank(questions=specs), quiz=quiz, user=user)


def bank_import(*, course: Course, bank: Bank, quiz: Quiz | None = None, user=None) -> list[Question]:
    """Save a question bank read from any format (``quizzes.interchange.Bank``) into the course, with its
    images, and append its questions to ``quiz``. All or nothing, in one transaction. Raises BankError
    when there is nothing to import."""
    if not bank.questions:
        raise BankError(0, "the file contains no questions that can be imported")
    with transaction.atomic():
        for stored in bank.files.values():
            QuestionFile.objects.get_or_create(
                sha256=stored.sha256,
                defaults={"name": stored.name, "content_type": stored.content_type, "data": stored.data},
            )
        created = []
        for spec in bank.questions:
            data = with_file_urls(spec.to_dict())
            created.append(
                Question.objects.create(
                    course=course,
                    kind=spec.kind,
                    title=spec.title,
                    category=spec.category or "",
                    tags=list(spec.tags),
                    spec=data,
                    created_by=user,
                    lesson=quiz.lesson if quiz else None,
                )
            )
        if quiz is not None:
            start = quiz.items.count()
            QuizItem.objects.bulk_create(
                QuizItem(quiz=quiz, question=question, order=start + index)
                for index, question in enumerate(created, start=1)
            )
        course_content_changed(course_id=course.id)
    return created


__all__ = [
    "QuizError",
    "SpecError",
    "attempt_answer",
    "attempt_start",
    "attempt_submit",
    "bank_import",
    "check_answer",
    "gift_import",
    "question_delete",
    "question_duplicate",
    "question_save",
    "quiz_delete",
    "quiz_save",
    "quiz_set_questions",
]
