"""Graded quizzes: attempts, autosave, server-side scoring, attempt limits, time limit, review, privacy."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import STUDENTS
from accounts.services import user_create
from courses.services import enrollment_create
from quizzes.models import Attempt
from quizzes.services import QuizError, attempt_answer, attempt_start, attempt_submit
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db


def start(client):
    response = client.post(reverse("quizzes:attempt_start", args=["demo", "final"]))
    assert response.status_code == 302
    return Attempt.objects.latest("id")


def save(client, attempt, title, value):
    return client.post(
        reverse("quizzes:attempt_answer", args=[attempt.id, question(title).id]),
        {"response": value},
        HTTP_HX_REQUEST="true",
    )


def test_take_submit_review(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    page = enrolled_student.get(reverse("quizzes:attempt", args=[attempt.id])).content.decode()
    assert "Finish attempt…" in page and reverse("quizzes:attempt_summary", args=[attempt.id]) in page
    for secret in ("SECRET", '"weight"', "10240"):
        assert secret not in page
    saved = save(enrolled_student, attempt, "Invocation of S3", "a")
    assert saved.content.decode() == '<span class="saved">✓ Saved</span>'  # no hint of right or wrong
    save(enrolled_student, attempt, "Max memory", "3072")
    response = enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 50.0 and attempt.passed is True
    review = enrolled_student.get(reverse("quizzes:attempt_review", args=[attempt.id])).content.decode()
    assert "✓ right" in review and "✗ wrong" in review
    assert "Correct answer:</strong> 10240" in review and "SECRET-NUMERIC-EXPLANATION" in review
    # Submitted answers are frozen.
    assert save(enrolled_student, attempt, "Max memory", "10240").status_code == 409


def test_attempts_allowed_is_enforced(enrolled_student, graded_quiz):
    for _ in range(2):
        attempt = start(enrolled_student)
        enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    response = enrolled_student.post(reverse("quizzes:attempt_start", args=["demo", "final"]), follow=True)
    assert "You have used all 2 attempt(s)" in response.content.decode()
    assert Attempt.objects.count() == 2


def test_time_limit_is_enforced_on_the_server(student, course, graded_quiz):
    enrollment_create(user=student, course=course)
    graded_quiz.time_limit_s = 60
    graded_quiz.save()
    t0 = timezone.now()
    attempt = attempt_start(user=student, quiz=graded_quiz, now=t0)
    attempt_answer(
        attempt=attempt,
        question_id=question("Invocation of S3").id,
        response="a",
        now=t0 + timedelta(seconds=30),
    )
    with pytest.raises(QuizError, match="Time is up"):
        attempt_answer(
            attempt=attempt,
            question_id=question("Max memory").id,
            response="10240",
            now=t0 + timedelta(seconds=120),
        )
    finished = attempt_submit(attempt=attempt, now=t0 + timedelta(seconds=300))
    assert finished.score == 50.0
    assert finished.submitted_at <= attempt.deadline + timedelta(seconds=5)


def test_another_students_attempt_is_invisible(enrolled_student, graded_quiz, course):
    attempt = start(enrolled_student)
    other = Client()
    user = user_create(username="mallory", password="pw-123456-x", role=STUDENTS)
    enrollment_create(user=user, course=course)
    other.force_login(user)
    assert other.get(reverse("quizzes:attempt", args=[attempt.id])).status_code == 404
    assert other.get(reverse("quizzes:attempt_review", args=[attempt.id])).status_code == 404
    assert save(other, attempt, "Invocation of S3", "a").status_code == 404


def test_shuffled_choices_keep_ids(enrolled_student, graded_quiz):
    graded_quiz.shuffle_choices = True
    graded_quiz.shuffle_questions = True
    graded_quiz.save()
    attempt = start(enrolled_student)
    assert sorted(attempt.question_ids) == sorted(
        [question("Invocation of S3").id, question("Max memory").id]
    )
    order = attempt.choice_orders[str(question("Invocation of S3").id)]
    assert sorted(order) == ["a", "b"]


def test_not_enrolled_cannot_start(client, student, graded_quiz):
    client.force_login(student)
    response = client.post(reverse("quizzes:attempt_start", args=["demo", "final"]), follow=True)
    assert "Enroll in the course" in response.content.decode()
    assert not Attempt.objects.exists()


def test_numeric_answer_with_thousands_separator_is_saved_as_typed(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    assert save(enrolled_student, attempt, "Max memory", "10,240").content.decode() == (
        '<span class="saved">✓ Saved</span>'
    )
    page = enrolled_student.get(reverse("quizzes:attempt", args=[attempt.id])).content.decode()
    assert 'value="10,240"' in page
    # A refused answer only updates the status line (hx-target), so the box keeps what was typed.
    refused = save(enrolled_student, attempt, "Max memory", "10,24")
    assert refused.status_code == 400 and "not a number" in refused.content.decode()
    assert 'hx-target="#save-' in page
    enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    attempt.refresh_from_db()
    assert attempt.answers.get(question__title="Max memory").correct


def test_autosave_error_escapes_the_posted_answer(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    payload = "<script>alert(document.domain)</script>"
    refused = save(enrolled_student, attempt, "Invocation of S3", payload)
    body = refused.content.decode()
    assert refused.status_code == 400 and "not in this question" in body
    assert "<script>" not in body and "&lt;script&gt;alert(document.domain)&lt;/script&gt;" in body
