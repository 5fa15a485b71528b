"""What the quiz engine adds to other apps' pages. ``knowledge_check_panel`` fills the lesson page's
knowledge-check slot (wired through settings.LESSON_PANELS, so courses never import quizzes)."""

from django.template.loader import render_to_string

from . import questions
from .models import CheckAnswer, Quiz


def check_state(*, quiz: Quiz, user) -> list[dict]:
    """Each question of a check with its public view and the user's latest answer (if any)."""
    items = list(quiz.items.select_related("question").order_by("order"))
    answers = {answer.question_id: answer for answer in CheckAnswer.objects.filter(user=user, quiz=quiz)}
    entries = []
    for index, item in enumerate(items, start=1):
        answer = answers.get(item.question_id)
        grade = questions.grade_response(item.question, answer.response) if answer else None
        entries.append(
            {
                "question": item.question,
                "view": questions.check_view(item.question, quiz=quiz, user=user),
                "answer": answer,
                "grade": grade,
                "number": index,
            }
        )
    return entries


def knowledge_check_panel(request, lesson) -> str:
    quiz = Quiz.objects.filter(lesson=lesson, kind=Quiz.Kind.CHECK, is_published=True).first()
    if quiz is None:
        return ""
    entries = check_state(quiz=quiz, user=request.user)
    correct = sum(1 for entry in entries if entry["answer"] and entry["answer"].correct)
    return render_to_string(
        "quizzes/_knowledge_check.html",
        {"quiz": quiz, "entries": entries, "correct": correct, "total": len(entries)},
        request=request,
    )


def course_quiz_panel(request, course) -> str:
    """The course page's quiz section: knowledge checks passed (they count toward course progress) and the
    way into a live poll. Graded quizzes are listed once, by the gradebook's assessments panel, with their due
    dates and the student's standing."""
    checks = list(
        Quiz.objects.filter(course=course, kind=Quiz.Kind.CHECK, is_published=True).prefetch_related("items")
    )
    passed = 0
    if request.user.is_authenticated and checks:
        correct = {}
        for answer in CheckAnswer.objects.filter(user=request.user, quiz__in=checks, correct=True):
            correct[answer.quiz_id] = correct.get(answer.quiz_id, 0) + 1
        passed = sum(
            1 for quiz in checks if quiz.items.count() and correct.get(quiz.id, 0) >= quiz.items.count()
        )
    return render_to_string(
        "quizzes/_course_panel.html",
        {
            "course": course,
            "checks": len(checks),
            "passed": passed,
            "percent": round(100 * passed / len(checks)) if checks else 0,
        },
        request=request,
    )
