"""Lab grading end to end: students submit the squared-number lab over real HTTP to a production server
(gunicorn, PostgreSQL, Redis) on 127.0.0.1, and two Celery worker processes grade every submission in the
sandbox against a fresh simulated account.

Two phases of ``--submissions`` each, all solutions that score 10/10:
  latency     submissions arrive at a steady ``--rate`` per second (a class working through a lab):
              p50/p95 from the moment the browser sends Submit to the moment the grade is stored.
  throughput  the same number sent at once (the minute before a deadline): gradings per second from the
              first send to the last grade stored.
Targets: p50 < 300 ms, p95 < 1 s, >= 20 gradings/s.

Also printed: the submit request's own latency, the split of each grading between waiting in the queue
(created -> started) and grading (started -> graded; of which grade(), the simulated account and the
sandboxed invocations), so a miss says where the time went, and the machine's 1-minute load average before
and after the run (on a shared machine the figures move with it).

Run: .venv/bin/python bench/bench_labs.py [--submissions 100] [--rate 5] [--workers 2] [--concurrency 2]
Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and bubblewrap (the sandbox).
"""

import argparse
import asyncio
import os
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
LAB = "squared-number"
WARMUP = 6  # submissions graded before measuring: each worker process has imported moto and the runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def http(port: int, method: str, path: str, cookie: str, csrf: str = "", body: dict | None = None):
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    data = urllib.parse.urlencode(body or {}).encode()
    headers = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Cookie: {cookie}", "Connection: close"]
    headers.append("HX-Request: true")
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
    return int(head.split(b" ", 2)[1]), payload.decode(errors="replace"), elapsed


