"""The playground: the Test button beside a lab's editor, like the Lambda console's; on a Step Functions
lab, the "Start execution" box (the draft definition run with the student's input, like the Step Functions
console's Start execution), which goes the same way.

A student picks a sample event (the runtime's ``generate-event`` templates) or writes one, and invokes the
draft in the editor with it. Student code never runs in the web process: ``playground_run_create`` checks
the files and the event, saves a queued ``PlaygroundRun`` and enqueues it on commit; a Celery worker runs it
(``playground_run_execute``, idempotent) in a fresh simulated account, as grading does. A run is not an
attempt: it has its own table, no checks, no score, and only its owner ever sees it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Any

from django.db import transaction
from django.utils import timezone

from labs import jobs
from labs.grading import SAMPLE_EVENT_KINDS, execute_draft, generate_event, invoke_draft
from labs.models import Lab, PlaygroundRun

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_IN_FLIGHT",
    "KEEP_RUNS",
    "PlaygroundRejected",
    "SAMPLE_EVENTS",
    "parse_event",
    "playground_run_create",
    "playground_run_execute",
    "playground_run_fail",
    "playground_run_sweep",
    "sample_event",
]

# Lambda accepts 6 MB for a synchronous request; a hand-written test event needs far less, and every run is
# stored, so the playground takes 256 KB.
MAX_EVENT_BYTES = 256 * 1024
MAX_IN_FLIGHT = 2
KEEP_RUNS = 20  # per student and lab: tests are scratch work, the older ones are deleted

_LABELS = {
    ("s3", "put"): "S3 put (ObjectCreated:Put)",
    ("s3", "delete"): "S3 delete (ObjectRemoved:Delete)",
    ("sqs", "receive-message"): "SQS message batch",
    ("sns", "notification"): "SNS notification",
    ("dynamodb", "update"): "DynamoDB stream record (MODIFY)",
    ("apigateway", "aws-proxy"): "API Gateway REST API proxy (payload v1)",
    ("apigateway", "http-api-proxy"): "API Gateway HTTP API (payload v2)",
    ("eventbridge", "scheduled"): "EventBridge scheduled event",
    ("eventbridge", "custom"): "EventBridge custom event",
    ("kinesis", "get-records"): "Kinesis stream record",
}
# (key, label) for the sample picker, in the runtime's order; the key is "<service>-<event>".
SAMPLE_EVENTS = [
    (f"{service}-{event}", _LABELS.get((service, event), f"{service} {event}"))
    for service, event in SAMPLE_EVENT_KINDS
]
_SAMPLES = {f"{service}-{event}": (service, event) for service, event in SAMPLE_EVENT_KINDS}


# A \u0000 escape (not preceded by an escaped backslash): PostgreSQL's jsonb cannot store U+0000.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class PlaygroundRejected(jobs.JobRejected):
    """A test run was refused before it was saved; ``message`` (and ``status``) are for the student."""


def sample_event(key: str) -> str:
    """The sample event ``key`` (from ``SAMPLE_EVENTS``) as indented JSON. Raises ``KeyError``."""
    service, event = _SAMPLES[key]
    return json.dumps(generate_event(service, event), indent=2)


def parse_event(text: str) -> Any:
    """The event the student wrote, parsed. Raises ``PlaygroundRejected`` saying what and where."""
    if len(text.encode("utf-8")) > MAX_EVENT_BYTES:
        raise PlaygroundRejected(f"The event is larger than {MAX_EVENT_BYTES // 1024} KB.")
    if not text.strip():
        raise PlaygroundRejected("The event is empty: write a JSON value, for example {}.")

    def no_constants(name: str) -> Any:
        raise PlaygroundRejected(f"The event is not valid JSON: {name} is not a JSON value.")

    if _NUL_ESCAPE.search(text):  # only a \u0000 escape makes a NUL: json.loads refuses a raw one
        raise PlaygroundRejected("The event is not usable: it contains a NUL character (\\u0000).")
    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as error:
        raise PlaygroundRejected(
            f"The event is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except ValueError:  # after JSONDecodeError (a subclass): Python's limit on the digits of an integer
        raise PlaygroundRejected(
            f"The event is not usable: a number has more than {sys.get_int_max_str_digits()} digits."
        ) from None
    except RecursionError:
        raise PlaygroundRejected("The event is not usable: it is nested too deeply.") from None


def playground_run_create(*, user, lab: Lab, files: dict, event_text: str) -> PlaygroundRun:
    """Save a queued run of the student's ``files`` with the event in ``event_text`` (also saved as their
    draft), and enqueue it after commit. Raises ``PlaygroundRejected``."""
    if not lab.has_playground:
        raise PlaygroundRejected("This lab has no Test button: its design is not a single function.", 404)
    files = jobs.checked_files(lab, files, rejected=PlaygroundRejected)
    event = parse_event(event_text)
    with transaction.atomic():
        run = jobs.create(
            jobs.PLAYGROUND_RUN,
            user=user,
            lab=lab,
            files=files,
            limit=MAX_IN_FLIGHT,
            busy="You already have {in_flight} tests running; wait for one to finish.",
            rejected=PlaygroundRejected,
            handler=lab.playground_handler,
            event=event,
        )
        kept = PlaygroundRun.objects.filter(user=user, lab=lab).values_list("pk", flat=True)[:KEEP_RUNS]
        PlaygroundRun.objects.filter(user=user, lab=lab).exclude(pk__in=list(kept)).exclude(
            status__in=jobs.PENDING
        ).delete()
    return run


def playground_run_execute(*, run_id: int) -> PlaygroundRun | None:
    """Run one test. Idempotent: a finished run is returned unchanged. Raises ``InfrastructureError``
    when the run could not be done (the task retries)."""
    run, claimed = jobs.claim(jobs.PLAYGROUND_RUN, run_id)
    if not claimed:
        return run
    try:
        if run.lab.playground_state_machine:
            result = execute_draft(jobs.lab_spec(run.lab), run.files, run.event)
        else:
            result = invoke_draft(jobs.lab_spec(run.lab), run.files, run.event, handler=run.handler)
    except ValueError as error:  # the lab changed since (files or playground): the student's to redo
        result = {"rejected": str(error)}
    try:
        return jobs.record(jobs.PLAYGROUND_RUN, run, status=PlaygroundRun.Status.DONE, result=result)
    except jobs.ResultNotSaved as error:  # permanent: marked once, never run again by the sweep
        playground_run_fail(run_id=run_id, reason=f"{error} (not run again)")
        return PlaygroundRun.objects.get(pk=run_id)


def playground_run_fail(*, run_id: int, reason: str) -> None:
    """Mark a run that repeatedly could not be done; the student is told it was not their code."""
    jobs.fail(jobs.PLAYGROUND_RUN, run_id, reason=reason)


def playground_run_sweep(*, now=None, stuck_after_s: int = 120) -> list[int]:
    """Re-enqueue runs queued or running for longer than ``stuck_after_s`` (a lost message, a killed
    worker). Returns their ids."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=stuck_after_s)
    stuck = list(
        PlaygroundRun.objects.filter(status=PlaygroundRun.Status.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    ) + list(
        PlaygroundRun.objects.filter(status=PlaygroundRun.Status.RUNNING, started_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    return jobs.requeue(jobs.PLAYGROUND_RUN, stuck)
