"""Reads for lab pages: what a viewer may see of a result, queue positions, a student's history, and the
instructor's live view of a class working on one lab."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from accounts.roles import is_instructor
from courses.models import Enrollment, Lesson
from labs.durable_timeline import durable_timelines
from labs.models import Draft, Lab, Submission
from labs.trace_wording import describe

__all__ = [
    "LabStanding",
    "lab_class_view",
    "lab_standings",
    "students_failing",
    "latest_submission_ids",
    "latest_submissions_summary",
    "queue_estimate",
    "result_view",
    "score_bins",
    "submissions_of",
    "wait_text",
]

PENDING = [Submission.Status.QUEUED, Submission.Status.RUNNING]


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


@dataclass(frozen=True)
class LabStanding:
    """Where one student stands on one lab. ``status`` is one of NOT_STARTED, IN_PROGRESS (a draft or a
    "Run checks", nothing submitted yet), SUBMITTED (a submission waiting to be graded, none graded yet)
    and GRADED (at least one graded submission; ``best`` is the best score out of ``best_max``)."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    SUBMITTED = "submitted"
    GRADED = "graded"

    status: str = NOT_STARTED
    best: int | None = None
    best_max: int | None = None
    pending: bool = False

    @property
    def full_marks(self) -> bool:
        return self.best is not None and self.best == self.best_max


def lab_standings(user, labs: Iterable[Lab]) -> dict[int, LabStanding]:
    """Each of ``labs``'s standing for ``user`` (by lab id), in two queries whatever the number of labs.
    The best score follows the gradebook's rule (gradebook/selectors.py): submissions only, never "Run
    checks", and "Could not be graded" is not an attempt."""
    lab_ids = [lab.pk for lab in labs]
    standings = {lab_id: LabStanding() for lab_id in lab_ids}
    if not user.is_authenticated or not lab_ids:
        return standings
    started = set(Draft.objects.filter(user=user, lab_id__in=lab_ids).values_list("lab_id", flat=True))
    best: dict[int, tuple[int, int]] = {}
    pending: set[int] = set()
    rows = Submission.objects.filter(user=user, lab_id__in=lab_ids).exclude(
        status=Submission.Status.INFRA_ERROR
    )
    for lab_id, kind, status, score, adjusted, max_score in rows.values_list(
        "lab_id", "kind", "status", "score", "adjusted_score", "max_score"
    ):
        started.add(lab_id)
        score = adjusted if adjusted is not None else score  # Submission.final_score
        if kind != Submission.Kind.SUBMIT:
            continue
        if status in PENDING:
            pending.add(lab_id)
        # A re-graded row keeps its previous score while it waits: it still counts as graded.
        if score is not None and (lab_id not in best or score > best[lab_id][0]):
            best[lab_id] = (score, max_score)
    for lab_id in lab_ids:
        if lab_id in best:
            score, top = best[lab_id]
            standings[lab_id] = LabStanding(LabStanding.GRADED, score, top, lab_id in pending)
        elif lab_id in pending:
            standings[lab_id] = LabStanding(LabStanding.SUBMITTED, pending=True)
        elif lab_id in started:
            standings[lab_id] = LabStanding(LabStanding.IN_PROGRESS)
    return standings


