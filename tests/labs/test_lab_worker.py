"""Grading on a real Celery worker process with a real Redis broker: a submission goes from queued to
graded, and a worker killed in the middle of grading loses nothing (the task is delivered again)."""

import os
import signal
import time

import pytest

from labs.models import Submission
from labs.services import submission_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The handler is slow only for the first check's event, so the grading can be caught in the middle.
SLOW_SOLUTION = (
    "import logging, time\n"
    "logger = logging.getLogger()\n"
    "logger.setLevel(logging.INFO)\n"
    "class InvalidInput(Exception):\n"
    "    pass\n"
    "def lambda_handler(event, context):\n"
    "    if 'number' not in event:\n"
    "        raise InvalidInput('expected a number')\n"
    "    n = event['number']\n"
    "    if isinstance(n, bool) or not isinstance(n, (int, float)):\n"
    "        raise InvalidInput('number must be a number')\n"
    "    if n == 5:\n"
    "        time.sleep(1.5)\n"
    "    logger.info('squaring %s', n)\n"
    "    return {'number': n, 'squared': n * n}\n"
)


def wait_for(submission: Submission, statuses: set[str], timeout_s: float) -> Submission:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.status in statuses:
            return submission
        time.sleep(0.05)
    raise AssertionError(f"submission still {submission.status} after {timeout_s} s")


def create(squared, student, files) -> Submission:
    # Enqueueing is the test's job here (to its own queue), so the service's on-commit hook is bypassed.
    from labs import jobs

    original, jobs.send = jobs.send, lambda task, argument: None
    try:
        return submission_create(user=student, lab=squared, files=files)
    finally:
        jobs.send = original


def test_a_worker_grades_a_submission_end_to_end(squared, student, celery_worker_factory):
    start, send = celery_worker_factory
    start()
    from labs.jobs import lab_spec

    submission = create(squared, student, {"app.py": lab_spec(squared).solution["app.py"]})
    send(submission.pk)
    graded = wait_for(submission, {"graded", "infra_error"}, timeout_s=60)
    assert (graded.status, graded.score, graded.max_score) == ("graded", 10, 10)
    assert "REPORT RequestId:" in graded.result["invocations"][0]["logs"]


def test_a_worker_killed_mid_grading_loses_nothing(squared, student, celery_worker_factory):
    start, send = celery_worker_factory
    first = start()
    submission = create(squared, student, {"app.py": SLOW_SOLUTION})
    send(submission.pk)
    wait_for(submission, {"running"}, timeout_s=60)
    time.sleep(0.3)  # inside the slow invocation
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child die mid-grading
    first.wait()
    submission.refresh_from_db()
    assert submission.status == "running"
    start()  # a new worker: the unacknowledged task comes back after the visibility timeout
    graded = wait_for(submission, {"graded"}, timeout_s=90)
    assert (graded.score, graded.max_score) == (10, 10)
    assert graded.grading_attempts == 2
