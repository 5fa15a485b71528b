"""Per-lab deadlines set by the instructor (live class view), shown on the lab page and the labs list,
and each student's own status and best score per lab."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from labs import services
from labs.models import Draft, Lab, Submission
from labs.selectors import LabStanding, lab_standings
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


def test_the_instructor_sets_and_clears_a_deadline(teacher_client, squared):
    url = reverse("labs:instructor_deadline", args=[squared.slug])
    response = teacher_client.post(url, {"deadline": "2026-12-20T23:59"}, follow=True)
    squared.refresh_from_db()
    assert squared.deadline == dt.datetime(2026, 12, 20, 23, 59, tzinfo=dt.UTC)
    html = response.content.decode()
    assert "is due Dec 20, 23:59 UTC" in html
    assert 'value="2026-12-20T23:59"' in html  # the box shows the deadline it has
    response = teacher_client.post(url, {"deadline": "2026-12-20T23:59", "clear": "1"}, follow=True)
    squared.refresh_from_db()
    assert squared.deadline is None and "has no deadline now" in response.content.decode()


def test_a_deadline_that_is_not_a_date_is_refused_and_nothing_changes(teacher_client, squared):
    response = teacher_client.post(
        reverse("labs:instructor_deadline", args=[squared.slug]), {"deadline": "next friday"}, follow=True
    )
    squared.refresh_from_db()
    assert squared.deadline is None
    assert "Deadline not changed: Enter a valid date/time." in response.content.decode()


def test_students_cannot_set_a_deadline(student_client, squared):
    response = student_client.post(
        reverse("labs:instructor_deadline", args=[squared.slug]), {"deadline": "2026-12-20T23:59"}
    )
    squared.refresh_from_db()
    assert response.status_code == 403 and squared.deadline is None


def test_setting_a_deadline_needs_a_post_with_the_csrf_token(squared, instructor):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    url = reverse("labs:instructor_deadline", args=[squared.slug])
    assert client.get(url).status_code == 405
    assert client.post(url, {"deadline": "2026-12-20T23:59"}).status_code == 403
    squared.refresh_from_db()
    assert squared.deadline is None


def test_the_service_refuses_a_naive_time(squared):
    with pytest.raises(ValueError, match="time zone"):
        services.lab_deadline_set(lab=squared, deadline=dt.datetime(2026, 12, 20, 23, 59))


def test_the_lab_page_and_the_list_show_the_deadline(student_client, squared):
    page = student_client.get(squared.get_absolute_url()).content.decode()
    assert '<span class="deadline none">No deadline</span>' in page
    services.lab_deadline_set(lab=squared, deadline=timezone.now() + dt.timedelta(days=2))
    due = f"Due {timezone.localtime(squared.deadline):%b %-d, %H:%M} UTC"
    page = student_client.get(squared.get_absolute_url()).content.decode()
    assert due in page and "a submission after the deadline is marked late" in page
    assert "the checks marked “after the deadline” show their details once it has passed" in page
    listing = student_client.get(reverse("labs:list")).content.decode()
    assert due in listing
    services.lab_deadline_set(lab=squared, deadline=timezone.now() - dt.timedelta(days=1))
    listing = student_client.get(reverse("labs:list")).content.decode()
    assert "Deadline passed" in listing


def test_standings_follow_the_students_work(squared, student):
    other = Lab.objects.exclude(pk=squared.pk).first()
    third = Lab.objects.exclude(pk__in=[squared.pk, other.pk]).first()
    assert lab_standings(student, [squared])[squared.pk] == LabStanding()  # not started
    Draft.objects.create(user=student, lab=squared, files={"app.py": "x"})
    assert lab_standings(student, [squared])[squared.pk].status == LabStanding.IN_PROGRESS
    graded(student, other, kind="run")  # "Run checks" is practice: in progress, no score
    Submission.objects.create(user=student, lab=third, files={"app.py": ""})  # waiting
    Submission.objects.create(user=student, lab=squared, files={"app.py": ""}, status="infra_error")
    standings = lab_standings(student, [squared, other, third])
    assert standings[squared.pk].status == LabStanding.IN_PROGRESS  # could not be graded: no attempt
    assert (standings[other.pk].status, standings[other.pk].best) == (LabStanding.IN_PROGRESS, None)
    assert (standings[third.pk].status, standings[third.pk].pending) == (LabStanding.SUBMITTED, True)
    graded(student, squared, failing={"returns_square"})
    graded(student, squared)
    graded(student, squared, failing={"returns_square", "rejects_missing_number"})
    graded(make_student("ann"), squared)  # someone else's work never counts
    best = lab_standings(student, [squared])[squared.pk]
    assert (best.status, best.best, best.best_max, best.full_marks) == (LabStanding.GRADED, 10, 10, True)


def test_the_labs_list_shows_the_students_own_status_and_score(student_client, student, squared):
    html = student_client.get(reverse("labs:list")).content.decode()
    card = html.split(squared.title)[1].split("</li>")[0]
    assert "not started" in card
    graded(student, squared, failing={"returns_square"})
    html = student_client.get(reverse("labs:list")).content.decode()
    card = html.split(squared.title)[1].split("</li>")[0]
    assert "graded · best 7/10" in card


def test_the_labs_list_costs_the_same_queries_whatever_the_number_of_labs(
    student_client, student, catalog, django_assert_max_num_queries
):
    for lab in catalog:
        graded(student, lab)
    with django_assert_max_num_queries(8):
        student_client.get(reverse("labs:list"))
