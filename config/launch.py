"""Start the whole platform for development: the Django web server and a real Celery worker.

Used by ``make run``. Both processes share this terminal's output; Ctrl-C (or SIGTERM) stops both.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

# Every queue of CELERY_TASK_ROUTES and the default one (config/settings/base.py, "Celery queues").
WORKER_QUEUES = "celery,playground,regrades"


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this launcher dies, so no orphan worker or server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--worker-concurrency", default="2")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    _die_with_parent()  # if `make` is killed, this launcher stops too, and with it both children
    python = sys.executable
    worker = subprocess.Popen(
        [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            args.worker_concurrency,
            "--hostname",
            "worker@%h",
            "--queues",
            WORKER_QUEUES,
            # the periodic sweep of stuck lab submissions runs in this worker (one beat per deployment)
            "--beat",
            "--schedule",
            os.path.join("var", "celerybeat-schedule"),
        ],
        preexec_fn=_die_with_parent,
    )
    web = subprocess.Popen(
        [python, "manage.py", "runserver", f"{args.host}:{args.port}"], preexec_fn=_die_with_parent
    )
    print(
        f"\nPlatform starting at http://{args.host}:{args.port}  (web pid {web.pid}, worker pid {worker.pid})\n",
        flush=True,
    )

    def stop(*_):
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
    finally:
        stop()
        for process in (web, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return web.returncode or worker.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
