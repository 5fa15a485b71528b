"""One lifecycle for the work that runs on a Celery worker: grading a ``Submission`` and running a
``PlaygroundRun`` (the Test button).

::

    create: files checked against the Lab row, in-flight limit, row saved queued --on commit--> enqueue
    worker: claim (running, one more attempt) --> run --> record (the outcome, in one write)
    an infrastructure error: the task retries it (labs/tasks.py), then ``fail`` (infra_error, not an attempt)
    an outcome the database refuses: ``record`` raises ``ResultNotSaved`` and the caller fails the job once
    a lost message or a killed worker: the sweep puts the row back in the queue (``requeue``)

What differs between the two kinds of job is data (``JobKind``): the model, the Celery task's name and
two field names. What differs in behaviour (what a grading records, how long a grading may run, a
re-grade that fails keeping its previous grade) stays in ``labs/services.py`` and ``labs/playground.py``,
which call these functions. This module imports neither them nor the tasks: a job is enqueued by its
task's name, so ``services -> tasks -> services`` is no longer a circle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from labs.grading import CATALOG_DIR, LabSpec, load_lab, validate_files
from labs.models import Draft, Lab, PlaygroundRun, Submission

__all__ = [
    "GRADING",
    "PENDING",
    "PLAYGROUND_RUN",
    "REGRADING",
    "JobKind",
    "JobRejected",
    "ResultNotSaved",
    "checked_files",
    "claim",
    "create",
    "enqueue",
    "fail",
    "lab_spec",
    "record",
    "requeue",
    "send",
]

# The two models share these status values (Submission.Status and PlaygroundRun.Status).
QUEUED, RUNNING, INFRA_ERROR = "queued", "running", "infra_error"
PENDING = (QUEUED, RUNNING)


@dataclass(frozen=True)
class JobKind:
    """What one kind of job is: its model, the Celery task that runs it, and its two field names."""

    model: type[models.Model]
    task: str  # the Celery task's name: the message is sent by name, so this module imports no task
    attempts_field: str  # counts the worker's tries
    finished_field: str  # set when the job ends, done or failed


GRADING = JobKind(Submission, "labs.tasks.grade_submission", "grading_attempts", "graded_at")
# The same rows and lifecycle, sent under the re-grade task's name: routed to the ``regrades`` queue.
REGRADING = JobKind(Submission, "labs.tasks.regrade_submission", "grading_attempts", "graded_at")
PLAYGROUND_RUN = JobKind(PlaygroundRun, "labs.tasks.run_playground", "attempts", "finished_at")


class JobRejected(Exception):
    """A job was refused before it was saved; ``message`` (and the HTTP ``status``) are for the student."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class ResultNotSaved(Exception):
    """A finished job's outcome could not be saved (the database refused a value); ``args[0]`` says why.
    Running the job again would produce the same outcome, so the caller marks it failed, once."""


# -- saving ------------------------------------------------------------------------------------------------
def checked_files(lab: Lab, files: object, *, rejected: type[JobRejected] = JobRejected) -> dict[str, str]:
    """The lab's editable files out of ``files``, checked against the ``Lab`` row (never the lab's folder:
    the web process imports no grader). Raises ``rejected`` naming the file."""
    try:
        validate_files(lab.editable_files, files)
    except ValueError as error:
        raise rejected(str(error)) from None
    return {name: files[name] for name in lab.editable_files}  # type: ignore[index]


def create(
    kind: JobKind,
    /,
    *,
    user,
    lab: Lab,
    files: dict[str, str],
    limit: int,
    busy: str,
    rejected: type[JobRejected] = JobRejected,
    not_counted: models.Q | None = None,
    **fields,
) -> models.Model:
    """Save a queued job of ``kind`` (and ``files`` as the student's draft) and enqueue it once the
    transaction commits. ``busy`` is the refusal when the student already has ``limit`` jobs of this kind
    pending (``{in_flight}`` is filled in); rows matching ``not_counted`` do not count. Raises ``rejected``
    (status 429)."""
    with transaction.atomic():
        # Lock the student's row so two quick clicks cannot both pass the in-flight limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        pending = kind.model.objects.filter(user=user, status__in=PENDING)
        if not_counted is not None:
            pending = pending.exclude(not_counted)
        in_flight = pending.count()
        if in_flight >= limit:
            raise rejected(busy.format(in_flight=in_flight), status=429)
        job = kind.model.objects.create(user=user, lab=lab, files=files, **fields)
        Draft.objects.update_or_create(user=user, lab=lab, defaults={"files": files})
        enqueue_on_commit(kind, job.pk)
    return job


