"""Shared fixtures. Services that a test needs (Redis, PostgreSQL, Chromium) are real; when one is missing,
the test is skipped with the reason locally, and fails in CI (CI=true), so nothing is silently skipped there."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.contrib.auth.models import User
from django.db import connection

from accounts.roles import INSTRUCTORS, STUDENTS
from accounts.services import user_create
from tests.helpers import write_lesson

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    require_service(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return url


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    require_service(Path(path).exists() or shutil.which(path) is not None, f"Chromium at {path}")
    return path


@pytest.fixture
def student(db) -> User:
    return user_create(username="stu", password="stu-pass-123", role=STUDENTS)


@pytest.fixture
def instructor(db) -> User:
    return user_create(username="teach", password="teach-pass-123", role=INSTRUCTORS)


@pytest.fixture
def teacher_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A small course folder: two modules, three lessons."""
    course = tmp_path / "demo"
    course.mkdir()
    (course / "_course.yaml").write_text(
        textwrap.dedent("""\
        slug: demo
        title: Demo course
        summary: A course for tests.
        modules:
          - slug: basics
            title: Basics
          - slug: advanced
            title: Advanced
        """),
        encoding="utf-8",
    )
    write_lesson(
        course,
        "intro",
        title="Introduction",
        order=1,
        body="Welcome.\n\n## Code\n\n```python\ndef lambda_handler(event, context):\n    return 1\n```\n",
    )
    write_lesson(course, "second", title="Second steps", order=2)
    write_lesson(
        course,
        "deep",
        title="Deep dive",
        module="advanced",
        order=1,
        body="## Diagram\n\n```mermaid\nflowchart LR\n  A --> B\n```\n",
    )
    return course


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached pages and generations must not leak between tests."""
    from django.core.cache import cache

    from courses.page_cache import content_generation_forget

    cache.clear()
    content_generation_forget()
    yield


ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_factory(redis_url):
    """start() runs a real Celery worker process (Redis broker, this test's database, its own queue);
    send(submission_id) enqueues a grading on that queue (send(run_id, task=...) another lab task). Needs django_db(transaction=True)."""
    queue = f"labs-test-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        CELERY_VISIBILITY_TIMEOUT="3",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
    )
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "1",
        ]
        command += [
            "--hostname",
            f"{queue}-{len(started)}@%h",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
        ]
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        started.append(process)
        return process

    sender = Celery(broker=redis_url)

    def send(submission_id: int, task: str = "labs.tasks.grade_submission") -> None:
        sender.send_task(task, args=[submission_id], queue=queue)

    yield start, send
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    sender.close()


@pytest.fixture
def catalog(db):
    """The real course and every lab of labs/content, imported."""
    from django.conf import settings

    from courses.importing import import_course_dir
    from labs.grading import load_catalog
    from labs.models import Lab
    from labs.services import lab_import

    import_course_dir(Path(settings.COURSE_CONTENT_DIR) / "serverless")
    for spec in load_catalog():
        lab_import(spec=spec)
    return Lab.objects.all()


@pytest.fixture
def squared(catalog):
    return catalog.get(slug="squared-number")
