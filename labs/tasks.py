"""Celery tasks for labs: thin wrappers that load by id and call a service.

Grading acknowledges late and is rejected when its worker dies (settings: CELERY_TASK_ACKS_LATE,
CELERY_TASK_REJECT_ON_WORKER_LOST), so a killed worker's submission is delivered again; the periodic
sweep catches anything else (a message lost before it reached the broker).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from labs import playground, services
from labs.grading import InfrastructureError

MAX_RETRIES = 3


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=60,
    time_limit=75,
)
def grade_submission(self, submission_id: int) -> str:
    try:
        submission = services.submission_grade(submission_id=submission_id)
    except (InfrastructureError, SoftTimeLimitExceeded) as error:
        reason = str(error) or "grading took longer than its time limit"
        if self.request.retries >= MAX_RETRIES:
            services.submission_fail(submission_id=submission_id, reason=reason)
            return "infra_error"
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    return submission.status if submission is not None else "missing"


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
    try:
        run = playground.playground_run_execute(run_id=run_id)
    except (InfrastructureError, SoftTimeLimitExceeded) as error:
        reason = str(error) or "the test took longer than its time limit"
        if self.request.retries >= MAX_RETRIES:
            playground.playground_run_fail(run_id=run_id, reason=reason)
            return "infra_error"
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    return run.status if run is not None else "missing"


@shared_task
def sweep_stuck_submissions() -> int:
    """Submissions and playground runs stuck in queued or running, sent again."""
    return len(services.submission_sweep()) + len(playground.playground_run_sweep())


@shared_task(acks_late=True)
def enqueue_gradings(submission_ids: list[int]) -> int:
    """Fan out a batch of re-grades (labs/services.py: lab_regrade_all) into one grading task each. A lost
    batch is not lost work: its rows wait in queued, and the sweep re-enqueues them."""
    return services.submissions_enqueue(submission_ids=submission_ids)
