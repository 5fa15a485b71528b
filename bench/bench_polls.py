"""A live poll under a class of 1,000: every simulated student joins (code in, poll page back) and answers
within 10 seconds over real
HTTP against a production server (gunicorn, PostgreSQL, Redis) on 127.0.0.1, while the presenter view
refreshes every second. A tenth of the students change their answer once.

Prints: answers sent vs rows in the database (each student's answer counted once), how long after the last
answer the presenter's count was right, and p50/p95/max latency of answer requests. Targets: every answer
recorded exactly once, presenter correct within 1 s, p95 answer latency under 200 ms.

Run: .venv/bin/python bench/bench_polls.py [--students 1000] [--seconds 8] [--workers 3]
"""

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
WARMUP_STUDENTS = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def http(
    port: int,
    method: str,
    path: str,
    cookie: str,
    csrf: str = "",
    body: dict | None = None,
) -> tuple[int, str, float]:
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    data = urllib.parse.urlencode(body or {}, doseq=True).encode()
    headers = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Cookie: {cookie}",
        "Connection: close",
        "HX-Request: true",
    ]
    if method == "POST":
        headers += [
            f"X-CSRFToken: {csrf}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(data)}",
            "Referer: http://127.0.0.1/",
        ]
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + (data if method == "POST" else b""))
    await writer.drain()
    raw = await reader.read()
    elapsed = time.perf_counter() - started
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, payload.decode(errors="replace"), elapsed


def setup(students: int) -> dict:
    """Users, enrollments and logged-in sessions made directly (hashing 1,000 passwords over HTTP would
    measure PBKDF2, not the poll)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils.module_loading import import_string

    from accounts.roles import INSTRUCTORS, STUDENTS, role_group
    from accounts.services import user_create
    from courses.models import Course, Enrollment
    from quizzes.models import Question
    from quizzes.polls import poll_create, poll_open
    from quizzes.services import gift_import

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    course = Course.objects.create(slug="bench", title="Bench course")
    gift_import(
        course=course,
        text="::Invoke S3::How does S3 invoke Lambda?{=Asynchronously ~Synchronously "
        "~By polling ####S3 does not wait.}\n",
    )
    host = user_create(username="host", password="host-pass-123", role=INSTRUCTORS)
    users = User.objects.bulk_create(
        User(username=f"s{i:05d}", password="!") for i in range(students + WARMUP_STUDENTS)
    )
    role_group(STUDENTS).user_set.add(*users)
    Enrollment.objects.bulk_create(Enrollment(user=user, course=course) for user in users)
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")

    def session_for(user) -> str:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.CachedModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        return store.session_key

    question = Question.objects.get()
    warmup = poll_create(host=host, course=course, title="Warm-up poll", question_ids=[question.id])
    poll_open(session=warmup)
    poll = poll_create(host=host, course=course, title="Bench poll", question_ids=[question.id])
    poll_open(session=poll)
    sessions = [session_for(user) for user in users]
    return {
        "code": poll.code,
        "warmup_code": warmup.code,
        "question": question.id,
        "host": session_for(host),
        "students": sessions[:students],
        "warmup_students": sessions[students:],
    }


async def warm_up(port: int, plan: dict) -> None:
    """A server that a class uses has served pages before: each worker has compiled its templates and
    opened its connections. A few students join and answer a separate warm-up poll first (not measured,
    not counted), so the figures are about the live poll rather than about a process's first requests."""
    for session_key in plan["warmup_students"]:
        csrf = secrets.token_hex(16)
        cookie = f"sessionid={session_key}; csrftoken={csrf}"
        code = plan["warmup_code"]
        await http(port, "POST", "/quizzes/polls/join/", cookie, csrf, {"code": code})
        await http(
            port,
            "POST",
            f"/quizzes/polls/{code}/answer/",
            cookie,
            csrf,
            {"question": plan["question"], "response": "a"},
        )
        await http(port, "GET", f"/quizzes/polls/{code}/present/live/", f"sessionid={plan['host']}")


