"""Celery tasks for labs: thin wrappers that load by id and call a service.

Grading acknowledges late and is rejected when its worker dies (settings: CELERY_TASK_ACKS_LATE,
CELERY_TASK_REJECT_ON_WORKER_LOST), so a killed worker's submission is delivered again; the periodic
sweep catches anything else (a message lost before it reached the broker).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from labs import services
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


@shared_task
def sweep_stuck_submissions() -> int:
    return len(services.submission_sweep())


@shared_task(acks_late=True)
def enqueue_gradings(submission_ids: list[int]) -> int:
    """Fan out a batch of re-grades (labs/services.py: lab_regrade_all) into one grading task each. A lost
    batch is not lost work: its rows wait in queued, and the sweep re-enqueues them."""
    return services.submissions_enqueue(submission_ids=submission_ids)
