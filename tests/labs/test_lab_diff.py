"""A student's submission history with a diff between any two of their submissions (labs/diffing.py and
the compare page), for the student and for the instructor."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from labs.diffing import files_diff
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


def test_files_diff_marks_changed_added_and_removed_lines_with_their_numbers():
    old = {"app.py": "a\nb\nc\nd\ne\nf\ng\nh\ni\n", "gone.py": "x\n", "same.py": "s\n"}
    new = {"app.py": "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\n", "new.py": "n\n", "same.py": "s\n"}
    diffs = {diff.name: diff for diff in files_diff(old, new)}
    assert [name for name in diffs] == ["app.py", "gone.py", "new.py", "same.py"]
    assert {name: diff.status for name, diff in diffs.items()} == {
        "app.py": "changed",
        "gone.py": "removed",
        "new.py": "added",
        "same.py": "unchanged",
    }
    app = diffs["app.py"]
    assert (app.added, app.removed) == (2, 1)
    # two changes more than 2 x 3 context lines apart: two hunks, each with at most 3 lines of context
    assert len(app.hunks) == 2
    first = [(line.kind, line.old_number, line.new_number, line.text) for line in app.hunks[0]]
    assert first[:3] == [("context", 1, 1, "a"), ("removed", 2, None, "b"), ("added", None, 2, "B")]
    assert first[-1] == ("context", 5, 5, "e")
    assert [(line.kind, line.new_number, line.text) for line in app.hunks[1]][-1] == ("added", 10, "j")
    assert diffs["same.py"].hunks == []


@pytest.fixture
def two_submissions(student, squared):
    earlier = timezone.now() - dt.timedelta(hours=1)
    old = graded(
        student, squared, failing={"returns_square"}, created_at=earlier, files={"app.py": "x = 1\n"}
    )
    new = graded(student, squared, files={"app.py": "x = 2\nprint('<script>alert(1)</script>')\n"})
    return old, new


def test_the_student_compares_two_of_their_submissions(student_client, squared, two_submissions):
    old, new = two_submissions
    url = reverse("labs:diff", args=[squared.slug])
    # the order they are picked in does not matter: the older one is on the left
    html = student_client.get(url, {"from": new.pk, "to": old.pk}).content.decode()
    assert '<tr class="diff-removed">' in html and "<code>x = 1</code>" in html
    assert '<tr class="diff-added">' in html and "<code>x = 2</code>" in html
    assert "<script>alert(1)</script>" not in html  # the student's code is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("(7/10)") < html.index("(10/10)")  # from the older (7/10) to the newer


def test_the_lab_page_offers_the_comparison(student_client, squared, two_submissions):
    old, new = two_submissions
    html = student_client.get(squared.get_absolute_url()).content.decode()
    assert f'action="{reverse("labs:diff", args=[squared.slug])}"' in html
    assert (
        f'name="from" value="{old.pk}" aria-label' in html
        and f'name="to" value="{new.pk}" aria-label' in html
    )
    assert "Compare the two chosen submissions" in html


def test_a_student_cannot_compare_someone_elses_submission(client, squared, two_submissions):
    old, new = two_submissions
    client.force_login(make_student("eve"))
    response = client.get(reverse("labs:diff", args=[squared.slug]), {"from": old.pk, "to": new.pk})
    assert response.status_code == 404


def test_bad_requests_say_what_is_wrong(student_client, student, squared, two_submissions):
    old, new = two_submissions
    url = reverse("labs:diff", args=[squared.slug])
    response = student_client.get(url, {"from": old.pk})
    assert response.status_code == 400 and b"Choose two submissions" in response.content
    assert student_client.get(url, {"from": "x", "to": new.pk}).status_code == 400
    assert student_client.get(url, {"from": old.pk, "to": 999999}).status_code == 404


def test_the_instructor_compares_any_students_submissions_but_not_across_students(
    teacher_client, squared, two_submissions
):
    old, new = two_submissions
    url = reverse("labs:diff", args=[squared.slug])
    html = teacher_client.get(url, {"from": old.pk, "to": new.pk}).content.decode()
    assert reverse("labs:instructor_submission", args=[squared.slug, new.pk]) in html
    assert "by stu" in html
    other = graded(make_student("ann"), squared)
    response = teacher_client.get(url, {"from": old.pk, "to": other.pk})
    assert response.status_code == 400 and b"same student" in response.content
    review = teacher_client.get(reverse("labs:instructor_submission", args=[squared.slug, new.pk]))
    assert "Compare the two chosen submissions" in review.content.decode()
