"""Every quiz write of the authoring pages goes through a service (quizzes/services.py) that checks its
rules before saving, and the reads behind those pages (quizzes/selectors.py)."""

import pytest

from courses.models import Course, Lesson
from quizzes import selectors
from quizzes.models import Question, Quiz
from quizzes.services import QuizError, attempt_answer, attempt_start, question_delete, quiz_delete, quiz_save
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db

VALUES = {"title": "Weekly", "slug": "weekly", "kind": Quiz.Kind.QUIZ, "pass_mark": 60}


def test_quiz_save_creates_then_updates_and_marks_the_content_changed(course):
    version = course.content_version
    quiz = quiz_save(course=course, values={**VALUES, "draw_tags": ["lambda"]})
    assert (quiz.course, quiz.slug, quiz.draw_tags) == (course, "weekly", ["lambda"])
    course.refresh_from_db()
    assert course.content_version != version  # lesson pages that list quizzes are rebuilt
    same = quiz_save(course=course, quiz=quiz, values={"title": "Weekly quiz"})
    assert same.pk == quiz.pk and Quiz.objects.get(pk=quiz.pk).title == "Weekly quiz"


def test_quiz_save_names_every_field_at_fault_and_saves_nothing(course, check):
    other = Course.objects.create(slug="other", title="Other")
    foreign = Lesson.objects.filter(course=course).first()
    foreign.pk, foreign.course = None, other  # an unsaved lesson of another course is enough here
    with pytest.raises(QuizError) as refused:
        quiz_save(course=course, values={**VALUES, "slug": check.slug, "pass_mark": 120, "kind": "check"})
    assert refused.value.errors == [
        ("slug", "Another quiz of this course has this slug."),
        ("pass_mark", "The pass mark is a percentage (0 to 100)."),
        ("lesson", "A knowledge check belongs to a lesson."),
    ]
    with pytest.raises(QuizError) as refused:
        quiz_save(course=course, values={**VALUES, "lesson": foreign})
    assert refused.value.errors == [("lesson", "The lesson belongs to another course.")]
    with pytest.raises(QuizError, match="Not a field of a quiz: course_id"):
        quiz_save(course=course, values={**VALUES, "course_id": other.pk})
    assert not Quiz.objects.filter(slug="weekly").exists()


def test_question_delete_keeps_an_answered_question(course, graded_quiz, student):
    attempt = attempt_start(user=student, quiz=graded_quiz)
    memory = question("Max memory")
    assert not selectors.question_has_answers(question=memory)  # drawn, not answered yet
    attempt_answer(attempt=attempt, question_id=memory.pk, response="10240")
    assert selectors.question_has_answers(question=memory)
    with pytest.raises(QuizError, match="has students' answers and was kept"):
        question_delete(question=memory)
    spare = Question.objects.create(course=course, kind=memory.kind, title="Spare", spec=memory.spec)
    question_delete(question=spare)
    assert Question.objects.filter(pk=memory.pk).exists()
    assert not Question.objects.filter(title="Spare").exists()


def test_quiz_delete_keeps_an_attempted_quiz(course, graded_quiz, student):
    attempt_start(user=student, quiz=graded_quiz)
    with pytest.raises(QuizError, match="has students' attempts and was kept"):
        quiz_delete(quiz=graded_quiz)
    empty = quiz_save(course=course, values=VALUES)
    quiz_delete(quiz=empty)
    assert list(Quiz.objects.filter(course=course).values_list("slug", flat=True)) == ["final"]


def test_bank_selectors(course, check):
    s3 = question("Invocation of S3")
    s3.tags = ["s3"]
    s3.save()
    assert [q.title for q in selectors.bank_questions(course=course)] == ["Invocation of S3", "Max memory"]
    assert [(q.title, q.uses) for q in selectors.bank_questions(course=course, tag="s3")] == [
        ("Invocation of S3", 1)
    ]
    assert selectors.bank_tags(course=course) == ["s3"]
    assert [(quiz.slug, quiz.size) for quiz in selectors.bank_quizzes(course=course)] == [("check-intro", 2)]
    items = selectors.quiz_items(quiz=check)
    assert [item.question.title for item in items] == ["Invocation of S3", "Max memory"]
    assert selectors.questions_outside(course=course, items=items[:1]) == [question("Max memory")]
    assert selectors.questions_for_export(course=course, tag="s3") == [s3]
    assert len(selectors.questions_for_export(course=course)) == 2
