"""Practice exams in the SAA-C03 form: choose a form, take it against the server's clock (answers autosave
through quizzes' answer endpoint), submit, and review each answer with where it is taught."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_instructor
from config.htmx import HtmxHttpRequest
from courses.models import Course, Enrollment
from quizzes import questions
from quizzes.models import Attempt, Question, Quiz
from quizzes.services import QuizError, attempt_expired

from ..blueprint import DOMAINS, ESTIMATED_PASS_FRACTION, FORMS, SCALE_PASS, domain_quotas, exam_seconds
from ..selectors import exam_history, exam_pools, exam_result, seconds_left
from ..services import exam_start, exam_submit

SCALING_NOTE = (
    "The scaled score here is an estimate, not AWS's: AWS reports 100–1,000 with 720 to pass but does not "
    f"publish how raw scores map to the scale. We map {round(ESTIMATED_PASS_FRACTION * 100)}% right to 720, "
    "0% to 100 and 100% to 1,000, in straight lines between."
)


def _pool(request: HtmxHttpRequest, course_slug: str, pool_slug: str) -> Quiz:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    pool = next((pool for pool in exam_pools(course) if pool.slug == pool_slug), None)
    if pool is None:
        raise Http404("No such practice exam.")
    if (
        not is_instructor(request.user)
        and not Enrollment.objects.filter(user=request.user, course=course).exists()
    ):
        raise Http404("Enroll in the course to take its practice exams.")
    return pool


def _own_exam(request: HtmxHttpRequest, attempt_id: int) -> Attempt:
    # Another student's exam is a 404, not a 403: its existence is not revealed.
    attempt = get_object_or_404(
        Attempt.objects.select_related("quiz", "quiz__course"), pk=attempt_id, user=request.user
    )
    if attempt.quiz.is_published or not attempt.quiz.source_key.startswith(
        f"{attempt.quiz.course.slug}/exams/"
    ):
        raise Http404("Not a practice exam.")
    return attempt


@login_required
@require_GET
def exam_home(request: HtmxHttpRequest, course_slug: str, pool_slug: str) -> HttpResponse:
    pool = _pool(request, course_slug, pool_slug)
    history = exam_history(user=request.user, pool=pool)
    open_exam = next((row["attempt"] for row in history if row["attempt"].is_open), None)
    forms = [
        {"size": size, "minutes": exam_seconds(size) // 60, "quotas": domain_quotas(size)} for size in FORMS
    ]
    return render(
        request,
        "practice/exam_home.html",
        {
            "course": pool.course,
            "pool": pool,
            "pool_size": pool.items.count(),
            "forms": forms,
            "domains": DOMAINS,
            "history": history,
            "open_exam": open_exam,
            "scaling_note": SCALING_NOTE,
        },
    )


@login_required
@require_POST
def exam_start_view(request: HtmxHttpRequest, course_slug: str, pool_slug: str) -> HttpResponse:
    pool = _pool(request, course_slug, pool_slug)
    size = request.POST.get("size", "")
    try:
        attempt = exam_start(user=request.user, pool=pool, size=int(size) if size.isdigit() else 0)
    except QuizError as exc:
        messages.error(request, exc.message)
        return redirect("practice:exam_home", course_slug=course_slug, pool_slug=pool_slug)
    return redirect("practice:exam_take", attempt_id=attempt.id)


@login_required
@require_GET
def exam_take(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_exam(request, attempt_id)
    if not attempt.is_open or attempt_expired(attempt, timezone.now()):
        exam_submit(attempt=attempt)
        return redirect("practice:exam_review", attempt_id=attempt.id)
    by_id = Question.objects.in_bulk(attempt.question_ids)
    saved = {answer.question_id: answer.response for answer in attempt.answers.all()}
    items = [
        {
            "number": number,
            "question": by_id[question_id],
            "view": questions.public_view(
                by_id[question_id], choice_order=attempt.choice_orders.get(str(question_id))
            ),
            "response": saved.get(question_id),
            "saved": question_id in saved,
        }
        for number, question_id in enumerate(attempt.question_ids, start=1)
        if question_id in by_id
    ]
    # Resume where it stopped: the first question without a saved answer.
    resume = next((item["number"] for item in items if not item["saved"]), None)
    return render(
        request,
        "practice/exam_take.html",
        {
            "attempt": attempt,
            "course": attempt.quiz.course,
            "pool": attempt.quiz,
            "items": items,
            "answered": len(saved),
            "seconds_left": seconds_left(attempt),
            "resume": resume,
        },
    )


@login_required
@require_POST
def exam_submit_view(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_exam(request, attempt_id)
    exam_submit(attempt=attempt)
    return redirect("practice:exam_review", attempt_id=attempt.id)


@login_required
@require_GET
def exam_review(request: HtmxHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_exam(request, attempt_id)
    if attempt.is_open:
        if not attempt_expired(attempt, timezone.now()):
            return redirect("practice:exam_take", attempt_id=attempt.id)
        attempt = exam_submit(attempt=attempt)
    return render(
        request,
        "practice/exam_review.html",
        {
            "attempt": attempt,
            "course": attempt.quiz.course,
            "pool": attempt.quiz,
            "result": exam_result(attempt),
            "scale_pass": SCALE_PASS,
            "scaling_note": SCALING_NOTE,
        },
    )
