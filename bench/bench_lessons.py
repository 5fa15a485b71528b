"""Lesson page under load: a production server (gunicorn, several workers) on 127.0.0.1, driven by wrk with a
logged-in student's session, warm cache. Prints p50/p90/p99 latency and requests/s against the targets
(p50 < 15 ms, >= 500 requests/s on a 2-core machine).

The production stack: PostgreSQL (a fresh database, dropped afterwards) and Redis (one logical database,
flushed) as in a real deployment.

Run: .venv/bin/python bench/bench_lessons.py [--workers 3] [--connections 8] [--seconds 10]
Needs wrk (Debian package `wrk`), PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def login(base: str, username: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": base + "/"})
    opener.open(request).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("login failed")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--lesson", default="/courses/serverless/invocation-models/")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench_lessons: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    import psycopg
    import redis

    database = f"bench_lessons_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    redis.Redis.from_url(args.redis).flushdb()
    var = Path(tempfile.mkdtemp(prefix="bench-lessons-"))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="bench-only-secret-" + "x0" * 30,
        VAR_DIR=str(var),
        SECURE_COOKIES="0",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        DATABASE_URL=f"{args.postgres}/{database}",
        REDIS_URL=args.redis,
    )
    manage(env, "migrate", "--noinput")
    manage(env, "import_course")
    manage(env, "collectstatic", "--noinput")
    manage(
        env,
        "shell",
        "-c",
        "from accounts.services import user_create; from courses.models import Course;"
        "from courses.services import enrollment_create;"
        "u = user_create(username='bench', password='bench-pass-123');"
        "[enrollment_create(user=u, course=c) for c in Course.objects.all()]",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
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
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(base + "/")
        cookie = login(base, "bench", "bench-pass-123")
        url = base + args.lesson
        check = (
            urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})).read().decode()
        )
        if "lesson-title" not in check:
            raise SystemExit("the lesson page did not render for the logged-in student")
        # Warm every worker's render cache and session cache.
        subprocess.run(
            ["wrk", "-t1", "-c4", "-d2s", "-H", f"Cookie: {cookie}", url], check=True, capture_output=True
        )
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-H",
                f"Cookie: {cookie}",
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)
        redis.Redis.from_url(args.redis).flushdb()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", result, re.MULTILINE))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    p50, p90, p99 = (to_ms(percentiles[key]) for key in ("50", "90", "99"))
    print(
        f"lesson page, logged-in student, warm cache (PostgreSQL + Redis): gunicorn {args.workers} workers, "
        f"wrk 2 threads x {args.connections} connections, {args.seconds} s"
    )
    print(
        f"  p50 {p50:.2f} ms   p90 {p90:.2f} ms   p99 {p99:.2f} ms   {rps:.0f} requests/s"
        f"   non-2xx: {errors.group(1) if errors else 0}"
    )
    ok = p50 < 15 and rps >= 500 and not errors
    print(f"  targets p50 < 15 ms and >= 500 requests/s: {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
