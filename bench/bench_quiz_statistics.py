"""Item analysis of a quiz with 20 questions and 5,000 submitted first attempts (100,000 answers) on PostgreSQL.

Creates its own database, fills it with bulk inserts (students answer according to a simple ability model,
so discrimination is positive and alpha meaningful), then times ``quiz_item_analysis`` (reads plus
computation) several times and prints the median and the maximum. Target: under 1 s.

Run: .venv/bin/python bench/bench_quiz_statistics.py [--attempts 5000] [--questions 20] [--runs 5]
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(attempt_count: int, question_count: int) -> int:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from courses.models import Course
    from quizzes.models import Attempt, AttemptAnswer, Question, Quiz, QuizItem

    call_command("migrate", verbosity=0)
    course = Course.objects.create(slug="bench", title="Bench course")
    quiz = Quiz.objects.create(course=course, slug="bench-quiz", title="Bench quiz")
    choices = [
        {"id": c, "text": f"Choice {c}", "weight": 100 if c == "a" else 0, "feedback": ""} for c in "abcd"
    ]
    questions = Question.objects.bulk_create(
        Question(
            course=course,
            kind="single",
            title=f"Question {i}",
            spec={"kind": "single", "title": f"Question {i}", "stem": "Which?", "choices": choices},
        )
        for i in range(question_count)
    )
    QuizItem.objects.bulk_create(QuizItem(quiz=quiz, question=q, order=i) for i, q in enumerate(questions))
    users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(attempt_count))
    now = timezone.now()
    ids = [q.id for q in questions]
    attempts = Attempt.objects.bulk_create(
        Attempt(quiz=quiz, user=u, number=1, started_at=now, submitted_at=now, question_ids=ids, score=0)
        for u in users
    )
    rng = random.Random(20)
    answers = []
    difficulty = [rng.uniform(-1.5, 1.5) for _ in questions]
    for attempt in attempts:
        ability = rng.gauss(0, 1)
        for question, hard in zip(questions, difficulty, strict=True):
            right = rng.random() < 1 / (1 + pow(2.718, hard - ability))
            answers.append(
                AttemptAnswer(
                    attempt=attempt,
                    question=question,
                    response="a" if right else rng.choice("bcd"),
                    score=1.0 if right else 0.0,
                    correct=right,
                )
            )
    AttemptAnswer.objects.bulk_create(answers, batch_size=5000)
    return quiz.id


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    import psycopg

    database = f"bench_quizstats_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=f"{args.postgres}/{database}"
    )
    try:
        import django

        django.setup()
        from django.db import connection

        from quizzes.item_analysis import quiz_item_analysis
        from quizzes.models import Quiz

        started = time.perf_counter()
        quiz_id = fill(args.attempts, args.questions)
        print(
            f"filled {args.attempts} attempts x {args.questions} questions in {time.perf_counter() - started:.1f} s"
        )
        timings = []
        for _ in range(args.runs):
            quiz = Quiz.objects.get(pk=quiz_id)
            started = time.perf_counter()
            report = quiz_item_analysis(quiz=quiz)
            timings.append(time.perf_counter() - started)
        first = report.questions[0]
        print(
            f"quiz statistics: {report.attempts} attempts, alpha {report.cronbach_alpha:.3f}, "
            f"question 1 facility {first.facility:.3f} discrimination {first.discrimination:.3f}"
        )
        print(
            f"time per analysis: median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {args.runs} runs (target < 1000 ms)"
        )
        connection.close()
    finally:
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
