"""Bursts without throttles: the student's SAM template (template.yaml, with worker.py as its code) is
deployed once. A burst of report jobs is sent to JobsQueue at one simulated instant and the simulation runs
to its end; the outcome is read on the host: ReportsTable (how many reports each job got), JobsDlq, and the
trace (throttle records, and the invocations of ReportWorker with their billed durations, from which the
most invocations running at once is computed: what the partner API would have seen).

What the runtime models, and this lab relies on (labs/runtime/eventsources/sqs.py): without a maximum
concurrency, the poller receives every visible batch at once; batches beyond the function's reserved
concurrency are throttled and come back after the visibility timeout, each receive counting towards
maxReceiveCount. With ScalingConfig.MaximumConcurrency the poller receives nothing beyond that many
invocations in flight, so nothing is throttled (Lambda DG "Configuring maximum concurrency for Amazon SQS
event sources", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)."""

import json

from courses.facts import fact
from labs.grading.checks import CheckFailed, check

QUEUE, DLQ, TABLE, WORKER = "JobsQueue", "JobsDlq", "ReportsTable", "ReportWorker"
PARTNER_LIMIT = 3  # calls the partner API takes at once (the instructions say so)
BURST_JOBS = 120
POISON_WINDOW_S = 3600
# The range AWS allows for MaximumConcurrency, from the course's facts.yaml (the lesson states the same).
MAX_CONCURRENCY_MIN = int(fact("lambda.sqs_maximum_concurrency_min"))