def setup(students: int) -> dict:
    """The course and the lab imported, students with logged-in sessions (made directly: hashing passwords
    over HTTP would measure PBKDF2, not grading)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils.module_loading import import_string

    from accounts.roles import STUDENTS, role_group
    from courses.importing import import_course_dir
    from labs.grading import load_catalog
    from labs.jobs import lab_spec
    from labs.services import lab_import

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    import_course_dir(Path(settings.COURSE_CONTENT_DIR) / "serverless")
    lab = next(lab_import(spec=spec)[0] for spec in load_catalog() if spec.slug == LAB)
    users = User.objects.bulk_create(
        User(username=f"s{i:05d}", password="!") for i in range(students + WARMUP)
    )
    role_group(STUDENTS).user_set.add(*users)
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")

    def session_for(user) -> str:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.CachedModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        return store.session_key

    sessions = [session_for(user) for user in users]
    return {
        "solution": lab_spec(lab).solution["app.py"],
        "students": sessions[:students],
        "warmup": sessions[students:],
    }


async def submit(port: int, session_key: str, solution: str) -> tuple[int, float, float, str]:
    """(submission id, wall-clock time the request was sent, request latency, error or "")."""
    csrf = secrets.token_hex(16)
    cookie = f"sessionid={session_key}; csrftoken={csrf}"
    sent = time.time()
    status, body, elapsed = await http(
        port, "POST", f"/labs/{LAB}/submissions/", cookie, csrf, {"kind": "submit", "file:app.py": solution}
    )
    match = re.search(rf'href="/labs/{LAB}/submissions/(\d+)/"', body)
    if status != 200 or match is None:
        return 0, sent, elapsed, f"submit answered {status}"
    return int(match.group(1)), sent, elapsed, ""


async def paced(port: int, sessions: list[str], solution: str, rate: float) -> list[tuple]:
    async def one(index: int, key: str):
        await asyncio.sleep(index / rate)
        return await submit(port, key, solution)

    return await asyncio.gather(*(one(i, key) for i, key in enumerate(sessions)))


async def burst(port: int, sessions: list[str], solution: str) -> list[tuple]:
    return await asyncio.gather(*(submit(port, key, solution) for key in sessions))


def wait_graded(ids: list[int], timeout: float = 300.0) -> None:
    from labs.models import Submission

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = Submission.objects.filter(pk__in=ids, status__in=["queued", "running"]).count()
        if not pending:
            return
        time.sleep(0.2)
    raise SystemExit(f"{pending} submissions were still not graded after {timeout:.0f} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))] if ordered else float("nan")


def figures(sent: list[tuple]) -> dict:
    """Timings of one phase from the rows the workers wrote."""
    from labs.models import Submission

    by_id = {row[0]: row for row in sent if row[0]}
    rows = list(Submission.objects.filter(pk__in=by_id))
    graded = [row for row in rows if row.status == "graded"]
    latency = [row.graded_at.timestamp() - by_id[row.pk][1] for row in graded]
    queue_wait = [(row.started_at - row.created_at).total_seconds() for row in graded]
    grading = [(row.graded_at - row.started_at).total_seconds() for row in graded]
    first_sent = min(row[1] for row in sent)
    last_graded = max(row.graded_at.timestamp() for row in graded) if graded else first_sent
    return {
        "count": len(rows),
        "graded": len(graded),
        "full_marks": sum(1 for row in graded if row.score == row.max_score == 10),
        "errors": [row[3] for row in sent if row[3]],
        "request_ms": [row[2] * 1000 for row in sent],
        "latency_ms": [value * 1000 for value in latency],
        "queue_ms": [value * 1000 for value in queue_wait],
        "grading_ms": [value * 1000 for value in grading],
        "runtime_ms": [row.result.get("grading_ms", 0) for row in graded],  # inside grade(): the account
        "rate": len(graded) / (last_graded - first_sent) if graded else 0.0,
    }


def describe(name: str, result: dict) -> None:
    def p(key: str) -> str:
        values = result[key]
        return f"p50 {statistics.median(values):.0f} ms  p95 {percentile(values, 0.95):.0f} ms"

    print(
        f"  {name}: {result['graded']}/{result['count']} graded, {result['full_marks']} with 10/10, "
        f"submit errors {len(result['errors'])}"
    )
    print(f"    submit -> graded  {p('latency_ms')}  max {max(result['latency_ms']):.0f} ms")
    print(f"    submit request    {p('request_ms')}")
    print(
        f"    waiting in queue  {p('queue_ms')};  grading {p('grading_ms')}, of which grade() {p('runtime_ms')}"
    )
    print(f"    {result['rate']:.1f} gradings/s (first send to last grade stored)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0, help="submissions per second in the latency phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()

    import psycopg
    import redis

    database = f"bench_labs_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    redis.Redis.from_url(args.redis).flushdb()
    var = Path(tempfile.mkdtemp(prefix="bench-labs-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-secret-" + "x0" * 30,
            "VAR_DIR": str(var),
            "SECURE_COOKIES": "0",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"{args.postgres}/{database}",
            "REDIS_URL": args.redis,
        }
    )
    port = free_port()
    load_before = os.getloadavg()[0]
    processes: list[subprocess.Popen] = []
    try:
        plan = setup(args.submissions)
        processes.append(
            subprocess.Popen(
                [PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(args.workers), "--log-level", "warning"],
                cwd=ROOT,
                env=dict(os.environ),
                start_new_session=True,
            )
        )
        processes.append(
            subprocess.Popen(
                [PY, "-m", "celery", "-A", "config", "worker", "--concurrency", str(args.concurrency)]
                + [
                    "--hostname",
                    f"bench-labs-{os.getpid()}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-heartbeat",
                ]
                + ["--without-gossip", "--without-mingle"],
                cwd=ROOT,
                env=dict(os.environ),
                start_new_session=True,
            )
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        warm = asyncio.run(burst(port, plan["warmup"], plan["solution"]))
        wait_graded([row[0] for row in warm if row[0]])
        latency_phase = asyncio.run(paced(port, plan["students"], plan["solution"], args.rate))
        wait_graded([row[0] for row in latency_phase if row[0]])
        throughput_phase = asyncio.run(burst(port, plan["students"], plan["solution"]))
        wait_graded([row[0] for row in throughput_phase if row[0]])
        latency, throughput = figures(latency_phase), figures(throughput_phase)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        from django.db import connections

        connections.close_all()
        redis.Redis.from_url(args.redis).flushdb()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(var, ignore_errors=True)

    print(
        f"lab grading: {args.submissions} squared-number submissions per phase over HTTP, gunicorn "
        f"{args.workers} workers, Celery {args.concurrency} worker processes, PostgreSQL + Redis "
        f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} CPUs)"
    )
    describe(f"latency phase ({args.rate:g} submissions/s)", latency)
    describe("throughput phase (all at once)", throughput)
    p50, p95 = statistics.median(latency["latency_ms"]), percentile(latency["latency_ms"], 0.95)
    complete = all(r["graded"] == r["full_marks"] == args.submissions for r in (latency, throughput))
    print(
        f"  targets p50 < 300 ms: {'met' if p50 < 300 else 'NOT met'}; p95 < 1 s: "
        f"{'met' if p95 < 1000 else 'NOT met'}; >= 20 gradings/s: "
        f"{'met' if throughput['rate'] >= 20 else 'NOT met'}; every submission graded 10/10: "
        f"{'yes' if complete else 'NO'}"
    )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
