"""The gradebook of a course (the gradebook app): best and latest lab scores with lateness, the best
graded-quiz attempt, the page with its links and search, and the CSV (chunked, spreadsheet-safe)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.services import enrollment_create
from gradebook.selectors import gradebook_for, spreadsheet_safe
from labs.models import Lab, Submission
from quizzes.models import Attempt, Quiz
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(squared, student, instructor):
    """A deadline, a graded quiz, and students with on-time, late and tied work."""
    deadline = timezone.now() - dt.timedelta(days=1)
    squared.deadline = deadline
    squared.save()
    course = squared.lesson.course
    before, after = deadline - dt.timedelta(hours=2), deadline + dt.timedelta(hours=2)
    ann, bob, cat = make_student("ann", first_name="=HYPERLINK(1)"), make_student("bob"), make_student("cat")
    enrollment_create(user=cat, course=course)  # enrolled, nothing done yet
    graded(ann, squared, failing={"returns_square", "rejects_missing_number"}, created_at=before)  # 5
    graded(ann, squared, created_at=after)  # 10, late: best and latest
    graded(ann, squared, failing={"returns_square"}, created_at=after + dt.timedelta(minutes=5))  # 7
    graded(ann, squared, kind="run", created_at=after + dt.timedelta(minutes=9))  # never counts
    graded(bob, squared, created_at=before)  # 10 on time
    graded(bob, squared, created_at=after)  # 10 again, late: the best stays the on-time one
    Submission.objects.create(user=bob, lab=squared, files={"app.py": ""}, status="infra_error")
    Submission.objects.create(user=bob, lab=squared, files={"app.py": ""})  # waiting
    graded(instructor, squared)  # instructors are not students
    quiz = Quiz.objects.create(course=course, slug="final", title='Final, "the" quiz', kind="quiz")
    Quiz.objects.create(course=course, slug="kc", title="A knowledge check", kind="check")
    # the course's own quizzes are left out of this table by unpublishing them (unpublished: not listed)
    Quiz.objects.filter(course=course).exclude(pk=quiz.pk).update(is_published=False)
    now = timezone.now()
    for number, score in ((1, 60.0), (2, 85.5)):
        Attempt.objects.create(
            quiz=quiz, user=ann, number=number, started_at=now, submitted_at=now, score=score
        )
    Attempt.objects.create(quiz=quiz, user=bob, number=1, started_at=now, score=None)  # still open
    return {"course": course, "ann": ann, "bob": bob, "cat": cat, "quiz": quiz}


@pytest.fixture
def only_squared(squared):
    """The catalog has many labs; these tests read the gradebook's columns for one of them."""
    Lab.objects.exclude(pk=squared.pk).update(is_published=False)
    return squared


def test_gradebook_best_latest_and_late(only_squared, book, student):
    squared = only_squared
    gradebook = gradebook_for(book["course"])
    assert gradebook.labs == [squared] and gradebook.quizzes == [book["quiz"]]  # no knowledge checks
    rows = {row.user.username: row for row in gradebook.rows(gradebook.students())}
    assert sorted(rows) == ["ann", "bob", "cat"]
    ann = rows["ann"].labs[0]
    assert (ann.best, ann.best_max, ann.best_late) == (10, 10, True)
    assert (ann.latest, ann.latest_late, ann.submissions, ann.pending) == (7, True, 3, 0)
    bob = rows["bob"].labs[0]
    assert (bob.best, bob.best_late, bob.latest, bob.latest_late) == (10, False, 10, True)
    assert Submission.objects.get(pk=bob.best_id).created_at < squared.deadline
    assert (bob.submissions, bob.pending) == (3, 1)  # the one that could not be graded is not counted
    cat = rows["cat"].labs[0]
    assert (cat.best, cat.latest, cat.submissions) == (None, None, 0)
    assert rows["ann"].quizzes == [85.5] and rows["bob"].quizzes == [None]


def test_gradebook_rows_cost_two_queries_whatever_the_number_of_students(book, django_assert_num_queries):
    gradebook = gradebook_for(book["course"])
    users = list(gradebook.students())
    with django_assert_num_queries(2):  # the lab submissions and the quiz attempts of these students
        gradebook.rows(users)


def test_gradebook_page_links_each_student_to_their_submissions(teacher_client, squared, book):
    response = teacher_client.get(reverse("gradebook:course", args=[book["course"].slug]))
    html = response.content.decode()
    assert response.status_code == 200
    listing = reverse("labs:instructor_submissions", args=[squared.slug])
    assert f'href="{listing}?student=ann"' in html and f'href="{listing}?student=bob"' in html
    best = Submission.objects.filter(user=book["ann"], score=10).get()
    assert reverse("labs:instructor_submission", args=[squared.slug, best.pk]) in html
    body = html.split("<tbody>")[1]
    assert body.count('class="badge late"') == 3  # ann's best and latest, bob's latest
    assert "86%" in body and "teach" not in body
    filtered = teacher_client.get(reverse("gradebook:course", args=[book["course"].slug]), {"q": "bo"})
    assert "ann" not in filtered.content.decode().split("<tbody>")[1]


def test_gradebook_csv(teacher_client, only_squared, book):
    squared = only_squared
    response = teacher_client.get(reverse("gradebook:csv", args=[book["course"].slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="gradebook-serverless-{today}.csv"'
    raw = b"".join(response.streaming_content).decode()
    assert '"Final, ""the"" quiz: best %"' in raw  # commas and quotes are quoted
    table = list(csv.reader(io.StringIO(raw)))
    title = squared.title
    assert table[0] == [
        "username",
        "name",
        "email",
        f"{title}: best (of 10)",
        f"{title}: best late",
        f"{title}: latest",
        f"{title}: latest late",
        f"{title}: submissions",
        'Final, "the" quiz: best %',
        "course total (of 20)",  # the lab's 10 points and the quiz's 10 (GRADEBOOK_QUIZ_POINTS)
        "course total %",
    ]
    assert table[1] == ["ann", "'=HYPERLINK(1)", "", "10", "yes", "7", "yes", "3", "85.5", "18.55", "92.8"]
    assert table[2] == ["bob", "", "", "10", "", "10", "yes", "3", "", "10", "50.0"]
    assert table[3] == ["cat", "", "", "", "", "", "", "0", "", "0", "0.0"]
    assert len(table) == 4


def test_the_csv_goes_through_the_whole_class_in_chunks(teacher_client, squared, monkeypatch):
    from gradebook import selectors as gradebook

    monkeypatch.setattr(gradebook, "CSV_CHUNK", 2)
    for index in range(5):
        graded(make_student(f"s{index}"), squared)
    response = teacher_client.get(reverse("gradebook:csv", args=[squared.lesson.course.slug]))
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in table[1:]] == ["s0", "s1", "s2", "s3", "s4"]


@pytest.mark.parametrize(
    ("value", "expected"), [("=1+1", "'=1+1"), ("@SUM", "'@SUM"), ("-x", "'-x"), ("ann", "ann"), (-3, -3)]
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected
