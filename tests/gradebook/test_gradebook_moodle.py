"""The gradebook's course total (documented weighting) and the CSV laid out for Moodle's grade import."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.services import enrollment_create
from gradebook.selectors import gradebook_for
from labs.models import Lab
from quizzes.models import Attempt, Quiz
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_with_work(squared):
    """Two labs and one graded quiz; ann did some of everything, bob nothing but enrolled."""
    course = squared.lesson.course
    other = Lab.objects.filter(lesson__course=course).exclude(pk=squared.pk).first()
    Lab.objects.exclude(pk__in=[squared.pk, other.pk]).update(is_published=False)
    Quiz.objects.filter(course=course).update(is_published=False)
    quiz = Quiz.objects.create(course=course, slug="final", title="Final", kind="quiz")
    ann = make_student("ann", email="Ann.Lee@example.com", first_name="Ann", last_name="=Lee")
    bob = make_student("bob", email="bob@example.com")
    enrollment_create(user=bob, course=course)
    graded(ann, squared, failing={"returns_square"})  # 7 of 10
    graded(ann, squared)  # 10: the best
    now = timezone.now()
    Attempt.objects.create(quiz=quiz, user=ann, number=1, started_at=now, submitted_at=now, score=62.5)
    return {"course": course, "labs": [squared, other], "quiz": quiz, "ann": ann, "bob": bob}


def _ordered(book, labs):
    # the gradebook's own order of the two labs
    return [lab for lab in book.labs if lab in labs]


def test_course_total_counts_each_lab_by_its_points_and_each_quiz_by_the_setting(course_with_work, settings):
    book = gradebook_for(course_with_work["course"])
    squared, other = course_with_work["labs"]
    assert book.total_possible == squared.points + other.points + 10
    rows = {row.user.username: row for row in book.rows(book.students())}
    assert rows["ann"].total == 10 + 6.25  # 62.5 % of a 10-point quiz
    assert rows["ann"].percent == round(100 * 16.25 / book.total_possible, 1)
    assert rows["bob"].total == 0 and rows["bob"].percent == 0
    settings.GRADEBOOK_QUIZ_POINTS = 40
    book = gradebook_for(course_with_work["course"])
    assert book.total_possible == squared.points + other.points + 40
    assert {row.user.username: row.total for row in book.rows(book.students())}["ann"] == 10 + 25


def test_course_total_is_on_the_page_with_its_weighting(teacher_client, course_with_work):
    html = teacher_client.get(
        reverse("gradebook:course", args=[course_with_work["course"].slug])
    ).content.decode()
    book = gradebook_for(course_with_work["course"])
    assert f'Course total <span class="muted">of {book.total_possible}</span>' in html
    assert "each graded quiz 10 points" in html
    assert '<td class="num total">16.25 ' in html


def test_moodle_csv_has_a_user_column_and_one_numeric_column_per_grade_item(teacher_client, course_with_work):
    """Moodle's grade import maps users by "Email address" (useremail) or username and each other column
    to a grade item; grades must be plain numbers (https://docs.moodle.org/311/en/Grade_import)."""
    course = course_with_work["course"]
    response = teacher_client.get(reverse("gradebook:moodle_csv", args=[course.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="grades-for-moodle-{course.slug}-{today}.csv"'
    )
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    book = gradebook_for(course)
    labs = _ordered(book, course_with_work["labs"])
    assert table[0] == [
        "Email address",
        "Username",
        "First name",
        "Last name",
        *[f"{lab.title} (lab, out of {lab.points})" for lab in labs],
        "Final (quiz, percent)",
    ]
    squared_column = 4 + labs.index(course_with_work["labs"][0])
    ann, bob = table[1], table[2]
    assert ann[:4] == [
        "Ann.Lee@example.com",
        "ann",
        "Ann",
        "'=Lee",
    ]  # e-mail as stored: Moodle is case sensitive
    assert ann[squared_column] == "10" and ann[-1] == "62.5"
    assert bob[:2] == ["bob@example.com", "bob"] and bob[4:] == ["", "", ""]  # no grade: an empty cell
    for row in table[1:]:
        for cell in row[4:]:
            assert cell == "" or float(cell) >= 0  # numbers only, no "late" or "yes"
    assert len(table) == 3


def test_both_csvs_are_for_instructors_only(client, course_with_work):
    course = course_with_work["course"]
    client.force_login(course_with_work["ann"])
    for name in ("gradebook:csv", "gradebook:moodle_csv"):
        assert client.get(reverse(name, args=[course.slug])).status_code == 403
