"""Item analysis of a lab's checks over each student's latest graded submission (kind submit): per check the
facility (share of students passing it) and the discrimination (correlation between passing it and the
points earned on the lab's other checks), with the same definitions and flags as quiz item analysis
(quizzes/statistics.py). A check a submission did not run is not in that attempt."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from labs.models import Lab, Submission
from quizzes.statistics import analyse


@dataclass
class CheckRow:
    id: str
    name: str
    points: int
    n: int
    facility: float | None
    discrimination: float | None
    flags: list[str]


@dataclass
class LabCheckReport:
    lab: Lab
    submissions: int
    cronbach_alpha: float | None
    checks: list[CheckRow]


def lab_check_statistics(*, lab: Lab) -> LabCheckReport:
    """One query: each student's newest graded submission's compact verdicts (never the results)."""
    latest = (
        Submission.objects.filter(lab=lab, kind=Submission.Kind.SUBMIT, status=Submission.Status.GRADED)
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("user_id")], order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(newest=1)
        .values_list("verdicts", flat=True)
    )
    declared = {check["id"]: check for check in lab.checks}
    points = {check_id: float(check.get("points") or 1) for check_id, check in declared.items()}
    attempts = []
    for verdicts in latest:
        attempt = {}
        for verdict in verdicts or []:
            check_id = verdict.get("id")
            weight = points.get(check_id, 1.0)
            attempt[check_id] = weight if verdict.get("passed") else 0.0
        if attempt:
            attempts.append(attempt)
    analysis = analyse(attempts, max_marks=points)
    order = list(declared) + sorted(set(analysis.items) - set(declared))
    rows = []
    for check_id in order:
        stats = analysis.items.get(check_id)
        if stats is None:
            continue
        check = declared.get(check_id, {})
        rows.append(
            CheckRow(
                id=check_id,
                name=check.get("name", check_id),
                points=int(points.get(check_id, 1)),
                n=stats.n,
                facility=stats.facility,
                discrimination=stats.discrimination,
                flags=stats.flags,
            )
        )
    return LabCheckReport(
        lab=lab, submissions=analysis.attempts, cronbach_alpha=analysis.cronbach_alpha, checks=rows
    )


__all__ = ["CheckRow", "LabCheckReport", "lab_check_statistics"]
