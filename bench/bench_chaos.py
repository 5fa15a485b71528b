"""Chaos: 200 students submit 1,000 lab solutions over HTTP while worker processes are killed and Redis and
PostgreSQL restart. Does any submission get lost, graded twice or stuck?

Each student submits the squared-number solution ``--rounds`` times (default 5), one after the other: submit,
poll the status fragment as the page does until it shows a grade (or "could not be graded"), then the next.
gunicorn serves them; one Celery worker with 2 processes grades; a separate beat runs the sweep of stuck
submissions (every 60 s). Meanwhile a controller SIGKILLs a random worker process every ``--kill-every``
seconds, restarts Redis once (after a quarter of the gradings) and PostgreSQL once (after half).

Redis and PostgreSQL are this benchmark's OWN: a redis-server and a PostgreSQL cluster (initdb, pg_ctl from
/usr/lib/postgresql/*/bin, run as the ``postgres`` user when started as root) on free ports in a temporary
folder, so the machine's shared services are never restarted. Redis keeps an append-only file (fsync every
second), as a production broker would; PostgreSQL restarts with ``pg_ctl restart -m fast``.

Report: submissions lost (a student got an id that never reached a grade; target 0), graded exactly once as
seen by the student (shown graded 10/10, and the grade not replaced after it was shown; target all), stuck in
queued or running after the run plus the sweep interval (target 0), p95 submit -> graded.

Run: .venv/bin/python bench/bench_chaos.py [--students 200] [--rounds 5] [--kill-every 12]
Needs redis-server, PostgreSQL's server binaries and bubblewrap. Run by `make bench`, not by the tests.
"""

import argparse
import asyncio
import contextlib
import glob
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labs import LAB, PY, ROOT, free_port, http, percentile, setup  # noqa: E402

