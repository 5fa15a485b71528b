"""Knowledge checks inside lessons: answer with htmx, see right/wrong, feedback and explanation, retry."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_instructor
from config.htmx import HtmxHttpRequest
from courses.models import Enrollment

from .. import questions
from ..models import CheckAnswer, Question, Quiz
from ..responses import response_from_post
from ..services import QuizError, check_answer


def _check_for(request: HtmxHttpRequest, quiz_id: int, question_id: int) -> tuple[Quiz, Question]:
    quiz = get_object_or_404(Quiz, pk=quiz_id, kind=Quiz.Kind.CHECK, is_published=True)
    question = get_object_or_404(Question, pk=question_id, items__quiz=quiz)
    enrolled = Enrollment.objects.filter(user=request.user, course_id=quiz.course_id).exists()
    if not enrolled and not is_instructor(request.user):
        raise QuizError("Enroll in the course to answer its knowledge checks.", status=403)
    return quiz, question


def _number(request: HtmxHttpRequest) -> int:
    raw = request.POST.get("n") or request.GET.get("n") or "1"
    return int(raw) if raw.isdigit() else 1


@login_required
@require_POST
def check_answer_view(request: HtmxHttpRequest, quiz_id: int, question_id: int) -> HttpResponse:
    try:
        quiz, question = _check_for(request, quiz_id, question_id)
    except QuizError as exc:
        return HttpResponse(exc.message, status=exc.status)
    view = questions.check_view(question, quiz=quiz, user=request.user)
    context = {"quiz": quiz, "question": question, "view": view, "number": _number(request)}
    response = response_from_post(question.kind, request.POST, view)
    if response is None:
        return render(
            request,
            "quizzes/_check_question.html",
            dict(context, error="Choose or type an answer first."),
            status=422 if not request.htmx else 200,
        )
    try:
        answer, grade = check_answer(user=request.user, quiz=quiz, question=question, response=response)
    except QuizError as exc:
        return render(
            request,
            "quizzes/_check_question.html",
            dict(context, error=exc.message, typed=response),
            status=exc.status if not request.htmx else 200,
        )
    if not request.htmx:  # without JavaScript: back to the lesson, at the question
        return redirect(f"{quiz.lesson.get_absolute_url()}#kc-q-{question.id}" if quiz.lesson else "/")
    correct = CheckAnswer.objects.filter(user=request.user, quiz=quiz, correct=True).count()
    return render(
        request,
        "quizzes/_check_result.html",
        dict(context, answer=answer, grade=grade, correct=correct, total=quiz.items.count(), oob=True),
    )


@login_required
@require_GET
def check_question_view(request: HtmxHttpRequest, question_id: int) -> HttpResponse:
    """The blank form again (Try again)."""
    raw_quiz = request.GET.get("quiz", "")
    try:
        quiz, question = _check_for(request, int(raw_quiz) if raw_quiz.isdigit() else 0, question_id)
    except QuizError as exc:
        return HttpResponse(exc.message, status=exc.status)
    return render(
        request,
        "quizzes/_check_question.html",
        {
            "quiz": quiz,
            "question": question,
            "view": questions.check_view(question, quiz=quiz, user=request.user),
            "number": _number(request),
            "retry": True,
        },
    )
