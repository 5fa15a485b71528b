"""Instructor page: item analysis of one quiz (quizzes/item_analysis.py), with flagged questions."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest

from ..item_analysis import quiz_item_analysis
from ..models import Quiz
from ..statistics import DISCRIMINATION_LOW, FACILITY_HIGH, FACILITY_LOW


@instructor_required
@require_GET
def quiz_statistics(request: HtmxHttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id, course__slug=course_slug)
    all_attempts = request.GET.get("attempts") == "all"
    report = quiz_item_analysis(quiz=quiz, all_attempts=all_attempts)
    return render(
        request,
        "quizzes/quiz_statistics.html",
        {
            "course": quiz.course,
            "quiz": quiz,
            "report": report,
            "flagged": [row for row in report.questions if row.flags],
            "facility_low": FACILITY_LOW,
            "facility_high": FACILITY_HIGH,
            "discrimination_low": DISCRIMINATION_LOW,
        },
    )