# -- the queue ---------------------------------------------------------------------------------------------
def send(task: str, argument: object) -> None:
    """Hand one message to the broker: the same message ``task.delay(argument)`` sends. The only place
    that talks to the broker, so a test replaces it to see what would have been sent."""
    current_app.send_task(task, args=[argument])


def enqueue(kind: JobKind, job_id: int) -> None:
    send(kind.task, job_id)


def enqueue_on_commit(kind: JobKind, job_id: int) -> None:
    """Enqueue after the current transaction commits: a worker never looks for a row that is not there."""
    transaction.on_commit(functools.partial(enqueue, kind, job_id))


def requeue(kind: JobKind, job_ids: Iterable[int]) -> list[int]:
    """Put stuck jobs back in the queue (running ones become queued) and enqueue each; returns the ids."""
    job_ids = list(job_ids)
    kind.model.objects.filter(pk__in=job_ids, status=RUNNING).update(status=QUEUED)
    for job_id in job_ids:
        enqueue(kind, job_id)
    return job_ids


# -- on the worker -----------------------------------------------------------------------------------------
def claim(kind: JobKind, job_id: int, *, now: dt.datetime | None = None):
    """Lock the job, and if it is still pending mark it running with one more attempt. Returns
    ``(job, claimed)``: the job (None when it no longer exists) and whether the caller should run it (a
    job already done is left as it is, so running a message twice is harmless)."""
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        # the lab comes in the same query; only the job's row is locked
        job = (
            kind.model.objects.select_for_update(of=("self",)).select_related("lab").filter(pk=job_id).first()
        )
        if job is None or job.status not in PENDING:
            return job, False
        job.status = RUNNING
        job.started_at = now or timezone.now()
        setattr(job, kind.attempts_field, getattr(job, kind.attempts_field) + 1)
        job.save(update_fields=["status", "started_at", kind.attempts_field])
    return job, True


def record(kind: JobKind, job: models.Model, *, status: str, **fields) -> models.Model:
    """Save a finished job's outcome (``status`` and ``fields``; the finish time is set here) in one
    write, and clear any earlier infrastructure error. Raises ``ResultNotSaved`` (nothing was written)."""
    job.status = status
    job.error = ""
    setattr(job, kind.finished_field, timezone.now())
    for name, value in fields.items():
        setattr(job, name, without_nul(value))
    try:
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            job.save(update_fields=["status", "error", kind.finished_field, *fields])
    except (DatabaseError, TypeError, ValueError, OverflowError) as error:
        # Any refusal (a value PostgreSQL cannot store, a number out of range, data that is not JSON): if
        # it were left to the task, the row would stay running and the sweep would run it again, forever.
        raise ResultNotSaved(
            f"its result could not be saved: {type(error).__name__}: {error}"[:1000]
        ) from error
    return job


def fail(kind: JobKind, job_id: int, *, reason: str) -> int:
    """Mark a pending job that repeatedly could not be done (infra_error, with the reason); returns how
    many rows changed (0 when it was no longer pending)."""
    return kind.model.objects.filter(pk=job_id, status__in=PENDING).update(
        status=INFRA_ERROR, error=without_nul(reason[:2000]), **{kind.finished_field: timezone.now()}
    )


# A \u0000 escape in JSON text (not an escaped backslash followed by "u0000").
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(value):
    """``value`` with every NUL character (in strings, and in the keys and strings of JSON data) replaced by
    U+FFFD: PostgreSQL cannot store U+0000 in text or jsonb, and student code can print or return one.
    Without this the save fails and the job stays running, to be swept and run again forever."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict | list):
        text = json.dumps(value)
        if "\\u0000" in text:
            return json.loads(_NUL_ESCAPE.sub(r"\1\\ufffd", text))
    return value


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: the current transaction commits without waiting for its WAL to reach the disk (4 ms of
    each grading's two commits on a busy machine). Safe for a job's own writes only: a database crash
    loses at most the last fraction of a second of them, which leaves the row queued or running, and the
    sweep sends it again. The job itself (``create``) is always committed durably."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


# -- the lab a job runs against ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _spec(slug: str, content_hash: str, catalog: str) -> LabSpec:
    """The lab's spec, loaded once per version (the hash changes when any of its files does)."""
    return load_lab(Path(catalog) / slug)


def lab_spec(lab: Lab) -> LabSpec:
    """The lab's folder, loaded (its grader imported): on a worker only, to run a job."""
    return _spec(lab.slug, lab.content_hash, str(getattr(settings, "LABS_CATALOG_DIR", CATALOG_DIR)))
