"""'Review today' for a student with 2,000 review items, on PostgreSQL.

Creates its own database, gives one student 2,000 questions to review (half of them due, a tenth reviewed
today, some suspended) plus a history of 200 knowledge-check answers, then requests the page through Django's
test client in this process (middleware, session, sync of new misses, queries, template) and prints p50, p90
and max over the runs. Target: p50 < 30 ms.

Run: .venv/bin/python bench/bench_review.py [--items 2000] [--requests 200]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(items: int):
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone
    from fsrs import Card

    from courses.models import Course, Enrollment
    from practice.models import ReviewItem
    from quizzes.models import CheckAnswer, Question, Quiz

    call_command("migrate", verbosity=0)
    course = Course.objects.create(slug="bench", title="Bench course", is_published=True)
    student = User.objects.create(username="reviewer")
    Enrollment.objects.create(user=student, course=course)
    choices = [
        {"id": c, "text": f"Choice {c}", "weight": 100 if c == "a" else 0, "feedback": ""} for c in "abcd"
    ]
    questions = Question.objects.bulk_create(
        Question(
            course=course,
            kind="single",
            title=f"Question {i}",
            spec={"kind": "single", "title": f"Question {i}", "stem": f"Which one, {i}?", "choices": choices},
        )
        for i in range(items)
    )
    check = Quiz.objects.create(course=course, slug="check", title="Check", kind=Quiz.Kind.CHECK)
    now = timezone.now()
    CheckAnswer.objects.bulk_create(
        CheckAnswer(user=student, quiz=check, question=q, response="b", answered_at=now - timedelta(days=3))
        for q in questions[:200]
    )
    rows = []
    for index, question in enumerate(questions):
        due = now - timedelta(hours=1) if index % 2 else now + timedelta(days=index % 30 + 1)
        card = Card(due=due)
        rows.append(
            ReviewItem(
                user=student,
                course=course,
                source="check",
                question=question,
                card=card.to_dict(),
                due=due,
                last_review=now - timedelta(minutes=5) if index % 10 == 1 else None,
                suspended=index % 50 == 3,
                created_at=now - timedelta(days=3),
            )
        )
    ReviewItem.objects.bulk_create(rows)
    return student


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    import psycopg

    database = f"bench_review_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=f"{args.postgres}/{database}"
    )
    try:
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment

        setup_test_environment()
        student = fill(args.items)
        client = Client()
        client.force_login(student)
        url = "/practice/bench/review/"
        first = client.get(url)  # the first visit turns the 200 old misses into items (nothing new here)
        assert first.status_code == 200, first.status_code
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        due = response.content.decode().split('id="review-due-count">', 1)[1].split("<", 1)[0]
        timings.sort()
        print(f"'Review today' with {args.items} review items ({due} due now), {args.requests} requests:")
        print(
            f"p50 {statistics.median(timings):.1f} ms, p90 {timings[int(len(timings) * 0.9)]:.1f} ms, "
            f"max {timings[-1]:.1f} ms (target p50 < 30 ms)"
        )
        connection.close()
    finally:
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
