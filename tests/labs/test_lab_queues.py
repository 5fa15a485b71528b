"""Celery queues (issue 17 item 5): students' submissions on the default queue, instructors' re-grades on
``regrades``, Test-button runs on ``playground``; every message goes out under the task name that routes it
there, and `make run`'s worker consumes every queue. The latency this buys is measured in
bench/bench_regrade_queues.py, not here."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery_app import app
from config.launch import WORKER_QUEUES
from labs import jobs, playground, services
from labs.models import Submission

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "labs.tasks.grade_submission": "celery",
    "labs.tasks.regrade_submission": "regrades",
    "labs.tasks.enqueue_gradings": "regrades",
    "labs.tasks.run_playground": "playground",
    "labs.tasks.sweep_stuck_submissions": "celery",
    "lti.tasks.sweep_pending_grades": "celery",
}


@pytest.mark.parametrize(("task", "queue"), EXPECTED.items())
def test_each_task_is_routed_to_its_queue(task, queue):
    app.loader.import_default_modules()
    assert task in app.tasks
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_the_development_worker_consumes_every_queue():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert set(WORKER_QUEUES.split(",")) == routed | {settings.CELERY_TASK_DEFAULT_QUEUE}


@pytest.fixture
def sent(monkeypatch):
    messages: list[tuple[str, object]] = []
    monkeypatch.setattr(jobs, "send", lambda task, argument: messages.append((task, argument)))
    return messages


FILES = {"app.py": "def lambda_handler(event, context):\n    return event\n"}


def test_live_work_and_re_grades_are_sent_under_their_own_tasks(
    squared, student, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submission_create(user=student, lab=squared, files=FILES)
        run = playground.playground_run_create(user=student, lab=squared, files=FILES, event_text="{}")
    assert sent == [("labs.tasks.grade_submission", submission.pk), ("labs.tasks.run_playground", run.pk)]
    Submission.objects.filter(pk=submission.pk).update(status="graded", score=10)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_regrade(submission=submission)
    assert sent == [("labs.tasks.regrade_submission", submission.pk)]
    Submission.objects.filter(pk=submission.pk).update(status="graded")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queued, _ = services.lab_regrade_all(lab=squared)
    assert queued == [submission.pk]
    assert sent == [(services.FAN_OUT_TASK, [submission.pk])]  # the fan-out itself runs on regrades
    sent.clear()
    services.submissions_enqueue(submission_ids=[submission.pk])  # what the fan-out task does
    assert sent == [("labs.tasks.regrade_submission", submission.pk)]


def test_the_sweep_puts_a_stuck_re_grade_back_on_the_regrades_queue(squared, student, sent):
    old = timezone.now() - dt.timedelta(hours=1)
    live = Submission.objects.create(user=student, lab=squared, files=FILES, status="queued")
    regrade = Submission.objects.create(
        user=student, lab=squared, files=FILES, status="queued", score=5, regrade_requested_at=old
    )
    Submission.objects.filter(pk=live.pk).update(created_at=old)
    assert sorted(services.submission_sweep()) == sorted([live.pk, regrade.pk])
    assert sorted(sent) == sorted(
        [("labs.tasks.grade_submission", live.pk), ("labs.tasks.regrade_submission", regrade.pk)]
    )


def test_on_redis_a_worker_serves_live_grading_first():
    """kombu's "sorted" queue order: a worker of several queues takes from them in name order, and the names
    sort in priority order (students' submissions, then Test-button runs, then re-grades)."""
    env = dict(
        os.environ, REDIS_URL="redis://127.0.0.1:6379/14", DJANGO_SETTINGS_MODULE="config.settings.local"
    )
    code = (
        "import config.settings.local as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS['queue_order_strategy'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "sorted", done.stderr
    priority = ["celery", "playground", "regrades"]
    assert sorted(WORKER_QUEUES.split(",")) == priority == WORKER_QUEUES.split(",")
