"""Celery tasks for LTI: thin, by id. Sending a grade retries with exponential back-off when the LMS is
unreachable or busy, then records the failure for the instructor (lti/grades.py)."""

import logging

from celery import shared_task

from lti import grades

log = logging.getLogger(__name__)

MAX_RETRIES = 6
BACKOFF_BASE_S = 5
BACKOFF_CAP_S = 600


def backoff_s(retries: int) -> int:
    """5 s, 10 s, 20 s ... capped at 10 minutes."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**retries)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, soft_time_limit=60, time_limit=75)
def push_score(self, sync_id: int) -> str:
    try:
        return grades.score_push(sync_id=sync_id)
    except grades.TransientLmsError as error:
        if self.request.retries >= MAX_RETRIES:
            grades.score_push_failed(sync_id=sync_id, reason=str(error))
            return "failed"
        raise self.retry(exc=error, countdown=backoff_s(self.request.retries)) from error


def enqueue_push(sync_id: int) -> None:
    """Send the push task. A broker that is down must not fail the student's request (their attempt is
    saved): the row stays pending and ``sweep_pending_grades`` sends it later."""
    try:
        push_score.delay(sync_id)
    except Exception:  # noqa: BLE001 - any broker failure; the sweep is the safety net
        log.exception("lti: could not enqueue grade sync %s; the sweep will send it", sync_id)


@shared_task
def sweep_pending_grades() -> int:
    """Grades left pending (lost message, broker down when enqueued), sent again."""
    ids = grades.stale_sync_ids()
    for sync_id in ids:
        enqueue_push(sync_id)
    return len(ids)
