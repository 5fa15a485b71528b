""" "Who is stuck": from the live class view's per-check failure counts, the students whose latest graded
submission fails that check, each linked to that submission."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.selectors import students_failing
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def class_of_three(squared):
    earlier = timezone.now() - dt.timedelta(hours=1)
    ann, bob, cat = make_student("ann"), make_student("bob"), make_student("cat")
    graded(ann, squared, failing={"returns_square"}, message="Expected 25, got 10")
    graded(bob, squared, failing={"returns_square"}, created_at=earlier)
    latest_bob = graded(bob, squared)  # fixed it since: not stuck
    graded(cat, squared, failing={"rejects_missing_number"})
    graded(cat, squared, kind="run", failing={"returns_square"})  # a check run, counted only on request
    return {"ann": ann, "bob": bob, "cat": cat, "latest_bob": latest_bob}


def test_students_failing_reads_each_students_latest_graded_submission(squared, class_of_three):
    stuck = students_failing(squared, "returns_square")
    assert [row["username"] for row in stuck] == ["ann"]
    assert stuck[0]["message"] == "Expected 25, got 10" and stuck[0]["score"] < 10
    assert [row["username"] for row in students_failing(squared, "rejects_missing_number")] == ["cat"]
    with_runs = students_failing(squared, "returns_square", include_runs=True)
    assert [(row["username"], row["kind"]) for row in with_runs] == [("ann", "submit"), ("cat", "run")]


def test_the_live_view_links_each_failing_count_to_who_is_stuck(teacher_client, squared, class_of_three):
    html = teacher_client.get(reverse("labs:instructor_live", args=[squared.slug])).content.decode()
    stuck_url = reverse("labs:instructor_stuck", args=[squared.slug, "returns_square"])
    assert f'<a href="{stuck_url}" title="Who fails' in html
    # a check nobody fails has no link
    assert reverse("labs:instructor_stuck", args=[squared.slug, "logs_each_request"]) not in html


def test_the_drill_down_lists_the_students_with_links_to_their_submissions(
    teacher_client, squared, class_of_three
):
    response = teacher_client.get(reverse("labs:instructor_stuck", args=[squared.slug, "returns_square"]))
    html = response.content.decode()
    assert response.status_code == 200
    ann_submission = class_of_three["ann"].submissions.get()
    assert reverse("labs:instructor_submission", args=[squared.slug, ann_submission.pk]) in html
    assert "Expected 25, got 10" in html and "1 student." in html
    body = html.split("<tbody>")[1]
    assert "bob" not in body and "cat" not in body
    runs = teacher_client.get(
        reverse("labs:instructor_stuck", args=[squared.slug, "returns_square"]), {"runs": "1"}
    ).content.decode()
    assert "cat" in runs.split("<tbody>")[1] and "check run" in runs


def test_an_unknown_check_is_a_404_and_students_are_refused(client, teacher_client, squared, class_of_three):
    assert (
        teacher_client.get(reverse("labs:instructor_stuck", args=[squared.slug, "nope"])).status_code == 404
    )
    client.force_login(class_of_three["ann"])
    url = reverse("labs:instructor_stuck", args=[squared.slug, "returns_square"])
    assert client.get(url).status_code == 403
