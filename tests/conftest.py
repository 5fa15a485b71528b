"""Shared fixtures. Services that a test needs (Redis, PostgreSQL, Chromium) are real; when one is missing,
the test is skipped with the reason locally, and fails in CI (CI=true), so nothing is silently skipped there."""

import os
import shutil
import socket
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth.models import User

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
