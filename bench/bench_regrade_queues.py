"""Live lab submissions while an instructor re-grades a whole lab: does the re-grade slow the class down?

Students submit the squared-number lab over real HTTP to gunicorn at a steady ``--rate`` (PostgreSQL,
Redis, Celery workers grading in the sandbox, as bench_labs.py). ``--regrades`` earlier submissions of other
students (default 2,000) are re-graded at the same moment the live phase starts. Four runs, each on fresh
worker processes, the live submitters' p50/p95 submit -> graded compared:

  no re-grade         the live phase alone (the reference)
  shared queue        the re-grade sent as before issue 17: every submission a grade_submission message on
                      the default queue, in front of the live ones
  own queue, 1 worker the re-grade as the platform sends it now (lab_regrade_all: regrade_submission on the
                      ``regrades`` queue), one worker of --concurrency processes consuming every queue (make run;
                      on Redis it serves the default queue first: queue_order_strategy "sorted")
  own queue, split    one worker on the default queue and one on ``regrades`` (production's separate
                      workers), the same number of processes in all

Run: .venv/bin/python bench/bench_regrade_queues.py [--regrades 2000] [--submissions 60] [--rate 3]
Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and bubblewrap. Not part of the test suite.
"""

import argparse
import asyncio
import datetime
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labs import LAB, PY, ROOT, burst, figures, free_port, paced, percentile, setup, wait_graded  # noqa: E402

ALL_QUEUES = "celery,playground,regrades"


def regrade_population(count: int, solution: str) -> list[int]:
    """``count`` other students, each with one graded submission of the lab; returns their ids."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from labs.models import Lab, Submission

    lab = Lab.objects.get(slug=LAB)
    users = User.objects.bulk_create(User(username=f"r{i:05d}", password="!") for i in range(count))
    now = timezone.now()
    rows = Submission.objects.bulk_create(
        Submission(
            user=user,
            lab=lab,
            files={"app.py": solution},
            status="graded",
            score=10,
            max_score=10,
            graded_at=now,
            started_at=now,
            lab_hash=lab.content_hash,
        )
        for user in users
    )
    return [row.pk for row in rows]


def start_worker(name: str, queues: str, concurrency: int) -> subprocess.Popen:
    command = [
        PY,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(concurrency),
    ]
    command += ["--hostname", f"{name}-{os.getpid()}@%h", "--loglevel", "WARNING"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ), start_new_session=True, stdout=subprocess.DEVNULL
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_regrade(mode: str) -> int:
    """Queue the re-grade of every student's latest submission; returns how many rows were queued."""
    from celery import current_app

    from labs import jobs, services
    from labs.models import Lab

    messages: list[tuple[str, object]] = []
    send = jobs.send
    jobs.send = lambda task, argument: messages.append((task, argument))
    try:
        ids, _ = services.lab_regrade_all(lab=Lab.objects.get(slug=LAB))
    finally:
        jobs.send = send
    if mode == "shared":  # before issue 17: one grade_submission per row, on the default queue
        for pk in ids:
            current_app.send_task("labs.tasks.grade_submission", args=[pk], queue="celery")
    else:
        for task, argument in messages:
            send(task, argument)
    return len(ids)


def regrades_done_since(started: float, ids: list[int]) -> int:
    from labs.models import Submission

    since = datetime.datetime.fromtimestamp(started, tz=datetime.UTC)
    return Submission.objects.filter(pk__in=ids, status="graded", graded_at__gte=since).count()


def scenario(name: str, mode: str, workers: list[tuple[str, int]], plan: dict, args, port: int) -> dict:
    import redis

    from labs.models import Submission

    processes = [start_worker(f"bench-q{i}", queues, n) for i, (queues, n) in enumerate(workers)]
    try:
        warm = asyncio.run(burst(port, plan["warmup"], plan["solution"]))
        wait_graded([row[0] for row in warm if row[0]])
        queued, started = (start_regrade(mode) if mode != "none" else 0), time.time()
        live = asyncio.run(paced(port, plan["students"], plan["solution"], args.rate))
        wait_graded([row[0] for row in live if row[0]], timeout=900)
        result = figures(live)
        result.update(name=name, queued=queued, regraded=regrades_done_since(started, plan["regrades"]))
        result["span_s"] = time.time() - started
    finally:
        stop(processes)
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        Submission.objects.filter(status__in=["queued", "running"]).update(status="graded")
    return result


def report(results: list[dict], args, load_before: float) -> None:
    print(
        f"live lab submissions during a lab-wide re-grade: {args.submissions} live submissions at {args.rate:g}/s "
        f"over HTTP (gunicorn {args.workers} workers), {args.regrades:,} submissions re-graded from the same "
        f"moment, {args.concurrency} Celery processes in all, PostgreSQL + Redis (load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} CPUs)"
    )
    for r in results:
        values = r["latency_ms"]
        print(
            f"  {r['name']:<34} live submit -> graded p50 {statistics.median(values):6.0f} ms  "
            f"p95 {percentile(values, 0.95):6.0f} ms  max {max(values):6.0f} ms; {r['graded']}/{r['count']} live "
            f"graded; re-grade: {r['queued']} queued, {r['regraded']} done by the end of the live phase "
            f"({r['span_s']:.0f} s)"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--regrades", type=int, default=2000)
    parser.add_argument("--submissions", type=int, default=60)
    parser.add_argument("--rate", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes in all")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--only", default="none,shared,own,split", help="which runs, comma-separated")
    args = parser.parse_args()

    import psycopg
    import redis

    database = f"bench_regrades_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    redis.Redis.from_url(args.redis).flushdb()
    var = Path(tempfile.mkdtemp(prefix="bench-regrades-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-secret-" + "x0" * 30,
            "VAR_DIR": str(var),
            "SECURE_COOKIES": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"{args.postgres}/{database}",
            "REDIS_URL": args.redis,
        }
    )
    load_before = os.getloadavg()[0]
    port = free_port()
    web = None
    results = []
    try:
        plan = setup(args.submissions)
        plan["regrades"] = regrade_population(args.regrades, plan["solution"])
        web = subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(args.workers), "--log-level", "warning"],
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
        half = max(1, args.concurrency // 2)
        runs = {
            "none": ("no re-grade", "none", [(ALL_QUEUES, args.concurrency)]),
            "shared": ("shared queue (before)", "shared", [(ALL_QUEUES, args.concurrency)]),
            "own": ("own queue, one worker (make run)", "own", [(ALL_QUEUES, args.concurrency)]),
            "split": (
                "own queue, split workers",
                "own",
                [("celery,playground", args.concurrency - half), ("regrades", half)],
            ),
        }
        for name, mode, workers in (runs[key] for key in args.only.split(",")):
            results.append(scenario(name, mode, workers, plan, args, port))
            print(f"  ... {name} done", flush=True)
    finally:
        if web is not None:
            stop([web])
        from django.db import connections

        connections.close_all()
        redis.Redis.from_url(args.redis).flushdb()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(var, ignore_errors=True)
    report(results, args, load_before)
    return 0 if all(r["graded"] == r["count"] == args.submissions for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
