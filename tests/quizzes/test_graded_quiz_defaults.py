"""Graded-quiz defaults (issue 17, review LOW-6): a new graded quiz allows GRADED_QUIZ_ATTEMPTS attempts and
shows the right answers and feedback only after the student's last attempt or after the due date; a past-due
quiz starts no attempt. Existing quizzes keep showing answers after each attempt (migration 0004)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from courses.importing import import_course_dir
from quizzes.models import GRADED_QUIZ_ATTEMPTS, Quiz
from quizzes.services import QuizError, attempt_start, gift_import, quiz_save
from tests.quizzes.conftest import CHECK_GIFT

pytestmark = pytest.mark.django_db

SECRETS = ("SECRET-EXPLANATION", "Correct answer:", "SECRET-WRONG-FEEDBACK")  # after a wrong answer ("b")


@pytest.fixture
def new_graded(course) -> Quiz:
    quiz = quiz_save(course=course, values={"title": "Final", "slug": "final", "kind": Quiz.Kind.QUIZ})
    gift_import(course=course, text=CHECK_GIFT, quiz=quiz)
    return quiz


def take(client, quiz, answer="b"):
    client.post(reverse("quizzes:attempt_start", args=["demo", quiz.slug]))
    attempt = quiz.attempts.latest("id")
    question = quiz.questions.get(title="Invocation of S3")
    choice = {"a": question.spec["choices"][0]["id"], "b": question.spec["choices"][1]["id"]}[answer]
    client.post(reverse("quizzes:attempt_answer", args=[attempt.id, question.id]), {"response": choice})
    client.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    return client.get(reverse("quizzes:attempt_review", args=[attempt.id])).content.decode()


def test_a_new_graded_quiz_has_limited_attempts_and_answers_after_the_last(new_graded, course):
    assert new_graded.attempts_allowed == GRADED_QUIZ_ATTEMPTS == 2
    assert new_graded.review_answers == Quiz.ReviewAnswers.AFTER_LAST
    check = quiz_save(
        course=course,
        values={"title": "C", "slug": "c", "kind": Quiz.Kind.CHECK, "lesson": course.lessons.first()},
    )
    assert check.attempts_allowed == 0  # knowledge checks and practice pools keep unlimited
    explicit = quiz_save(
        course=course, values={"title": "U", "slug": "u", "kind": "quiz", "attempts_allowed": 0}
    )
    assert explicit.attempts_allowed == 0  # an author who asks for unlimited gets it


def test_the_authoring_form_starts_from_the_graded_defaults(client, instructor, course):
    client.force_login(instructor)
    page = client.get(reverse("quizzes:quiz_new", args=["demo"])).content.decode()
    assert 'name="attempts_allowed" value="2"' in page
    assert '<option value="after_last" selected>' in page
    assert 'name="due_at"' in page


def test_review_hides_answers_until_the_last_attempt(enrolled_student, new_graded):
    first = take(enrolled_student, new_graded)
    assert "shown after your last attempt (1 left)" in first
    assert not any(secret in first for secret in (*SECRETS, "SECRET-RIGHT-FEEDBACK"))
    assert "Your answer:" in first and "Attempt 1:" in first
    last = take(enrolled_student, new_graded, answer="a")
    assert all(
        secret in last for secret in ("SECRET-EXPLANATION", "Correct answer:", "SECRET-RIGHT-FEEDBACK")
    )
    assert "shown after your last attempt" not in last
    refused = enrolled_student.post(reverse("quizzes:attempt_start", args=["demo", "final"]), follow=True)
    assert "You have used all 2 attempt(s) of this quiz." in refused.content.decode()


def test_after_each_attempt_shows_answers_at_once(enrolled_student, new_graded):
    new_graded.review_answers = Quiz.ReviewAnswers.AFTER_EACH
    new_graded.save()
    assert all(secret in take(enrolled_student, new_graded) for secret in SECRETS)


def test_past_due_the_quiz_starts_no_attempt_and_shows_answers(enrolled_student, student, new_graded):
    first = take(enrolled_student, new_graded)
    assert "SECRET-EXPLANATION" not in first
    now = timezone.now()
    new_graded.due_at = now - timedelta(minutes=1)
    new_graded.save()
    attempt = new_graded.attempts.get()
    review = enrolled_student.get(reverse("quizzes:attempt_review", args=[attempt.id])).content.decode()
    assert all(secret in review for secret in SECRETS)
    with pytest.raises(QuizError, match="This quiz was due") as refused:
        attempt_start(user=student, quiz=new_graded, now=now)
    assert refused.value.status == 403
    detail = enrolled_student.get(reverse("quizzes:quiz", args=["demo", "final"])).content.decode()
    assert ": closed" in detail and "Start attempt" not in detail
    # before the due date the same quiz starts an attempt (injected time)
    assert attempt_start(user=student, quiz=new_graded, now=now - timedelta(hours=1)).number == 2


def test_a_content_graded_quiz_starts_limited_and_keeps_an_instructors_change(course, content_dir):
    (content_dir / "checks").mkdir()
    (content_dir / "checks" / "final-review.gift").write_text(CHECK_GIFT, encoding="utf-8")
    import_course_dir(content_dir)
    quiz = Quiz.objects.get(slug="final-review")
    assert (quiz.kind, quiz.attempts_allowed, quiz.review_answers) == ("quiz", 2, "after_last")
    quiz.attempts_allowed = 5
    quiz.save()
    import_course_dir(content_dir)
    quiz.refresh_from_db()
    assert quiz.attempts_allowed == 5


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_quizzes_showing_answers_after_each_attempt(course):
    executor = MigrationExecutor(connection)
    before, after = (
        [("quizzes", "0006_shuffle_choices_by_default")],
        [("quizzes", "0007_graded_quiz_review_and_due_date")],
    )
    executor.migrate(before)
    old_state = executor.loader.project_state(before).apps
    OldQuiz = old_state.get_model("quizzes", "Quiz")  # noqa: N806 (a model class)
    OldQuiz.objects.create(course_id=course.id, slug="old", title="Old", kind="quiz")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    assert Quiz.objects.get(slug="old").review_answers == "after_each"
    assert Quiz.objects.create(course=course, slug="new", title="New").review_answers == "after_last"