# -- the deployment ------------------------------------------------------------------------------------------
def setup(lab):
    stack = lab.deploy_template("template.yaml")
    missing = [lid for lid in (QUEUE, DLQ, TABLE, WORKER) if lid not in stack.resources]
    lab.require(
        not missing,
        f"template.yaml has no {', '.join(missing)}: keep the logical ids the instructions name (the grader "
        "sends jobs to JobsQueue and reads ReportsTable and JobsDlq).",
    )
    sqs = lab.client("sqs")
    lab.queue_url = stack.physical_id(QUEUE)
    lab.dlq_url = stack.physical_id(DLQ)
    lab.table = stack.physical_id(TABLE)
    lab.worker = stack.physical_id(WORKER)
    lab.worker_arn = lab.client("lambda").get_function(FunctionName=lab.worker)["Configuration"][
        "FunctionArn"
    ]
    mappings = lab.client("lambda").list_event_source_mappings(FunctionName=lab.worker)["EventSourceMappings"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=lab.queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lab.require(
        any(m["EventSourceArn"] == queue_arn for m in mappings),
        "ReportWorker has no event source mapping from JobsQueue: keep its SQS event on JobsQueue.",
    )


# -- sending jobs and reading the outcome --------------------------------------------------------------------
def send_jobs(lab, jobs: list[dict]) -> None:
    sqs = lab.client("sqs")
    for start in range(0, len(jobs), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(job)} for i, job in enumerate(jobs[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=lab.queue_url, Entries=entries)


def reports(lab, job_id: str) -> int:
    item = lab.client("dynamodb").get_item(
        TableName=lab.table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
    )
    return int((item.get("Item") or {}).get("reports", {}).get("N", 0))


def dead_letters(lab) -> list[str]:
    """Job ids that reached JobsDlq so far (read once and kept on the session)."""
    found = getattr(lab, "dead_letters", [])
    for body in lab.take_messages(lab.dlq_url.rsplit("/", 1)[-1]):
        try:
            found.append(json.loads(body).get("job_id", body))
        except (ValueError, AttributeError):
            found.append(body)
    lab.dead_letters = found
    return found


def most_at_once(entries: list[dict], function_arn: str) -> int:
    """The most invocations of the function running at one simulated instant: each holds its concurrency
    from its start for its billed duration, as Lambda counts it."""
    spans = [
        (e["time"], e["time"] + e.get("billed_duration_ms", 1) / 1000)
        for e in entries
        if e["kind"] == "invocation" and e.get("function_arn", "").startswith(function_arn)
    ]
    return max((sum(1 for s, e in spans if s <= start < e) for start, _ in spans), default=0)


def burst(lab) -> dict:
    """Send BURST_JOBS jobs at once and run to the end; the outcome is kept for every check that asks."""
    if getattr(lab, "burst_outcome", None) is None:
        start = len(lab.cloud.trace)
        jobs = [f"burst-{n:03d}" for n in range(BURST_JOBS)]
        send_jobs(lab, [{"job_id": job, "customer": "acme"} for job in jobs])
        lab.cloud.run_until_idle()
        entries = lab.cloud.trace[start:]
        lab.burst_outcome = {
            "jobs": jobs,
            "reports": {job: reports(lab, job) for job in jobs},
            "dead": [job for job in dead_letters(lab) if job in jobs],
            "throttles": [e for e in entries if e["kind"] == "throttle"],
            "peak": most_at_once(entries, lab.worker_arn),
        }
    return lab.burst_outcome


# -- checks --------------------------------------------------------------------------------------------------
@check(
    "every_job_reported_once",
    f"A burst of {BURST_JOBS} jobs: every job reported once, none in the DLQ",
    points=3,
)
def every_job_reported_once(lab):
    outcome = burst(lab)
    dead = outcome["dead"]
    if dead:
        raise CheckFailed(
            f"{len(dead)} of the {BURST_JOBS} jobs ended in JobsDlq without a report (for example {dead[0]}), "
            "although nothing is wrong with them. Look at the throttle records in the trace: every throttled "
            "receive counts towards maxReceiveCount. Limit how many batches the queue's poller takes at "
            "once, instead of letting the function refuse them."
        )
    missing = [job for job, count in outcome["reports"].items() if count == 0]
    twice = [job for job, count in outcome["reports"].items() if count > 1]
    if missing:
        raise CheckFailed(f"{len(missing)} jobs were never reported (for example {missing[0]}).")
    if twice:
        raise CheckFailed(
            f"{len(twice)} jobs were reported more than once (for example {twice[0]}): a batch must "
            "report only the messages that failed (batchItemFailures)."
        )


@check("no_batch_throttled", "No batch is throttled during the burst", points=3)
def no_batch_throttled(lab):
    throttles = burst(lab)["throttles"]
    reasons = sorted({t.get("reason") or "throttled" for t in throttles})
    lab.require(
        not throttles,
        f"{len(throttles)} batches were received and then throttled ({', '.join(reasons)}). Reserved "
        "concurrency caps the function, not the poller: the poller keeps receiving batches the function "
        "cannot take, and they return to the queue after the visibility timeout. Put the cap on the event "
        "source mapping (its maximum concurrency), and keep any reserved concurrency at least as high.",
    )


@check(
    "partner_never_overloaded",
    f"The partner API never sees more than {PARTNER_LIMIT} calls at once",
    points=2,
)
def partner_never_overloaded(lab):
    peak = burst(lab)["peak"]
    lab.require(
        peak > 0,
        "ReportWorker never ran during the burst: is its SQS event still on JobsQueue, and enabled?",
    )
    lab.require(
        peak <= PARTNER_LIMIT,
        f"{peak} ReportWorker invocations ran at once during the burst; the partner API takes "
        f"{PARTNER_LIMIT}. Without a limit the poller runs a batch for every group of visible messages at once. "
        f"The smallest maximum concurrency AWS allows is {MAX_CONCURRENCY_MIN}.",
    )


@check(
    "poison_job_reaches_the_dlq", "A job that can never be reported ends in the DLQ within an hour", points=2
)
def poison_job_reaches_the_dlq(lab):
    good = [f"mixed-{n}" for n in range(6)]
    jobs = [{"job_id": job, "customer": "acme"} for job in good]
    jobs.insert(3, {"job_id": "poison", "customer": ""})
    send_jobs(lab, jobs)
    lab.cloud.run_for(POISON_WINDOW_S)
    lab.require(
        all(reports(lab, job) == 1 for job in good),
        "The good jobs sent next to a poison job were not each reported once.",
    )
    lab.require(
        "poison" in dead_letters(lab),
        "A job with no customer fails every time, and an hour later it was still not in JobsDlq. Keep a "
        "redrive policy on JobsQueue, with a maxReceiveCount and visibility timeout that move a message "
        "that always fails to the dead-letter queue in reasonable time.",
    )