def queue_estimate(submission: Submission) -> dict:
    """Where a pending submission stands: ``position`` (1 = next) and ``seconds`` (estimated wait)."""
    # A re-graded submission joined the queue when the re-grade was asked for, not when it was submitted.
    queued_since = submission.regrade_requested_at or submission.created_at
    ahead = (
        Submission.objects.filter(status__in=PENDING)
        .alias(queued_since=Coalesce("regrade_requested_at", "created_at"))
        .filter(queued_since__lt=queued_since)
        .count()
    )
    # Two timestamps per row: never the results (tens of KB each), this runs on every status poll.
    recent = (
        Submission.objects.filter(status=Submission.Status.GRADED)
        .order_by("-graded_at")
        .only("started_at", "graded_at")[:50]
    )
    durations = [
        (row.graded_at - row.started_at).total_seconds() for row in recent if row.started_at and row.graded_at
    ]
    per_grading = statistics.median(durations) if durations else 1.0
    workers = max(1, getattr(settings, "LABS_WORKERS", 2))
    seconds = round(per_grading * (ahead // workers + 1), 1)
    return {"position": ahead + 1, "seconds": seconds, "wait": wait_text(seconds)}


def wait_text(seconds: float) -> str:
    """An estimate in words: "less than a second", "about 1.5 s", "about 12 s" (never "about 0.0 s")."""
    if seconds < 1:
        return "less than a second"
    return f"about {seconds:.1f} s" if seconds < 10 else f"about {round(seconds)} s"


def _timeline(trace: list[dict], checks: list[dict], shown: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the student's part, the grader's set-up) of the visible ``trace``, each entry with ``offset`` (s
    since the first), ``same_time`` (simulated time did not move since the previous entry: the order is
    what tells them apart), ``text`` (in words, labs/trace_wording.py) and ``check`` (the name of the
    shown check that caused it, set on the first entry of each check)."""
    setup_end = min((check.get("trace_range", [0, 0])[0] for check in checks), default=0)
    start_time = trace[0]["time"] if trace else 0
    names = [(check.get("trace_range", [0, 0]), check["name"]) for check in shown]
    timeline, setup, previous_check = [], [], None
    for entry in trace:
        offset = round(entry["time"] - start_time, 3)
        check = next((name for (start, end), name in names if start <= entry["seq"] < end), "")
        part = setup if entry["seq"] < setup_end else timeline
        same_time = bool(part) and part[-1]["offset"] == offset  # each list shows its own first time
        row = dict(entry, offset=offset, same_time=same_time, text=describe(entry))
        row["check"] = check if check != previous_check else ""
        previous_check = check
        part.append(row)
    return timeline, setup


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
    timeline, setup = _timeline(trace, result.get("checks", []), shown)
    executions = result.get("executions", [])
    started_by = {
        index: check["name"]
        for check in shown
        for index in range(*check.get("execution_range", [0, 0]))
        if index < len(executions)
    }
    return {
        "checks": shown,
        "withheld": {
            "count": len(withheld),
            "passed": sum(1 for check in withheld if check["passed"]),
            "until_deadline": sum(1 for check in withheld if check["visibility"] == "after_deadline"),
            "deadline": submission.lab.deadline,
        },
        "invocations": [entry for entry in trace if entry["kind"] == "invocation"],
        "timeline": timeline,
        "setup_timeline": setup,
        # each Lambda durable execution as invocations, checkpoints and replays (labs/durable_timeline.py)
        "durable_executions": durable_timelines(trace),
        # each execution named by the check that started it (the console only knows its id)
        "executions": [
            dict(execution, started_by=started_by.get(index, ""))
            for index, execution in enumerate(executions)
            if index not in hidden_executions
        ],
        "cost_usd": result.get("cost_usd", 0),
        "rejected": result.get("rejected", ""),
    }


# -- the instructor's live view of a class ------------------------------------------------------------------
def _latest_per_student(queryset):
    """Each student's newest row of ``queryset`` (one query: a window function, no per-student lookups)."""
    return queryset.annotate(
        newest=Window(
            RowNumber(), partition_by=[F("user_id")], order_by=[F("created_at").desc(), F("id").desc()]
        )
    ).filter(newest=1)


def latest_submission_ids(lab: Lab, kind: str = Submission.Kind.SUBMIT) -> list[int]:
    """The id of each student's newest submission of ``lab`` of ``kind``, whatever its status."""
    rows = _latest_per_student(Submission.objects.filter(lab=lab, kind=kind))
    return sorted(rows.values_list("pk", flat=True))


def latest_submissions_summary(lab: Lab) -> dict:
    """About each student's latest submission (kind submit): how many ``students``, how many are
    ``pending``, and how many were graded against an ``outdated`` version of the lab (worth re-grading)."""
    rows = _latest_per_student(Submission.objects.filter(lab=lab, kind=Submission.Kind.SUBMIT))
    summary = {"students": 0, "pending": 0, "outdated": 0}
    for status, lab_hash in rows.values_list("status", "lab_hash"):
        summary["students"] += 1
        summary["pending"] += status in PENDING
        summary["outdated"] += bool(lab_hash) and lab_hash != lab.content_hash
    return summary


def lab_class_view(lab: Lab, *, include_runs: bool = False) -> dict:
    """What the class has done on ``lab``, for the instructor's live view, in three aggregate queries.

    ``counts``: students who submitted, submissions, graded / queued / running / could not be graded.
    ``checks``: per check of the lab, among students whose latest graded submission ran it, how many
    fail it and the most frequent failure messages. ``bins``: the distribution of those latest scores.
    ``include_runs`` counts "Run checks" too (visible checks only), not just submissions."""
    kinds = list(Submission.Kind.values) if include_runs else [Submission.Kind.SUBMIT]
    submissions = Submission.objects.filter(lab=lab, kind__in=kinds)
    counts = submissions.aggregate(
        students=Count("user", distinct=True),
        submissions=Count("id"),
        graded=Count("id", filter=Q(status=Submission.Status.GRADED)),
        queued=Count("id", filter=Q(status=Submission.Status.QUEUED)),
        running=Count("id", filter=Q(status=Submission.Status.RUNNING)),
        infra_errors=Count("id", filter=Q(status=Submission.Status.INFRA_ERROR)),
        last_submitted=Max("created_at"),
    )
    counts["in_flight"] = counts["queued"] + counts["running"]
    # The compact verdicts, never the results: a result holds the trace and logs (tens of KB each).
    latest = list(
        _latest_per_student(submissions.filter(status=Submission.Status.GRADED)).values(
            "score", "max_score", "verdicts"
        )
    )
    counts["students_graded"] = len(latest)
    # The class size: students enrolled in the lab's course (one COUNT with the course as a subquery).
    counts["enrolled"] = (
        Enrollment.objects.filter(
            course_id=Lesson.objects.filter(pk=lab.lesson_id).values("course_id")[:1]
        ).count()
        if lab.lesson_id
        else None
    )
    scores = [(row["score"] or 0, row["max_score"] or 0) for row in latest]
    return {
        "counts": counts,
        "checks": check_failures(lab.checks, [row["verdicts"] for row in latest]),
        # graded without any check: the files no longer fitted the lab (it changed since they were sent)
        "rejected": sum(1 for row in latest if not row["verdicts"]),
        "bins": score_bins(scores, lab.points),
        "median_percent": round(statistics.median(_percents(scores)), 1) if scores else None,
        "full_marks": sum(1 for score, top in scores if top and score == top),
    }


def students_failing(lab: Lab, check_id: str, *, include_runs: bool = False) -> list[dict]:
    """Who is stuck on ``check_id``: the students whose latest graded submission (the live view's rows:
    also "Run checks" with ``include_runs``) ran that check and failed it, by username. Each: ``user_id``,
    ``username``, ``submission_id``, ``created_at``, ``kind``, ``score``, ``max_score``, ``message``."""
    kinds = list(Submission.Kind.values) if include_runs else [Submission.Kind.SUBMIT]
    latest = _latest_per_student(
        Submission.objects.filter(lab=lab, kind__in=kinds, status=Submission.Status.GRADED)
    ).values("pk", "user_id", "user__username", "created_at", "kind", "score", "max_score", "verdicts")
    stuck = []
    for row in latest:
        verdict = next((v for v in row["verdicts"] or [] if v.get("id") == check_id), None)
        if verdict is None or verdict.get("passed"):
            continue
        stuck.append(
            {
                "user_id": row["user_id"],
                "username": row["user__username"],
                "submission_id": row["pk"],
                "created_at": row["created_at"],
                "kind": row["kind"],
                "score": row["score"],
                "max_score": row["max_score"],
                "message": verdict.get("message") or "",
            }
        )
    return sorted(stuck, key=lambda item: item["username"])


def check_failures(declared: list[dict], verdict_lists: list[list[dict]], top: int = 3) -> list[dict]:
    """Per check (the lab's order, then any check only old results have): ``ran``, ``failed``,
    ``percent`` failing among those that ran it, and the ``top`` most frequent failure messages."""
    names = {check["id"]: check for check in declared}
    ran: Counter = Counter()
    failed: Counter = Counter()
    messages: dict[str, Counter] = {}
    order = [check["id"] for check in declared]
    for verdicts in verdict_lists:
        for verdict in verdicts:
            check_id = verdict.get("id")
            if check_id not in names and check_id not in order:
                order.append(check_id)
                names[check_id] = {"id": check_id, "name": check_id, "removed": True}
            ran[check_id] += 1
            if not verdict.get("passed"):
                failed[check_id] += 1
                messages.setdefault(check_id, Counter())[verdict.get("message") or "(no message)"] += 1
    rows = []
    for check_id in order:
        check = names[check_id]
        rows.append(
            {
                "id": check_id,
                "name": check.get("name", check_id),
                "visibility": check.get("visibility", ""),
                "points": check.get("points"),
                "removed": check.get("removed", False),
                "ran": ran[check_id],
                "failed": failed[check_id],
                "percent": round(100 * failed[check_id] / ran[check_id]) if ran[check_id] else 0,
                # Most frequent first; ties by text, so the list does not reshuffle on every refresh.
                "messages": sorted(messages.get(check_id, {}).items(), key=lambda item: (-item[1], item[0]))[
                    :top
                ],
            }
        )
    return rows


def _percents(scores: list[tuple[int, int]]) -> list[float]:
    return [100 * score / top if top else 0.0 for score, top in scores]


def score_bins(scores: list[tuple[int, int]], points: int) -> list[dict]:
    """How many (score, max_score) pairs fall in each bin: one bin per score when every result is out of
    ``points`` and that is at most 20, else ten bins of 10% (the last one includes 100%). Each bin has
    ``label``, ``count`` and ``percent`` (of the tallest bin, for drawing bars)."""
    if 0 < points <= 20 and all(top == points for _, top in scores):
        labels = [str(value) for value in range(points + 1)]
        counts = Counter(min(max(score, 0), points) for score, _ in scores)
        values = [counts[value] for value in range(points + 1)]
    else:
        labels = [f"{low}–{low + 9}%" if low < 90 else "90–100%" for low in range(0, 100, 10)]
        counts = Counter(min(int(percent // 10), 9) for percent in _percents(scores))
        values = [counts[index] for index in range(10)]
    tallest = max(values, default=0) or 1
    return [
        {"label": label, "count": count, "percent": round(100 * count / tallest)}
        for label, count in zip(labels, values, strict=True)
    ]
