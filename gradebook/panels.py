"""What the gradebook adds to the course page (settings.COURSE_PANELS): the student's own assessments,
the course's labs and graded quizzes in course order, each with its due date, the student's status
(not started / in progress / submitted / graded) and best score. The course page is their hub."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from courses.models import Course
from gradebook.selectors import gradebook_for
from labs.selectors import LabStanding, lab_standings
from quizzes.models import Attempt, Quiz

__all__ = ["QuizStanding", "course_assessments_panel", "quiz_standings"]


@dataclass(frozen=True)
class QuizStanding:
    """Where one student stands on one graded quiz: ``status`` as for labs (LabStanding's values; a quiz
    is graded the moment it is submitted), ``best`` the best submitted attempt in percent."""

    status: str = LabStanding.NOT_STARTED
    best: float | None = None
    attempts: int = 0


def quiz_standings(user, quizzes: list[Quiz]) -> dict[int, QuizStanding]:
    """Each quiz's standing for ``user`` (by quiz id), in one query. ``attempts``: attempts started."""
    standings = {quiz.pk: QuizStanding() for quiz in quizzes}
    if not user.is_authenticated or not quizzes:
        return standings
    rows = (
        Attempt.objects.filter(user=user, quiz__in=quizzes)
        .values("quiz_id")
        .annotate(best=Max("score"), last_submitted=Max("submitted_at"), attempts=Max("number"))
    )
    for row in rows:
        # Only a submitted attempt has a score; an attempt still open means the quiz is in progress.
        status = LabStanding.GRADED if row["last_submitted"] is not None else LabStanding.IN_PROGRESS
        standings[row["quiz_id"]] = QuizStanding(status, row["best"], row["attempts"])
    return standings


def course_assessments_panel(request, course: Course) -> str:
    book = gradebook_for(course)
    labs = lab_standings(request.user, book.labs)
    quizzes = quiz_standings(request.user, book.quizzes)
    return render_to_string(
        "gradebook/_course_assessments.html",
        {
            "course": course,
            "labs": [(lab, labs[lab.pk]) for lab in book.labs],
            "quizzes": [(quiz, quizzes[quiz.pk]) for quiz in book.quizzes],
            "now": timezone.now(),
        },
        request=request,
    )
