"""'Review today': the student's due review items one at a time; answer (questions), rate recall, suspend."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from config.htmx import HtmxHttpRequest
from courses.models import Course
from quizzes import questions
from quizzes.responses import response_from_post

from ..models import ReviewItem
from ..review import (
    ReviewError,
    review_due,
    review_due_count,
    review_item_answer,
    review_item_rate,
    review_item_suspend,
)


def _own_item(request: HtmxHttpRequest, item_id: int) -> ReviewItem:
    return get_object_or_404(
        ReviewItem.objects.select_related("question", "lab", "lab__lesson", "course"),
        pk=item_id,
        user=request.user,
    )


@login_required
@require_GET
def review_today(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    due = review_due_count(user=request.user, course=course)
    current = review_due(user=request.user, course=course)
    item = current[0] if current else None
    view = questions.public_view(item.question) if item and item.question else None
    suspended = (
        ReviewItem.objects.filter(user=request.user, course=course, suspended=True)
        .select_related("question")
        .only("id", "check_id", "question__title")
        .order_by("id")[:20]
    )
    return render(
        request,
        "practice/review_today.html",
        {"course": course, "due": due, "item": item, "view": view, "suspended": suspended},
    )


@login_required
@require_POST
def review_answer(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    """htmx: grade the answer given in review and show the explanation with the recall buttons."""
    item = _own_item(request, item_id)
    if item.question is None:
        return HttpResponse('<p class="error" role="alert">This item has no question.</p>', status=400)
    view = questions.public_view(item.question)
    response = response_from_post(item.question.kind, request.POST, view)
    if response is None:
        return HttpResponse('<p class="muted">Choose an answer first.</p>')
    try:
        grade = review_item_answer(item=item, response=response)
    except ReviewError as exc:
        # The message quotes what the student posted: escaped, never echoed as HTML (htmx swaps it in).
        return HttpResponse(
            format_html('<p class="error" role="alert">{}</p>', exc.message), status=exc.status
        )
    spec = questions.load_spec(item.question)
    return render(
        request,
        "practice/_review_feedback.html",
        {
            "item": item,
            "grade": grade,
            "solution": spec.solution_text(),
            "suggested": "good" if grade.correct else "again",
        },
    )


@login_required
@require_POST
def review_rate(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = _own_item(request, item_id)
    try:
        item = review_item_rate(item=item, rating=request.POST.get("rating", ""))
    except ReviewError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Recorded. Next review on {item.due:%Y-%m-%d}.")
    return redirect("practice:review_today", course_slug=item.course.slug)


@login_required
@require_POST
def review_suspend(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = _own_item(request, item_id)
    suspend = request.POST.get("suspend", "1") == "1"
    review_item_suspend(item=item, suspended=suspend)
    messages.success(
        request, "Suspended: it will not come back until you resume it." if suspend else "Resumed."
    )
    return redirect("practice:review_today", course_slug=item.course.slug)