async def drive(port: int, plan: dict, seconds: float, changers: float) -> dict:
    code, question = plan["code"], plan["question"]
    latencies: list[float] = []
    errors: list[str] = []
    final: dict[int, str] = {}
    presenter_counts: list[tuple[float, int]] = []
    done = asyncio.Event()
    rng = random.Random(7)

    async def presenter():
        while not done.is_set():
            status, body, _ = await http(
                port, "GET", f"/quizzes/polls/{code}/present/live/", f"sessionid={plan['host']}"
            )
            match = re.search(r'id="answered-count">(\d+)<', body)
            if status == 200 and match:
                presenter_counts.append((time.perf_counter(), int(match.group(1))))
            await asyncio.sleep(1.0)

    async def student(index: int, session_key: str):
        await asyncio.sleep(rng.uniform(0, seconds))
        csrf = secrets.token_hex(16)
        cookie = f"sessionid={session_key}; csrftoken={csrf}"
        # The join form posts with htmx and gets the poll page back in the same response.
        status, body, _ = await http(port, "POST", "/quizzes/polls/join/", cookie, csrf, {"code": code})
        if status != 200 or "Send answer" not in body:
            errors.append(f"join {status}")
            return
        answers = [rng.choice("abc")]
        if rng.random() < changers:
            answers.append(rng.choice([c for c in "abc" if c != answers[0]]))
        for choice in answers:
            status, body, elapsed = await http(
                port,
                "POST",
                f"/quizzes/polls/{code}/answer/",
                cookie,
                csrf,
                {"question": question, "response": choice},
            )
            latencies.append(elapsed)
            if status != 200 or "Answer received" not in body:
                errors.append(f"answer {status}")
                return
            final[index] = choice

    presenter_task = asyncio.create_task(presenter())
    started = time.perf_counter()
    await asyncio.gather(*(student(i, key) for i, key in enumerate(plan["students"])))
    last_answer = time.perf_counter()
    # The presenter keeps refreshing on its own schedule; we look at when its count was first right.
    expected = len(final)
    deadline = last_answer + 5
    while time.perf_counter() < deadline:
        if presenter_counts and presenter_counts[-1][0] > last_answer:
            break
        await asyncio.sleep(0.05)
    done.set()
    await presenter_task
    status, body, _ = await http(
        port, "GET", f"/quizzes/polls/{code}/present/live/", f"sessionid={plan['host']}"
    )
    right_after = [t - last_answer for t, count in presenter_counts if t > last_answer and count == expected]
    return {
        "latencies": latencies,
        "errors": errors,
        "final": final,
        "wall": last_answer - started,
        "presenter_delay": right_after[0] if right_after else None,
        "presenter_now": int(re.search(r'id="answered-count">(\d+)<', body).group(1)),
        "answer_requests": len(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=8.0, help="students arrive spread over this window")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn gthread threads per worker (1: sync)"
    )
    parser.add_argument("--changers", type=float, default=0.1, help="fraction who change their answer")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    import psycopg
    import redis

    database = f"bench_polls_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    redis.Redis.from_url(args.redis).flushdb()
    var = Path(tempfile.mkdtemp(prefix="bench-polls-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-only-secret-" + "x0" * 30,
        "VAR_DIR": str(var),
        "SECURE_COOKIES": "0",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"{args.postgres}/{database}",
        "REDIS_URL": args.redis,
    }
    os.environ.update(env)
    port = free_port()
    server = None
    try:
        plan = setup(args.students)
        server = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            start_new_session=True,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        asyncio.run(warm_up(port, plan))
        cpu_before = time.process_time()
        result = asyncio.run(drive(port, plan, args.seconds, args.changers))
        result["client_cpu"] = time.process_time() - cpu_before
        from quizzes.models import PollResponse

        measured = PollResponse.objects.filter(session__code=plan["code"])
        rows = measured.count()
        changed = measured.filter(changes__gt=0).count()
        matches = sum(
            measured.get(user__username=f"s{i:05d}").response == choice
            for i, choice in list(result["final"].items())[:50]
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        redis.Redis.from_url(args.redis).flushdb()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(var, ignore_errors=True)

    if result["errors"]:
        print("  errors (first 5):", result["errors"][:5])
    latencies = sorted(result["latencies"]) or [0.0]
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    students = len(result["final"])
    print(
        f"live poll: {args.students} students over {args.seconds:.0f} s, gunicorn {args.workers} workers, "
        f"PostgreSQL + Redis"
    )
    print(
        f"  all joined and answered in {result['wall']:.1f} s; answer requests {result['answer_requests']} "
        f"({args.changers:.0%} changed once); errors {len(result['errors'])}"
    )
    print(
        f"  rows in the database {rows} for {students} students who answered (changed answers: {changed}); "
        f"last answer kept for {matches}/50 sampled"
    )
    delay = result["presenter_delay"]
    print(
        f"  presenter count right {delay:.2f} s after the last answer"
        if delay is not None
        else "  presenter count never matched",
        f"(now shows {result['presenter_now']})",
    )
    print(f"  load generator CPU {result['client_cpu']:.1f} s (same 2 cores as the server)")
    print(f"  answer latency p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {latencies[-1] * 1000:.1f} ms")
    ok = (
        rows == students == args.students
        and not result["errors"]
        and delay is not None
        and delay <= 1.0
        and p95 < 200
        and result["presenter_now"] == students
    )
    print(f"  targets (exactly once, presenter within 1 s, p95 < 200 ms): {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
