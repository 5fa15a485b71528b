"""Spaced review: misses become FSRS cards, due dates move exactly as the fsrs library says, nothing is shown
twice in a day, suspending hides an item, and the pages work for the student who owns the items only."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from fsrs import Card, Rating, Scheduler

from courses.services import enrollment_create
from labs.models import Lab, Submission
from practice.models import ReviewItem, ReviewLog
from practice.review import ReviewError, review_due, review_item_rate, review_sync
from quizzes.models import Question
from quizzes.services import attempt_answer, attempt_start, attempt_submit, check_answer

pytestmark = pytest.mark.django_db


def in_quiz(quiz, title):
    return quiz.questions.get(title=title)


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_misses_become_review_items(student, check, graded_quiz, course):
    check_answer(
        user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b", now=T0
    )  # wrong
    check_answer(
        user=student, quiz=check, question=in_quiz(check, "Max memory"), response="10240", now=T0
    )  # right
    attempt = attempt_start(user=student, quiz=graded_quiz, now=T0)
    attempt_answer(
        attempt=attempt, question_id=in_quiz(graded_quiz, "Max memory").id, response="3008", now=T0
    )
    attempt_submit(attempt=attempt, now=T0 + timedelta(minutes=1))  # both questions missed (one unanswered)
    lab = Lab.objects.create(
        slug="rl",
        title="Review lab",
        points=2,
        instructions_html="",
        content_hash="x",
        lesson=course.lessons.get(slug="intro"),
        checks=[{"id": "ok", "name": "OK", "points": 1}],
    )
    Submission.objects.create(
        user=student,
        lab=lab,
        files={},
        status="graded",
        graded_at=T0,
        verdicts=[{"id": "ok", "passed": False, "message": "returned None"}, {"id": "two", "passed": True}],
    )
    assert (
        review_sync(user=student, now=T0 + timedelta(minutes=2)) == 4
    )  # 1 check miss, 2 quiz misses (one unanswered), 1 lab check
    assert review_sync(user=student, now=T0 + timedelta(minutes=3)) == 0  # nothing twice
    items = ReviewItem.objects.filter(user=student)
    assert sorted(i.source for i in items) == ["check", "lab", "quiz", "quiz"]
    lab_item = items.get(source="lab")
    assert lab_item.check_id == "ok" and lab_item.check_message == "returned None"
    assert len(review_due(user=student, course=course, now=T0 + timedelta(minutes=5), limit=10)) == 4


def test_due_dates_follow_the_library(student, check, course):
    check_answer(user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b", now=T0)
    review_sync(user=student, now=T0)
    item = ReviewItem.objects.get(user=student)
    scheduler = Scheduler(enable_fuzzing=False)
    expected = Card(due=T0)
    day = T0
    for rating, name in [
        (Rating.Good, "good"),
        (Rating.Good, "good"),
        (Rating.Again, "again"),
        (Rating.Easy, "easy"),
    ]:
        day = max(day + timedelta(days=1), expected.due)  # review when due, at most once a day
        expected, _ = scheduler.review_card(expected, rating, review_datetime=day)
        item = review_item_rate(item=item, rating=name, now=day)
        assert item.due == expected.due
        assert Card.from_dict(item.card).stability == pytest.approx(expected.stability)
    assert ReviewLog.objects.filter(item=item).count() == 4
    assert item.due > day + timedelta(days=1)  # an easy recall pushes it out


def test_never_twice_a_day_and_suspend(student, check, course):
    check_answer(user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b", now=T0)
    review_sync(user=student, now=T0)
    item = ReviewItem.objects.get(user=student)
    item = review_item_rate(item=item, rating="again", now=T0 + timedelta(hours=1))
    # FSRS's learning step makes it due again within minutes, but not today.
    assert item.due < T0 + timedelta(hours=2)
    assert review_due(user=student, course=course, now=T0 + timedelta(hours=5)) == []
    with pytest.raises(ReviewError, match="already reviewed this item today"):
        review_item_rate(item=item, rating="good", now=T0 + timedelta(hours=6))
    assert review_due(user=student, course=course, now=T0 + timedelta(days=1)) == [item]
    item.suspended = True
    item.save()
    assert review_due(user=student, course=course, now=T0 + timedelta(days=1)) == []


def test_review_pages(client, student, check, course):
    enrollment_create(user=student, course=course)
    check_answer(user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b")
    client.force_login(student)
    course_page = client.get(reverse("courses:course", args=["demo"])).content.decode()
    assert 'class="review-due">1</strong>' in course_page
    page = client.get(reverse("practice:review_today", args=["demo"])).content.decode()
    assert "How does <strong>Amazon S3</strong> invoke a function?" in page
    assert "SECRET" not in page
    item = ReviewItem.objects.get(user=student)
    feedback = client.post(
        reverse("practice:review_answer", args=[item.id]), {"response": "a"}, HTTP_HX_REQUEST="true"
    )
    text = feedback.content.decode()
    assert "✓ Right." in text and "SECRET-EXPLANATION" in text and "<html" not in text
    client.post(reverse("practice:review_rate", args=[item.id]), {"rating": "good"})
    item.refresh_from_db()
    assert item.reviews == 1
    page = client.get(reverse("practice:review_today", args=["demo"])).content.decode()
    assert "Nothing due right now" in page
    client.post(reverse("practice:review_suspend", args=[item.id]), {"suspend": "1"})
    item.refresh_from_db()
    assert item.suspended


def test_items_are_private(client, student, instructor, check):
    check_answer(user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b")
    review_sync(user=student)
    item = ReviewItem.objects.get(user=student)
    client.force_login(instructor)
    assert client.post(reverse("practice:review_rate", args=[item.id]), {"rating": "good"}).status_code == 404
    assert Question.objects.filter(review_items__user=student).count() == 1


def test_review_answer_error_escapes_the_posted_answer(client, student, check, course):
    check_answer(user=student, quiz=check, question=in_quiz(check, "Invocation of S3"), response="b")
    review_sync(user=student)
    item = ReviewItem.objects.get(user=student)
    client.force_login(student)
    refused = client.post(
        reverse("practice:review_answer", args=[item.id]),
        {"response": "<script>alert(1)</script>"},
        HTTP_HX_REQUEST="true",
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and "not in this question" in body
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
