"""The summary before submitting a graded quiz (issue 18): Moodle's "Summary of attempt" lists each question
as answered or not and submits only from its "Submit all and finish" button."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create
from quizzes.models import Attempt
from tests.quizzes.test_quiz_attempts import save, start

pytestmark = pytest.mark.django_db


def summary(client, attempt):
    return client.get(reverse("quizzes:attempt_summary", args=[attempt.id]))


def test_summary_lists_answered_and_unanswered_without_submitting(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    save(enrolled_student, attempt, "Invocation of S3", "a")
    page = summary(enrolled_student, attempt).content.decode()
    assert page.count('<tr class="answered">') == 1 and page.count('<tr class="unanswered">') == 1
    assert "Answer saved" in page and "Not yet answered" in page
    assert "1 of 2 questions not answered." in page
    assert "Submit all and finish" in page
    assert reverse("quizzes:attempt_submit", args=[attempt.id]) in page
    # Links go back to each question of the attempt page, which carries the anchors.
    assert f"{reverse('quizzes:attempt', args=[attempt.id])}#question-2" in page
    attempt_page = enrolled_student.get(reverse("quizzes:attempt", args=[attempt.id])).content.decode()
    assert 'id="question-2"' in attempt_page
    attempt.refresh_from_db()
    assert attempt.is_open  # looking at the summary submits nothing

    save(enrolled_student, attempt, "Max memory", "10240")
    assert "All 2 questions answered." in summary(enrolled_student, attempt).content.decode()
    enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    attempt.refresh_from_db()
    assert attempt.score == 100.0


def test_summary_of_a_submitted_attempt_goes_to_the_review(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    response = summary(enrolled_student, attempt)
    assert response.status_code == 302
    assert response.url == reverse("quizzes:attempt_review", args=[attempt.id])


def test_summary_after_the_time_limit_submits_what_was_saved(enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    save(enrolled_student, attempt, "Invocation of S3", "a")
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    response = summary(enrolled_student, attempt)
    assert response.url == reverse("quizzes:attempt_review", args=[attempt.id])
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.score == 50.0


def test_summary_of_another_students_attempt_is_404(client, enrolled_student, graded_quiz):
    attempt = start(enrolled_student)
    client.force_login(user_create(username="other", password="pw-123456789"))
    assert summary(client, attempt).status_code == 404
    assert Attempt.objects.get(pk=attempt.pk).is_open
