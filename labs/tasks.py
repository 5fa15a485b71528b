"""Celery tasks for labs: thin wrappers that load by id and call a service (labs/jobs.py has the lifecycle).

Grading acknowledges late and is rejected when its worker dies (settings: CELERY_TASK_ACKS_LATE,
CELERY_TASK_REJECT_ON_WORKER_LOST), so a killed worker's submission is delivered again; the periodic
sweep catches anything else (a message lost before it reached the broker). The task names
(``labs.tasks.<function>``) are what ``labs.jobs`` sends and the beat schedule names: keep them.

Queues (CELERY_TASK_ROUTES in config/settings/base.py route by task name): a student's submission is
``grade_submission`` on the default queue; an instructor's re-grade is the same work under another name,
``regrade_submission`` (and its fan-out ``enqueue_gradings``), on ``regrades``; the Test button's
``run_playground`` on ``playground``. A re-grade of a whole lab then waits behind no live submission and
holds none up: workers take from each of their queues in turn, or run per queue (README, "Workers").
"""

from collections.abc import Callable

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from labs import playground, services
from labs.grading import InfrastructureError

MAX_RETRIES = 3


def _run_job(task: Task, job_id: int, *, run: Callable, fail: Callable, timed_out: str) -> str:
    """The retry rule of every job: an infrastructure error (or the soft time limit) is retried after 1,
    2, then 4 s; after ``MAX_RETRIES`` the job is marked as not done (``fail``), never as the student's
    fault. Returns the job's status, or "missing"."""
    try:
        job = run(job_id)
    except (InfrastructureError, SoftTimeLimitExceeded) as error:
        reason = str(error) or timed_out
        if task.request.retries >= MAX_RETRIES:
            fail(job_id, reason)
            return "infra_error"
        raise task.retry(exc=error, countdown=2**task.request.retries) from error
    return job.status if job is not None else "missing"


# A grading task is acknowledged only once it is done and given back if its worker dies, so a killed process
# loses nothing; live grading and instructors' re-grades share these settings (their queues differ).
_GRADING_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
    "soft_time_limit": 60,
    "time_limit": 75,
}


@shared_task(**_GRADING_TASK)
def grade_submission(self, submission_id: int) -> str:
    return _grade(self, submission_id)


@shared_task(**_GRADING_TASK)
def regrade_submission(self, submission_id: int) -> str:
    """An instructor's re-grade: ``grade_submission``'s work, on the ``regrades`` queue."""
    return _grade(self, submission_id)


def _grade(task: Task, submission_id: int) -> str:
    return _run_job(
        task,
        submission_id,
        # looked up on each call (not bound at import), so a test can replace the service
        run=lambda pk: services.submission_grade(submission_id=pk),
        fail=lambda pk, reason: services.submission_fail(submission_id=pk, reason=reason),
        timed_out="grading took longer than its time limit",
    )


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=30,
    time_limit=40,
)
def run_playground(self, run_id: int) -> str:
    """One Test-button run (labs/playground.py): retried like grading, never an attempt."""
    return _run_job(
        self,
        run_id,
        run=lambda pk: playground.playground_run_execute(run_id=pk),
        fail=lambda pk, reason: playground.playground_run_fail(run_id=pk, reason=reason),
        timed_out="the test took longer than its time limit",
    )


@shared_task
def sweep_stuck_submissions() -> int:
    """Submissions and playground runs stuck in queued or running, sent again."""
    return len(services.submission_sweep()) + len(playground.playground_run_sweep())


@shared_task(acks_late=True)
def enqueue_gradings(submission_ids: list[int]) -> int:
    """Fan out a batch of re-grades (labs/services.py: lab_regrade_all) into one grading task each. A lost
    batch is not lost work: its rows wait in queued, and the sweep re-enqueues them."""
    return services.submissions_enqueue(submission_ids=submission_ids)
