"""Instructor comments and a manual score adjustment on a submission: the automatic score is kept beside
it, the gradebook and the LMS get the adjusted one, every change is logged with who and when, and the
student sees the comment and both scores."""

import pytest
from django.test import Client
from django.urls import reverse

from courses.signals import score_changed
from gradebook.selectors import Gradebook
from labs import services
from labs.selectors import lab_standings
from lti.items import best_score, item_of
from tests.labs.helpers import graded, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(student, squared):
    return graded(student, squared, failing={"returns_square"})  # 7/10


@pytest.fixture
def signals():
    heard = []

    def receiver(sender, user, item, **kwargs):
        heard.append((user.username, item.slug))

    score_changed.connect(receiver, dispatch_uid="test-review")
    yield heard
    score_changed.disconnect(dispatch_uid="test-review")


def test_an_adjustment_counts_everywhere_and_keeps_the_automatic_score(
    seven, squared, student, instructor, signals
):
    saved = services.submission_review(
        submission=seven, by=instructor, adjusted_score=9, comment="Good idea."
    )
    saved.refresh_from_db()
    assert (saved.score, saved.adjusted_score, saved.final_score) == (7, 9, 9)
    assert saved.reviewed_by == instructor and saved.reviewed_at is not None
    assert signals == [("stu", squared.slug)]  # the LMS hears of it
    cell = Gradebook(course=squared.lesson.course, labs=[squared], quizzes=[]).rows([student])[0].labs[0]
    assert (cell.best, cell.latest, cell.best_adjusted, cell.latest_adjusted) == (9, 9, True, True)
    assert lab_standings(student, [squared])[squared.pk].best == 9
    assert best_score(item_of(squared), student) == 9  # what the LTI grade push sends
    # a comment alone does not change the grade: nothing for the LMS
    services.submission_review(submission=saved, by=instructor, adjusted_score=9, comment="Good idea!")
    assert len(signals) == 1
    # back to the automatic score
    services.submission_review(submission=saved, by=instructor, adjusted_score=None, comment="")
    saved.refresh_from_db()
    assert saved.final_score == 7 and len(signals) == 2
    assert [(entry["by"], entry["adjusted_score"], entry["comment"]) for entry in saved.review_log] == [
        ("teach", 9, "Good idea."),
        ("teach", 9, "Good idea!"),
        ("teach", None, ""),
    ]


def test_an_adjustment_can_lower_the_best_below_another_submission(seven, squared, student, instructor):
    ten = graded(student, squared)
    services.submission_review(submission=ten, by=instructor, adjusted_score=5, comment="Copied.")
    cell = Gradebook(course=squared.lesson.course, labs=[squared], quizzes=[]).rows([student])[0].labs[0]
    assert (cell.best, cell.best_id) == (7, seven.pk)


@pytest.mark.parametrize(
    ("score", "message"),
    [(11, "between 0 and 10"), (-1, "between 0 and 10")],
)
def test_scores_out_of_range_are_refused(seven, instructor, score, message):
    with pytest.raises(services.ReviewRefused, match=message):
        services.submission_review(submission=seven, by=instructor, adjusted_score=score, comment="")
    seven.refresh_from_db()
    assert seven.adjusted_score is None and seven.review_log == []


def test_runs_ungraded_rows_and_long_comments_are_refused(student, squared, instructor):
    run = graded(student, squared, kind="run")
    with pytest.raises(services.ReviewRefused, match="only submissions"):
        services.submission_review(submission=run, by=instructor, adjusted_score=None, comment="hi")
    from labs.models import Submission

    waiting = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    with pytest.raises(services.ReviewRefused, match="not been graded yet"):
        services.submission_review(submission=waiting, by=instructor, adjusted_score=3, comment="")
    with pytest.raises(services.ReviewRefused, match="at most 5000"):
        services.submission_review(submission=waiting, by=instructor, adjusted_score=None, comment="x" * 5001)


def test_the_instructor_reviews_from_the_submission_page(teacher_client, seven, squared):
    review = reverse("labs:instructor_submission", args=[squared.slug, seven.pk])
    assert "Save review" in teacher_client.get(review).content.decode()
    url = reverse("labs:instructor_review", args=[squared.slug, seven.pk])
    response = teacher_client.post(url, {"adjusted_score": "8", "comment": "See line 3."}, follow=True)
    html = response.content.decode()
    assert "Review saved. stu&#x27;s grade for this submission: 8." in html
    assert "Last changed by teach" in html
    seven.refresh_from_db()
    assert (seven.adjusted_score, seven.comment) == (8, "See line 3.")
    response = teacher_client.post(url, {"adjusted_score": "12", "comment": ""}, follow=True)
    assert "Review not saved. The adjusted score must be between 0 and 10." in response.content.decode()
    response = teacher_client.post(url, {"adjusted_score": "many"}, follow=True)
    assert "Review not saved. Adjusted score: Enter a whole number." in response.content.decode()
    seven.refresh_from_db()
    assert seven.adjusted_score == 8
    listing = teacher_client.get(reverse("labs:instructor_submissions", args=[squared.slug])).content.decode()
    assert "→ 8</strong>" in listing
    book = teacher_client.get(reverse("gradebook:course", args=[squared.lesson.course.slug])).content.decode()
    assert '8/10</a> <span class="badge" title="Adjusted by an instructor">adj.</span>' in book


def test_the_student_sees_the_comment_and_both_scores(student_client, seven, squared, instructor):
    services.submission_review(
        submission=seven, by=instructor, adjusted_score=9, comment="<b>Nice</b>\nsecond line"
    )
    html = student_client.get(seven.get_absolute_url()).content.decode()
    assert '9/10</span> <span class="badge">adjusted by the instructor</span>' in html
    assert "automatic score 7/10" in html
    assert "&lt;b&gt;Nice&lt;/b&gt;<br>second line" in html  # escaped, line breaks kept
    page = student_client.get(squared.get_absolute_url()).content.decode()
    assert '9/10 <span class="muted" title="Adjusted by your instructor; automatic 7">adjusted</span>' in page


def test_only_instructors_review_and_only_with_the_csrf_token(client, seven, squared, instructor):
    url = reverse("labs:instructor_review", args=[squared.slug, seven.pk])
    client.force_login(make_student("eve"))
    assert client.post(url, {"adjusted_score": "10"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(instructor)
    assert strict.post(url, {"adjusted_score": "10"}).status_code == 403
    assert strict.get(url).status_code == 405
    seven.refresh_from_db()
    assert seven.adjusted_score is None


def test_a_regrade_changes_the_automatic_score_and_keeps_the_adjustment(
    student, squared, instructor, monkeypatch
):
    from labs import jobs
    from tests.labs.test_lab_submissions import solution

    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    services.submission_grade(submission_id=submission.pk)
    services.submission_review(submission=submission, by=instructor, adjusted_score=6, comment="Late start.")
    services.submission_regrade(submission=submission)
    graded_again = services.submission_grade(submission_id=submission.pk)
    assert (graded_again.score, graded_again.adjusted_score, graded_again.final_score) == (10, 6, 6)
    assert graded_again.comment == "Late start."
