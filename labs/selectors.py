"""Reads for lab pages: what a viewer may see of a result, queue positions, a student's history."""

from __future__ import annotations

import statistics

from django.conf import settings
from django.utils import timezone

from accounts.roles import is_instructor
from labs.models import Lab, Submission

__all__ = ["queue_estimate", "result_view", "submissions_of"]


def submissions_of(user, lab: Lab, limit: int = 20) -> list[Submission]:
    """The student's own submissions of ``lab``, newest first, each with ``delta`` (score change from the
    previous graded submission of the same kind)."""
    rows = list(Submission.objects.filter(user=user, lab=lab).order_by("-created_at", "-id")[:limit])
    previous: dict[str, int | None] = {}
    for submission in reversed(rows):
        submission.delta = None
        if submission.status == Submission.Status.GRADED:
            before = previous.get(submission.kind)
            if before is not None:
                submission.delta = submission.score - before
            previous[submission.kind] = submission.score
    return rows


def queue_estimate(submission: Submission) -> dict:
    """Where a pending submission stands: ``position`` (1 = next) and ``seconds`` (estimated wait)."""
    ahead = Submission.objects.filter(
        status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING], created_at__lt=submission.created_at
    ).count()
    # Only the two timestamps: a graded row's result (report, trace, logs) is tens of KB of JSON.
    recent = (
        Submission.objects.filter(status=Submission.Status.GRADED)
        .order_by("-graded_at")
        .values_list("started_at", "graded_at")[:50]
    )
    durations = [(graded - started).total_seconds() for started, graded in recent if started and graded]
    per_grading = statistics.median(durations) if durations else 1.0
    workers = max(1, getattr(settings, "LABS_WORKERS", 2))
    return {"position": ahead + 1, "seconds": round(per_grading * (ahead // workers + 1), 1)}


def result_view(submission: Submission, viewer, now=None) -> dict:
    """The parts of a graded result ``viewer`` may see. Students never see a hidden check's name, message,
    events or logs (nor an after-deadline check's before the deadline); its pass/fail still counts."""
    result = submission.result or {}
    everything = viewer.is_authenticated and is_instructor(viewer)
    deadline_passed = submission.lab.deadline_passed(now or timezone.now())
    shown, withheld, hidden_ranges = [], [], []
    for check in result.get("checks", []):
        open_ = (
            everything
            or check["visibility"] == "visible"
            or (check["visibility"] == "after_deadline" and deadline_passed)
        )
        if open_:
            shown.append(check)
        else:
            withheld.append(check)
            hidden_ranges.append(check.get("trace_range", [0, 0]))

    def visible(seq: int) -> bool:
        return not any(start <= seq < end for start, end in hidden_ranges)

    trace = [entry for entry in result.get("trace", []) if visible(entry["seq"])]
    hidden_executions = set()
    for check in withheld:
        start, end = check.get("execution_range", [0, 0])
        hidden_executions.update(range(start, end))
    start_time = trace[0]["time"] if trace else 0
    return {
        "checks": shown,
        "withheld": {
            "count": len(withheld),
            "passed": sum(1 for check in withheld if check["passed"]),
            "until_deadline": sum(1 for check in withheld if check["visibility"] == "after_deadline"),
        },
        "invocations": [entry for entry in trace if entry["kind"] == "invocation"],
        "timeline": [dict(entry, offset=round(entry["time"] - start_time, 3)) for entry in trace],
        "executions": [
            execution
            for index, execution in enumerate(result.get("executions", []))
            if index not in hidden_executions
        ],
        "cost_usd": result.get("cost_usd", 0),
        "rejected": result.get("rejected", ""),
    }
