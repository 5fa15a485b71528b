"""A real Celery worker leaves no student code on disk (HIGH-1 of the 2026-12 security review): a grading's
unpacked code goes when its account closes, and a pool child's code store goes when the child is sent
SIGTERM or the worker shuts down warm (prefork children leave with ``os._exit``, which skips atexit)."""

import glob
import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from .test_lab_worker import create, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _children(pid: int) -> list[int]:
    found = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        with open(task) as file:
            found += [int(child) for child in file.read().split()]
    return found


def _child_with_store(worker_pid: int, timeout_s: float = 120) -> tuple[int, Path]:
    """The worker's pool child and its code store root (made when the child warmed up its fork server). The
    children are read again on every look: a pool child that billiard replaced is followed."""
    deadline = time.monotonic() + timeout_s
    pattern = os.path.join(tempfile.gettempdir(), "labs-runtime-store-{}-*")
    while time.monotonic() < deadline:
        for child in [pid for pid in _children(worker_pid) if _is_python(pid)]:
            roots = glob.glob(pattern.format(child))
            if roots:
                return child, Path(roots[0])
        time.sleep(0.1)
    stores = sorted(Path(root).name for root in glob.glob(pattern.format("*")))
    raise AssertionError(
        f"worker {worker_pid} has no pool child with a code store after {timeout_s} s "
        f"(children now: {_children(worker_pid)}; stores: {stores})"
    )


def _gone(path: Path, timeout_s: float = 15) -> bool:
    deadline = time.monotonic() + timeout_s
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def _is_python(pid: int) -> bool:
    try:
        return "python" in os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False


def test_pool_children_remove_their_code_on_sigterm_and_on_warm_shutdown(
    squared, student, celery_worker_factory
):
    start, send = celery_worker_factory
    workers = [start(), start()]  # both at once: warming a worker up takes seconds on a busy machine
    found = [_child_with_store(worker.pid) for worker in workers]
    children, stores = [child for child, _ in found], [store for _, store in found]
    from labs.jobs import lab_spec

    submission = create(squared, student, {"app.py": lab_spec(squared).solution["app.py"]})
    send(submission.pk)
    assert wait_for(submission, {"graded", "infra_error"}, timeout_s=90).status == "graded"
    # the grading's account closed: its unpacked code went with it; the (empty) store serves the next one
    for store in stores:
        assert [path.name for path in store.iterdir()] == [".owner"]

    os.kill(children[0], signal.SIGTERM)  # a pool child itself (billiard replaces it)
    assert _gone(stores[0]), f"{stores[0]} left behind by a pool child ended with SIGTERM"

    workers[1].send_signal(signal.SIGTERM)  # warm shutdown of a whole worker
    workers[1].wait(timeout=60)
    assert _gone(stores[1]), f"{stores[1]} left behind by a warm shutdown"