SWEEP_S = 60  # the beat schedule's interval (config/settings/base.py)
ALL_QUEUES = "celery,playground,regrades"


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class OwnPostgres:
    def __init__(self, folder: Path) -> None:
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.data, self.port = folder / "pgdata", free_port()
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        subprocess.run(
            as_postgres(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200"
        command = [
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-w",
            "-m",
            "fast",
        ]
        subprocess.run(as_postgres([*command, "-o", options, action]), check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.process = folder, free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
        self.process.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


async def student(port: int, session_key: str, solution: str, rounds: int, log: list[dict]) -> None:
    """One student: submit, watch the status until graded, again; a failed request is tried again."""
    csrf = secrets.token_hex(16)
    cookie = f"sessionid={session_key}; csrftoken={csrf}"
    for _ in range(rounds):
        entry = {"id": 0, "sent": time.time(), "seen": None, "retries": 0}
        while not entry["id"]:
            try:
                status, body, _ = await http(
                    port,
                    "POST",
                    f"/labs/{LAB}/submissions/",
                    cookie,
                    csrf,
                    {"kind": "submit", "file:app.py": solution},
                )
            except OSError:
                status, body = 0, ""
            match = re.search(rf'href="/labs/{LAB}/submissions/(\d+)/"', body) if status == 200 else None
            if match:
                entry["id"] = int(match.group(1))
            else:
                entry["retries"] += 1
                await asyncio.sleep(1 + random.random())  # noqa: S311 (jitter)
        log.append(entry)
        while entry["seen"] is None:
            await asyncio.sleep(1.5 + random.random())  # noqa: S311
            try:
                status, body, _ = await http(
                    port, "GET", f"/labs/{LAB}/submissions/{entry['id']}/status/", cookie
                )
            except OSError:
                continue
            if "status-graded" in body:
                score = re.search(r'class="score-value">(\d+)/(\d+)<', body)
                entry["seen"] = score.group(0) if score else "graded"
            elif "status-infra_error" in body:
                entry["seen"] = "could not be graded"


def pool_children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def controller(workers: list, redis: OwnRedis, postgres: OwnPostgres, total: int, args, events, done):
    """Kill a random worker process every few seconds; restart Redis, then PostgreSQL, as gradings progress.
    Also the worker's supervisor (systemd's Restart=always in production): a worker that exits is started
    again (Celery exits when a pool process dies while starting). ``workers[0]`` is the running worker."""
    import psycopg

    restarted = {"redis": False, "postgres": False}
    graded, seen, seen_before = 0, set(), set()
    while not done.is_set():
        done.wait(args.kill_every)
        if workers[0].poll() is not None:
            workers[0] = workers[1]()
            events["worker_restarts"] += 1
        # a process that was there at the last two looks: it has warmed up and may be grading (killing
        # processes that are still warming up only tests Celery's start-up: on this loaded 2-core machine a
        # warm-up takes over 10 s, and at a kill every few seconds no grading would ever run)
        now_children = pool_children(workers[0].pid)
        children = [pid for pid in now_children if pid in seen and pid in seen_before]
        seen_before, seen = seen, set(now_children)
        if children and graded:
            with contextlib.suppress(ProcessLookupError):
                os.kill(random.choice(children), signal.SIGKILL)  # noqa: S311
                events["kills"] += 1
        try:
            with psycopg.connect(f"{postgres.url}/chaos", connect_timeout=3) as conn:
                row = conn.execute("SELECT count(*) FROM labs_submission WHERE status = 'graded'").fetchone()
                graded = row[0]
        except psycopg.Error:
            continue
        if not restarted["redis"] and graded >= total // 4:
            started = time.monotonic()
            redis.stop()
            redis.start()
            restarted["redis"] = True
            events["redis_restart_s"] = time.monotonic() - started
        elif not restarted["postgres"] and graded >= total // 2:
            started = time.monotonic()
            postgres.ctl("restart")
            restarted["postgres"] = True
            events["postgres_restart_s"] = time.monotonic() - started
    events.update(restarted)


def start(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=out, stderr=out, start_new_session=True
        )


def outcome(log: list[dict], first_look: dict) -> dict:
    from labs.models import Submission

    rows = {row.pk: row for row in Submission.objects.filter(kind="submit")}
    accepted = [entry for entry in log if entry["id"]]
    lost = [
        e for e in accepted if e["id"] not in rows or rows[e["id"]].status not in ("graded", "infra_error")
    ]
    once = [
        e
        for e in accepted
        if e["seen"] == 'class="score-value">10/10<'
        and rows[e["id"]].status == "graded"
        and rows[e["id"]].graded_at == first_look.get(e["id"])
    ]
    stuck = [pk for pk, row in rows.items() if row.status in ("queued", "running")]
    latency = [
        (rows[e["id"]].graded_at.timestamp() - e["sent"]) * 1000 for e in accepted if rows[e["id"]].graded_at
    ]
    return {
        "accepted": len(accepted),
        "rows": len(rows),
        "lost": len(lost),
        "once": len(once),
        "failed": sum(1 for e in accepted if e["seen"] == "could not be graded"),
        "stuck": len(stuck),
        "p50": percentile(latency, 0.5),
        "p95": percentile(latency, 0.95),
        "retries": sum(e["retries"] for e in log),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kill-every", type=float, default=12.0)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--max-run", type=float, default=900.0, help="seconds before the students stop waiting"
    )
    args = parser.parse_args()
    # SIGTERM or Ctrl-C end the run through the cleanup below (asyncio would otherwise only cancel the students)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: sys.exit(130))
    total = args.students * args.rounds
    folder = Path(tempfile.mkdtemp(prefix="bench-chaos-"))
    os.chmod(folder, 0o755)  # noqa: S103 (the postgres user must reach its data folder inside)
    postgres, redis = OwnPostgres(folder / "pg"), OwnRedis(folder / "redis")
    processes: list[subprocess.Popen] = []
    events = {"kills": 0, "worker_restarts": 0}
    workers: list = []
    done = threading.Event()
    try:
        postgres.ctl("start")
        redis.start()
        createdb = [
            str(postgres.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres.port),
            "-U",
            "postgres",
        ]
        subprocess.run([*createdb, "chaos"], check=True)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "SECRET_KEY": "bench-only-secret-" + "c4" * 30,
                "VAR_DIR": str(folder / "var"),
                "SECURE_COOKIES": "0",
                "LOG_LEVEL": "WARNING",
                "DATABASE_URL": f"{postgres.url}/chaos",
                "DB_CONN_MAX_AGE": "0",
                "REDIS_URL": redis.url,
                "CELERY_VISIBILITY_TIMEOUT": "60",
            }
        )
        plan = setup(args.students)
        port = free_port()
        logs = folder / "processes.log"
        processes.append(
            start(
                [PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(args.web_workers), "--log-level", "warning"],
                logs,
            )
        )

        def start_worker() -> subprocess.Popen:
            return start(
                [PY, "-m", "celery", "-A", "config", "worker", "--queues", ALL_QUEUES, "--concurrency", "2"]
                + [
                    "--hostname",
                    f"chaos-{os.getpid()}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                ],
                logs,
            )

        workers = [start_worker(), start_worker]
        processes.append(
            start(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "beat",
                    "--schedule",
                    str(folder / "beat"),
                    "--loglevel",
                    "WARNING",
                ],
                logs,
            )
        )
        wait_port(port)
        chaos = threading.Thread(
            target=controller, args=(workers, redis, postgres, total, args, events, done), daemon=True
        )
        log: list[dict] = []
        started = time.monotonic()
        chaos.start()

        async def class_of_students():
            await asyncio.gather(
                *(student(port, key, plan["solution"], args.rounds, log) for key in plan["students"])
            )

        try:  # a run that cannot finish still reports what it lost and left behind
            asyncio.run(asyncio.wait_for(class_of_students(), timeout=args.max_run))
        except TimeoutError:
            events["timed_out"] = True
        run_s = time.monotonic() - started
        done.set()
        chaos.join()
        from django.db import connections

        from labs.models import Submission

        connections.close_all()
        first_look = dict(Submission.objects.filter(kind="submit").values_list("pk", "graded_at"))
        time.sleep(SWEEP_S + 5)  # a sweep runs; nothing must change and nothing may be left behind
        connections.close_all()
        result = outcome(log, first_look)
        # how long until nothing at all is pending (a row stuck running waits for its grading time + 60 s)
        deadline = time.monotonic() + 3 * SWEEP_S
        while (
            Submission.objects.filter(status__in=["queued", "running"]).exists()
            and time.monotonic() < deadline
        ):
            time.sleep(2)
        result["stuck_later"] = Submission.objects.filter(status__in=["queued", "running"]).count()
        result["quiet_after_s"] = time.monotonic() - started - run_s
    finally:
        done.set()
        for process in processes + workers[:1]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres.ctl("stop")
        if redis.process is not None and redis.process.poll() is None:
            redis.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"chaos: {args.students} students x {args.rounds} submissions over HTTP (gunicorn {args.web_workers} workers), "
        f"1 Celery worker with 2 processes, own PostgreSQL + Redis; {events['kills']} worker processes SIGKILLed "
        f"(the worker restarted {events['worker_restarts']} times) "
        f"{'STOPPED at --max-run, ' if events.get('timed_out') else ''}"
        f"(one every {args.kill_every:g} s), Redis restarted: {events.get('redis')} "
        f"({events.get('redis_restart_s', 0):.1f} s), PostgreSQL restarted: {events.get('postgres')} "
        f"({events.get('postgres_restart_s', 0):.1f} s); run {run_s:.0f} s, then {SWEEP_S + 5} s for the sweep "
        f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)"
    )
    print(
        f"  accepted {result['accepted']} of {total} (rows {result['rows']}; {result['retries']} submit retries "
        f"after errors); lost {result['lost']} (target 0); graded exactly once as seen by the student "
        f"{result['once']} (target {total}); could not be graded {result['failed']}; stuck after the sweep "
        f"{result['stuck']} (target 0), {result['stuck_later']} {result['quiet_after_s']:.0f} s after the run; submit -> graded p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms"
    )
    ok = result["lost"] == 0 and result["stuck"] == 0 and result["once"] == total
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
