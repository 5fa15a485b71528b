"""Multiple-response feedback names each chosen choice, and a question with partial credit shows the score:
on a knowledge check and on a graded quiz's review."""

import pytest
from django.urls import reverse

from quizzes.models import Attempt
from quizzes.services import gift_import
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db

MULTIPLE_GIFT = """\
::Responsibility::With AWS Lambda, which of these remain your responsibility?{
~%50%The function's code#Yes.
~%50%The IAM permissions#Yes.
~%-100%Patching the guest operating system#No: AWS patches the execution environment.
}
"""


def choice_ids():
    spec = question("Responsibility").spec
    return {choice["text"]: choice["id"] for choice in spec["choices"]}


def answer(client, quiz, texts):
    ids = choice_ids()
    return client.post(
        reverse("quizzes:check_answer", args=[quiz.id, question("Responsibility").id]),
        {"response": [ids[text] for text in texts]},
        HTTP_HX_REQUEST="true",
    ).content.decode()


def test_each_feedback_line_names_its_choice_and_the_score_shows(enrolled_student, course, check):
    gift_import(course=course, text=MULTIPLE_GIFT, quiz=check)
    mixed = answer(enrolled_student, check, ["The function's code", "Patching the guest operating system"])
    assert "✗ Not quite" in mixed
    assert "Score: 0% of the marks (this question gives partial credit)." in mixed
    right_line = mixed.index("<strong>The function&#x27;s code</strong>")
    wrong_line = mixed.index("<strong>Patching the guest operating system</strong>")
    assert mixed.index("Yes.", right_line) < wrong_line < mixed.index("No: AWS patches", wrong_line)
    assert (
        'class="right"><span aria-hidden="true">✓' in mixed
        and 'class="wrong"><span aria-hidden="true">✗' in mixed
    )
    half = answer(enrolled_student, check, ["The IAM permissions"])
    assert "Partly correct (50%)" in half and "Score:" not in half  # the verdict already gives the score
    assert "<strong>The IAM permissions</strong>" in half


def test_quiz_review_names_choices_and_shows_partial_score(enrolled_student, course, graded_quiz):
    gift_import(course=course, text=MULTIPLE_GIFT, quiz=graded_quiz)
    enrolled_student.post(reverse("quizzes:attempt_start", args=["demo", "final"]))
    attempt = Attempt.objects.latest("id")
    enrolled_student.post(
        reverse("quizzes:attempt_answer", args=[attempt.id, question("Responsibility").id]),
        {"response": [choice_ids()["The IAM permissions"]]},
        HTTP_HX_REQUEST="true",
    )
    enrolled_student.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    review = enrolled_student.get(reverse("quizzes:attempt_review", args=[attempt.id])).content.decode()
    assert "Score: 50% of the marks (this question gives partial credit)." in review
    assert "<strong>The IAM permissions</strong>" in review
