"""Item analysis of a lab's checks over each student's latest graded submission, by hand on a fixed set."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import STUDENTS
from accounts.services import user_create
from labs.models import Lab, Submission
from practice.lab_statistics import lab_check_statistics

pytestmark = pytest.mark.django_db

CHECKS = [
    {"id": "a", "name": "Handler returns", "points": 2, "visibility": "visible"},
    {"id": "b", "name": "Logs", "points": 1, "visibility": "visible"},
    {"id": "c", "name": "Errors", "points": 1, "visibility": "hidden"},
]
# Latest verdicts per student (a, b, c); marks with points 2, 1, 1 -> totals 4, 3, 1, 0.
PASSES = [(1, 1, 1), (1, 0, 1), (0, 1, 0), (0, 0, 0)]


@pytest.fixture
def lab():
    return Lab.objects.create(
        slug="stats-lab", title="Stats lab", points=4, instructions_html="", checks=CHECKS, content_hash="x"
    )


def submit(user, lab, passes, when):
    verdicts = [
        {"id": c["id"], "passed": bool(p), "message": ""} for c, p in zip(CHECKS, passes, strict=True)
    ]
    return Submission.objects.create(
        user=user,
        lab=lab,
        files={},
        status="graded",
        verdicts=verdicts,
        created_at=when,
        score=0,
        max_score=4,
    )


def test_lab_check_statistics_by_hand(lab, client, instructor):
    now = timezone.now()
    for index, passes in enumerate(PASSES):
        user = user_create(username=f"lab{index}", password="pw-12345678", role=STUDENTS)
        submit(user, lab, (0, 0, 0), now - timedelta(hours=1))  # an older submission: not counted
        submit(user, lab, passes, now)
    report = lab_check_statistics(lab=lab)
    assert report.submissions == 4
    a, b, c = report.checks
    assert (a.id, a.points, a.n, a.facility) == ("a", 2, 4, 0.5)
    # a: marks 2 2 0 0, rest 2 1 1 0 -> sxy 2, sxx 4, syy 2 -> r = 2 / sqrt(8).
    assert a.discrimination == pytest.approx(2 / 8**0.5)
    # b: marks 1 0 1 0, rest 3 3 0 0 -> no correlation.
    assert b.discrimination == pytest.approx(0.0) and "low discrimination" in b.flags
    # c: marks 1 1 0 0, rest 3 2 1 0 -> sxy 2, sxx 1, syy 5 -> r = 2 / sqrt(5).
    assert c.discrimination == pytest.approx(2 / 5**0.5)
    client.force_login(instructor)
    page = client.get(reverse("practice:lab_checks", args=[lab.slug])).content.decode()
    assert "Handler returns" in page and "0.71" in page


def test_lab_check_statistics_is_for_instructors(lab, client, student):
    client.force_login(student)
    assert client.get(reverse("practice:lab_checks", args=[lab.slug])).status_code == 403
