"""The course page as the hub: the course's labs and graded quizzes with their due dates, and the
student's own status and best score on each (gradebook/panels.py)."""

import datetime as dt

import pytest
from django.utils import timezone

from courses.services import enrollment_create
from gradebook.panels import quiz_standings
from labs import services
from labs.models import Lab
from labs.selectors import LabStanding
from quizzes.models import Attempt, Quiz
from tests.labs.helpers import graded

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(client, student, squared):
    course = squared.lesson.course
    enrollment_create(user=student, course=course)
    client.force_login(student)
    return course


def _row(html: str, title: str) -> str:
    section = html.split('id="course-assessments-title"')[1].split("</section>")[0]
    return section.split(title)[1].split("</tr>")[0]


def test_the_course_page_lists_every_published_lab_with_its_due_date_and_status(
    client, enrolled, student, squared
):
    services.lab_deadline_set(lab=squared, deadline=dt.datetime(2030, 1, 15, 17, 0, tzinfo=dt.UTC))
    graded(student, squared, failing={"returns_square"})
    html = client.get(enrolled.get_absolute_url()).content.decode()
    for lab in Lab.objects.filter(lesson__course=enrolled, is_published=True):
        assert lab.get_absolute_url() in html
    row = _row(html, squared.title)
    assert "Due Jan 15, 17:00 UTC" in row and "graded · best 7/10" in row
    other = Lab.objects.filter(lesson__course=enrolled).exclude(pk=squared.pk).first()
    other_row = _row(html, other.title)
    assert "No deadline" in other_row and "not started" in other_row


def test_the_course_page_lists_graded_quizzes_with_the_best_attempt(client, enrolled, student):
    quiz = Quiz.objects.create(course=enrolled, slug="final-exam", title="Final exam", kind="quiz")
    html = client.get(enrolled.get_absolute_url()).content.decode()
    assert "not started" in _row(html, "Final exam")
    now = timezone.now()
    Attempt.objects.create(quiz=quiz, user=student, number=1, started_at=now, submitted_at=now, score=40.0)
    Attempt.objects.create(quiz=quiz, user=student, number=2, started_at=now, submitted_at=now, score=80.0)
    Attempt.objects.create(quiz=quiz, user=student, number=3, started_at=now)  # open
    html = client.get(enrolled.get_absolute_url()).content.decode()
    assert "graded · best 80%" in _row(html, "Final exam")


def test_a_graded_quiz_is_listed_once_with_its_due_date(client, enrolled):
    due = dt.datetime(2030, 2, 1, 9, 30, tzinfo=dt.UTC)
    Quiz.objects.create(course=enrolled, slug="midterm", title="Midterm quiz", kind="quiz", due_at=due)
    Quiz.objects.create(
        course=enrolled, slug="closed", title="Closed quiz", kind="quiz", due_at=due.replace(year=2020)
    )
    html = client.get(enrolled.get_absolute_url()).content.decode()
    assert html.count("Midterm quiz") == 1
    assert "Due Feb 1, 09:30 UTC" in _row(html, "Midterm quiz")
    assert "Closed Feb 1, 09:30 UTC" in _row(html, "Closed quiz")


def test_quiz_standings(student, squared):
    course = squared.lesson.course
    quiz = Quiz.objects.create(course=course, slug="q", title="Q", kind="quiz")
    assert quiz_standings(student, [quiz])[quiz.pk].status == LabStanding.NOT_STARTED
    Attempt.objects.create(quiz=quiz, user=student, number=1, started_at=timezone.now())
    standing = quiz_standings(student, [quiz])[quiz.pk]
    assert (standing.status, standing.best, standing.attempts) == (LabStanding.IN_PROGRESS, None, 1)


def test_visitors_and_students_not_enrolled_see_no_standing(client, squared):
    html = client.get(squared.lesson.course.get_absolute_url()).content.decode()
    assert "course-assessments-title" not in html
