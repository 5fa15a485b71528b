"""Start the whole platform: a web server and a real Celery worker (with the beat for periodic sweeps).

``make run`` (``--mode serve``) serves a class: gunicorn with the classroom settings (DEBUG off, the site's own
error pages, static files collected and served by WhiteNoise). ``make dev`` (``--mode dev``) runs Django's
auto-reloading development server with DEBUG on. Both processes share this terminal; once the web server
answers, the launcher prints where to go and the demo logins last, so they are not buried under the start-up
logs. Ctrl-C (or SIGTERM) stops both.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.lan import lan_addresses

SETTINGS = {"serve": "config.settings.classroom", "dev": "config.settings.local"}
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104 (listening on every interface is what a class needs)
# gunicorn: one process, many threads. The embedded default keeps its cache (sessions, the logged-in user)
# in process memory, so every request must meet the same process, as with runserver; SQLite and a class of
# 30 are well served by one process (the lesson benchmark: ~1,300 requests/s on two cores with three).
GUNICORN_THREADS = "16"
WAIT_FOR_WEB_S = 120  # the worker warms the grading runtime before it is ready

# Every queue of CELERY_TASK_ROUTES and the default one (config/settings/base.py, "Celery queues").
WORKER_QUEUES = "celery,playground,regrades"


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this launcher dies, so no orphan worker or server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass


def worker_command(python: str, mode: str, concurrency: str, var_dir: Path) -> list[str]:
    command = [python, "-m", "celery", "-A", "config"]
    if mode == "serve":
        command.append("--quiet")  # no ASCII banner: the launcher's own summary is what the instructor needs
    return [
        *command,
        "worker",
        "--loglevel",
        "WARNING" if mode == "serve" else "INFO",
        "--concurrency",
        concurrency,
        "--hostname",
        "worker@%h",
        "--queues",
        WORKER_QUEUES,  # live grading, Test runs and re-grades (config/settings/base.py: Celery queues)
        # the periodic sweep of stuck lab submissions runs in this worker (one beat per deployment)
        "--beat",
        "--schedule",
        str(var_dir / "celerybeat-schedule"),
    ]


def web_command(python: str, mode: str, host: str, port: str) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if mode == "dev":
        return [python, "manage.py", "runserver", bind]
    return [
        python,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        GUNICORN_THREADS,
        # htmx polls keep connections open between requests; a slow phone on Wi-Fi should not be cut off
        "--keep-alive",
        "10",
        "--graceful-timeout",
        "10",
    ]


def _answers(host: str, port: int) -> bool:
    """True once the home page answers. The first request also imports every view (Django loads the URLconf
    lazily), which takes seconds: better here than for the first student."""
    url = f"http://{'127.0.0.1' if host in WILDCARD_HOSTS else host}:{port}/"
    try:
        with urllib.request.urlopen(url, timeout=60):  # noqa: S310 (our own server, http on purpose)
            return True
    except urllib.error.HTTPError:
        return True  # any answer from the site will do
    except OSError:
        return False


def wait_until_ready(
    host: str, port: int, worker_ready: Path, processes: list[subprocess.Popen], timeout_s: float
) -> bool:
    """True once the web server answers and the worker has written its ready file (celery_app.py);
    False if a process exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return False
        if worker_ready.exists() and _answers(host, port):
            return True
        time.sleep(0.2)
    return False


def read_demo_logins(var_dir: Path) -> list[dict[str, str]]:
    try:
        return json.loads((var_dir / "demo-logins.json").read_text())
    except (OSError, ValueError):
        return []


def banner(mode: str, host: str, port: str, logins: list[dict[str, str]]) -> str:
    """The summary printed last at start-up: where to open the site, how to log in, what to do next."""
    local = f"http://{'127.0.0.1' if host in WILDCARD_HOSTS else host}:{port}"
    rule = "=" * 78
    lines = [
        rule,
        f"  Serverless Learning is running ({'classroom mode' if mode == 'serve' else 'development mode'})",
    ]
    lines.append(f"  Open:            {local}/")
    if host in WILDCARD_HOSTS:
        for address in lan_addresses():
            lines.append(f"  Students open:   http://{address}:{port}/   (same network)")
    elif mode == "serve":
        lines.append("  Only this computer can reach it. For a class: make run HOST=0.0.0.0")
    lines.append(f"  Log in:          {local}/accounts/login/")
    for login in logins:
        lines.append(
            f"    demo {login['role']:<12} username {login['username']:<12} password {login['password']}"
        )
    lines += [
        "  Where to go next:",
        f"    students     {local}/courses/serverless/   lessons, checks and quizzes; labs at {local}/labs/",
        f"    instructors  {local}/quizzes/polls/new/serverless/   start a live poll (students join by code)",
        f"                 {local}/quizzes/author/   questions and quizzes;  {local}/labs/instructor/gradebook/serverless/",
        "  Stop: Ctrl-C",
        rule,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=sorted(SETTINGS), default="serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--worker-concurrency", default="2")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS[args.mode])
    var_dir = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    _die_with_parent()  # if `make` is killed, this launcher stops too, and with it both children
    python = sys.executable
    worker_ready = var_dir / f"worker-ready-{os.getpid()}"
    worker_ready.unlink(missing_ok=True)
    os.environ["PLATFORM_WORKER_READY_FILE"] = str(worker_ready)
    worker = subprocess.Popen(
        worker_command(python, args.mode, args.worker_concurrency, var_dir), preexec_fn=_die_with_parent
    )
    web = subprocess.Popen(web_command(python, args.mode, args.host, args.port), preexec_fn=_die_with_parent)

    def stop(*_):
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if wait_until_ready(args.host, int(args.port), worker_ready, [web, worker], WAIT_FOR_WEB_S):
            print(
                "\n" + banner(args.mode, args.host, args.port, read_demo_logins(var_dir)) + "\n", flush=True
            )
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
    finally:
        stop()
        worker_ready.unlink(missing_ok=True)
        for process in (web, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return web.returncode or worker.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
