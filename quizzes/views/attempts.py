"""Graded quizzes: start an attempt, answer (autosaved with htmx), submit, review. Scores and the time
limit are enforced on the server; correct answers appear only in the review of a submitted attempt."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_instructor
from config.htmx import HtmxHttpRequest
from courses.models import Course, Enrollment

from .. import questions
from ..models import Attempt, Question, Quiz
from ..responses import response_from_post
from ..services import QuizError, attempt_answer, attempt_expired, attempt_start, attempt_submit


def _require_enrolled(request: HtmxHttpRequest, course: Course) -> None:
    if (
        not is_instructor(request.user)
        and not Enrollment.objects.filter(user=request.user, course=course).exists()
    ):
        raise QuizError("Enroll in the course to take its quizzes.", status=403)


def _own_attempt(request: HtmxHttpRequest, attempt_id: int) -> Attempt:
    # Another student's attempt is a 404, not a 403: its existence is not revealed.
    return get_object_or_404(
        Attempt.objects.select_related("quiz", "quiz__course"), pk=attempt_id, user=request.user
    )


@login_required
@require_GET
def quiz_list(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    quizzes = Quiz.objects.filter(course=course, kind=Quiz.Kind.QUIZ, is_published=True).order_by("title")
    return render(request, "quizzes/quiz_list.html", {"course": course, "quizzes": quizzes})


@login_required
@require_GET
def quiz_detail(request: HtmxHttpRequest, course_slug: str, quiz_slug: str) -> HttpResponse:
    quiz = get_object_or_404(
        Quiz.objects.select_related("course"), course__slug=course_slug, slug=quiz_slug, is_published=True
    )
    attempts = list(Attempt.objects.filter(quiz=quiz, user=request.user).order_by("number"))
    remaining = None if not quiz.attempts_allowed else max(0, quiz.attempts_allowed - len(attempts))
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "attempts": attempts,
            "remaining": remaining,
            "past_due": quiz.is_past_due(timezone.now()),
            "count": quiz.items.count() + (quiz.draw_count if quiz.draw_tags else 0),
        },
    )


@login_required
@require_POST
def attempt_start_view(request: HtmxHttpRequest, course_slug: str, quiz_slug: str) -> HttpResponse:
    quiz = get_object_or_404(Quiz, course__slug=course_slug, slug=quiz_slug, is_published=True)
    try:
        _require_enrolled(request, quiz.course)
        attempt = attempt_start(user=request.user, quiz=quiz)
    except QuizError as exc:
        messages.error(request, exc.message)
        return redirect("quizzes:quiz", course_slug=course_slug, quiz_slug=quiz_slug)
    return redirect("quizzes:attempt", attempt_id=attempt.id)


def _attempt_items(attempt: Attempt) -> list[dict]:
    by_id = Question.objects.in_bulk(attempt.question_ids)
    saved = {answer.question_id: answer for answer in attempt.answers.all()}
    items = []
    for number, question_id in enumerate(attempt.question_ids, start=1):
        question = by_id.get(question_id)
        if question is None:
            continue
        view = questions.public_view(question, choice_order=attempt.choice_orders.get(str(question_id)))
        answer = saved.get(question_id)
        items.append(
            {
                "number": number,
                "question": question,
                "view": view,
                "response": answer.response if answer else None,
                "answer": answer,
            }
        )
    return items


@login_required
@require_GET
def attempt_take(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open or attempt_expired(attempt, timezone.now()):
        attempt_submit(attempt=attempt)
        return redirect("quizzes:attempt_review", attempt_id=attempt.id)
    return render(
        request,
        "quizzes/attempt.html",
        {"attempt": attempt, "quiz": attempt.quiz, "items": _attempt_items(attempt)},
    )


@login_required
@require_GET
def attempt_summary(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    """Moodle's "Summary of attempt": each question answered or not, then "Submit all and finish". Only
    the POST from this page's button submits; going back to the attempt changes nothing."""
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open or attempt_expired(attempt, timezone.now()):
        attempt_submit(attempt=attempt)
        return redirect("quizzes:attempt_review", attempt_id=attempt.id)
    items = _attempt_items(attempt)
    unanswered = sum(1 for item in items if item["answer"] is None)
    return render(
        request,
        "quizzes/attempt_summary.html",
        {"attempt": attempt, "quiz": attempt.quiz, "items": items, "unanswered": unanswered},
    )


@login_required
@require_POST
def attempt_answer_view(request: HtmxHttpRequest, attempt_id: int, question_id: int) -> HttpResponse:
    """Autosave of one answer (htmx, on change). Says "saved" and nothing about correctness."""
    attempt = _own_attempt(request, attempt_id)
    question = get_object_or_404(Question, pk=question_id)
    view = questions.public_view(question)
    response = response_from_post(question.kind, request.POST, view)
    if response is None:
        return HttpResponse('<span class="muted">Not answered yet</span>')
    try:
        attempt_answer(attempt=attempt, question_id=question_id, response=response)
    except QuizError as exc:
        # The message quotes what the student posted: escaped, never echoed as HTML (htmx swaps it in).
        return HttpResponse(
            format_html('<span class="error" role="alert">{}</span>', exc.message), status=exc.status
        )
    return HttpResponse('<span class="saved">✓ Saved</span>')


@login_required
@require_POST
def attempt_submit_view(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    """Answers were saved one by one as the student chose them; submitting scores what is saved."""
    attempt = _own_attempt(request, attempt_id)
    try:
        attempt_submit(attempt=attempt)
    except QuizError as exc:
        messages.error(request, exc.message)
        return redirect("quizzes:attempt", attempt_id=attempt.id)
    return redirect("quizzes:attempt_review", attempt_id=attempt.id)


def _describe(view: dict, response) -> str:
    """A response in words: choice texts instead of ids, "left → right" for matching."""
    texts = {choice["id"]: choice["text"] for choice in view.get("choices", [])}
    if isinstance(response, dict):
        return "; ".join(f"{left} → {right}" for left, right in response.items())
    if isinstance(response, list):
        return "; ".join(texts.get(item, str(item)) for item in response)
    return texts.get(response, str(response))


@login_required
@require_GET
def attempt_review(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_open:
        return redirect("quizzes:attempt", attempt_id=attempt.id)
    quiz = attempt.quiz
    used = Attempt.objects.filter(quiz=quiz, user=request.user, submitted_at__isnull=False).count()
    shown = quiz.answers_shown(attempts_used=used, now=timezone.now())
    items = _attempt_items(attempt)
    for item in items:
        spec = questions.load_spec(item["question"])
        item["grade"] = (
            questions.grade_response(item["question"], item["response"])
            if item["response"] is not None
            else None
        )
        item["solution"] = spec.solution_text()
        item["response_text"] = _describe(item["view"], item["response"])
    left = max(0, quiz.attempts_allowed - used) if quiz.attempts_allowed else None
    context = {
        "attempt": attempt,
        "quiz": quiz,
        "items": items,
        "answers_shown": shown,
        "attempts_left": left,
    }
    return render(request, "quizzes/attempt_review.html", context)
