"""Knowledge checks on the lesson page: htmx flow, retries, progress, and no answer leaks."""

import pytest
from django.urls import reverse

from quizzes.models import CheckAnswer
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db
SECRETS = [
    "SECRET-RIGHT-FEEDBACK",
    "SECRET-WRONG-FEEDBACK",
    "SECRET-EXPLANATION",
    "SECRET-NUMERIC-EXPLANATION",
    "10240",
    '"weight"',
    '"correct"',
    "✓",
]

LESSON = "/courses/demo/intro/"


def answer_url(check, title):
    return reverse("quizzes:check_answer", args=[check.id, question(title).id])


def test_lesson_shows_its_check_without_leaking_answers(enrolled_student, check):
    page = enrolled_student.get(LESSON).content.decode()
    assert "Check your understanding" in page and "How does <strong>Amazon S3</strong> invoke" in page
    assert 'value="a"' in page and 'value="b"' in page
    for secret in SECRETS:
        assert secret not in page, secret


def test_wrong_then_retry_then_right(enrolled_student, student, check):
    url = answer_url(check, "Invocation of S3")
    wrong = enrolled_student.post(url, {"response": "b", "n": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in wrong and "Not quite" in wrong
    assert "SECRET-WRONG-FEEDBACK" in wrong and "SECRET-EXPLANATION" in wrong
    assert "0 of 2 answered correctly" in wrong and 'hx-swap-oob="true"' in wrong
    retry = enrolled_student.get(
        reverse("quizzes:check_question", args=[question("Invocation of S3").id]),
        {"quiz": check.id, "retry": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Check answer" in retry and "SECRET" not in retry
    right = enrolled_student.post(url, {"response": "a"}, HTTP_HX_REQUEST="true").content.decode()
    assert "✓ Correct" in right and "SECRET-RIGHT-FEEDBACK" in right and "1 of 2 answered correctly" in right
    answer = CheckAnswer.objects.get(user=student)
    assert answer.correct and answer.tries == 2
    numeric = enrolled_student.post(
        answer_url(check, "Max memory"), {"response": "10240"}, HTTP_HX_REQUEST="true"
    )
    assert "2 of 2 answered correctly — check passed" in numeric.content.decode()
    # The lesson page (cached per student) shows the graded state afterwards.
    page = enrolled_student.get(LESSON).content.decode()
    assert "check passed" in page and "Try again" in page


def test_bad_answers_are_refused_and_change_nothing(enrolled_student, check):
    url = answer_url(check, "Invocation of S3")
    empty = enrolled_student.post(url, {}, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose or type an answer first." in empty
    unknown = enrolled_student.post(url, {"response": "z"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Invalid answer" in unknown and "not in this question" in unknown
    text = enrolled_student.post(
        answer_url(check, "Max memory"), {"response": "lots"}, HTTP_HX_REQUEST="true"
    )
    assert "Invalid answer" in text.content.decode()
    assert not CheckAnswer.objects.exists()


def test_check_needs_enrollment_and_login(client, student, check):
    url = answer_url(check, "Invocation of S3")
    assert client.post(url, {"response": "a"}).status_code == 302  # to login
    client.force_login(student)
    assert client.post(url, {"response": "a"}).status_code == 403
    assert not CheckAnswer.objects.exists()


def test_without_htmx_answer_redirects_back_to_the_question(enrolled_student, check):
    response = enrolled_student.post(answer_url(check, "Invocation of S3"), {"response": "a"})
    assert response.status_code == 302 and response["Location"].startswith(LESSON + "#kc-q-")


def test_course_page_counts_passed_checks(enrolled_student, check):
    page = enrolled_student.get("/courses/demo/").content.decode()
    assert "Knowledge checks passed: <strong>0</strong> of 1" in page
    enrolled_student.post(answer_url(check, "Invocation of S3"), {"response": "a"}, HTTP_HX_REQUEST="true")
    enrolled_student.post(answer_url(check, "Max memory"), {"response": "10240"}, HTTP_HX_REQUEST="true")
    page = enrolled_student.get("/courses/demo/").content.decode()
    assert "Knowledge checks passed: <strong>1</strong> of 1" in page


def test_numeric_answer_takes_thousands_separators(enrolled_student, check):
    url = answer_url(check, "Max memory")
    right = enrolled_student.post(url, {"response": "10,240"}, HTTP_HX_REQUEST="true").content.decode()
    assert "✓ Correct" in right
    spaced = enrolled_student.post(url, {"response": "10\u2009240"}, HTTP_HX_REQUEST="true").content.decode()
    assert "✓ Correct" in spaced


def test_refused_answer_keeps_what_the_student_typed(enrolled_student, check):
    typed = enrolled_student.post(
        answer_url(check, "Max memory"), {"response": "10,24"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Invalid answer" in typed and 'value="10,24"' in typed
    chosen = enrolled_student.post(
        answer_url(check, "Invocation of S3"), {"response": "z"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Invalid answer" in chosen and "<form" in chosen
