"""What the lab page says while a submission waits, and about the checks a student cannot see."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from labs import jobs, services
from labs.models import Submission
from labs.selectors import wait_text
from tests.labs.test_lab_submissions import solution

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "less than a second"), (0.4, "less than a second"), (1.0, "about 1.0 s"), (2.5, "about 2.5 s")]
    + [(12.4, "about 12 s")],
)
def test_wait_text_never_says_about_zero_seconds(seconds, text):
    assert wait_text(seconds) == text


def test_a_queued_submission_says_less_than_a_second(student_client, student, squared, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    first = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    services.submission_grade(submission_id=first.pk)
    now = timezone.now()  # recent gradings took 40 ms
    Submission.objects.filter(pk=first.pk).update(
        started_at=now - dt.timedelta(milliseconds=40), graded_at=now
    )
    html = student_client.post(
        reverse("labs:submit", args=[squared.slug]),
        {"kind": "submit", "file:app.py": solution(squared)},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "number 1 in the queue, expected wait less than a second." in html
    assert "0.0 s" not in html


def graded_page(student_client, student, squared, monkeypatch) -> str:
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    services.submission_grade(submission_id=submission.pk)
    return student_client.get(submission.get_absolute_url()).content.decode()


def test_withheld_checks_do_not_mention_a_deadline_the_lab_does_not_have(
    student_client, student, squared, monkeypatch
):
    assert squared.deadline is None
    html = graded_page(student_client, student, squared, monkeypatch)
    assert "2 more checks ran: 2 passed. They count toward your score" in html
    assert "deadline" not in html.split("more checks ran")[1].split("</p>")[0]


def test_withheld_checks_name_the_deadline_when_there_is_one(student_client, student, squared, monkeypatch):
    squared.deadline = timezone.now() + dt.timedelta(days=3)
    squared.save()
    html = graded_page(student_client, student, squared, monkeypatch)
    line = html.split("more checks ran")[1].split("</p>")[0]
    assert "1 of them will be shown after the deadline (" in line
    assert squared.deadline.strftime("%b %-d") in line
