"""Writes for labs: importing the catalog, drafts, submissions and their grading.

The submission flow never loses work: ``submission_create`` saves the row first and enqueues grading only
once the transaction has committed; ``submission_grade`` is idempotent (a graded submission is left as it
is); ``submission_sweep`` re-enqueues rows stuck in queued or running (a lost message, a killed worker).

Re-grading (``submission_regrade``, ``lab_regrade_all``) puts the same row back in the queue: its files,
kind and creation time stay, so it is not a new attempt and a late submission stays late. Until the new
grade arrives the row keeps its previous score and result, and a re-grade that cannot be done leaves the
previous grade in place.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.models import Lesson
from courses.rendering import render_markdown
from courses.signals import score_changed
from labs import jobs
from labs.grading import LabError, LabSpec, grade
from labs.models import Draft, Lab, Submission
from labs.selectors import latest_submission_ids

__all__ = [
    "RegradeRefused",
    "ReviewRefused",
    "SubmissionRejected",
    "check_verdicts",
    "draft_save",
    "lab_deadline_set",
    "lab_import",
    "lab_regrade_all",
    "submission_create",
    "submission_fail",
    "submission_grade",
    "submission_regrade",
    "submission_review",
    "submission_sweep",
    "submissions_enqueue",
]

MAX_IN_FLIGHT = getattr(settings, "LABS_MAX_IN_FLIGHT", 3)
# Re-grades per UPDATE (well under SQLite's limit on query parameters) and per fan-out message.
REGRADE_CHUNK = 500
FAN_OUT_TASK = "labs.tasks.enqueue_gradings"


class SubmissionRejected(jobs.JobRejected):
    """A submission (or a draft) was refused before it was saved; ``message`` is shown to the student."""


class RegradeRefused(Exception):
    """A re-grade was not enqueued; ``message`` says why (shown to the instructor)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the catalog --------------------------------------------------------------------------------------------
class ReviewRefused(Exception):
    """An instructor's review was not saved; ``message`` says what is wrong (shown to the instructor)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


COMMENT_MAX_CHARS = 5000


def submission_review(
    *, submission: Submission, by, adjusted_score: int | None, comment: str, now=None
) -> Submission:
    """Save an instructor's comment and score adjustment on ``submission`` (None: the automatic score
    counts). The automatic score is kept beside it; the adjusted one is what the gradebook and the LMS
    get (``score_changed`` is sent when it changes). Every change is appended to ``review_log`` with who
    and when. Raises ``ReviewRefused``: a "Run checks" row (never graded for credit), an adjustment on a
    submission not graded yet, a score below 0 or above the submission's maximum, an over-long comment."""
    now = now or timezone.now()
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ReviewRefused(f"The comment is {len(comment)} characters long; at most {COMMENT_MAX_CHARS}.")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().select_related("lab").filter(pk=submission.pk).first()
        if locked is None:
            raise ReviewRefused(f"submission {submission.pk} no longer exists")
        if locked.kind != Submission.Kind.SUBMIT:
            raise ReviewRefused("A “Run checks” row is practice: only submissions can be reviewed.")
        if adjusted_score is not None:
            if locked.max_score is None:
                raise ReviewRefused("This submission has not been graded yet: adjust its score once it is.")
            if not 0 <= adjusted_score <= locked.max_score:
                raise ReviewRefused(f"The adjusted score must be between 0 and {locked.max_score}.")
        score_changes = adjusted_score != locked.adjusted_score
        if not score_changes and comment == locked.comment:
            return locked
        locked.adjusted_score, locked.comment = adjusted_score, comment
        locked.reviewed_by, locked.reviewed_at = by, now
        locked.review_log = [
            *locked.review_log,
            {"by": by.username, "at": now.isoformat(), "adjusted_score": adjusted_score, "comment": comment},
        ]
        locked.save(update_fields=["adjusted_score", "comment", "reviewed_by", "reviewed_at", "review_log"])
    if score_changes:
        score_changed.send(sender=Submission, user=locked.user, item=locked.lab)  # e.g. to linked LMS courses
    return locked


def lab_import(*, spec: LabSpec) -> tuple[Lab, bool]:
    """Create or update the row of one lab; returns (lab, changed). Raises ``LabError`` (unknown lesson)."""
    lesson = Lesson.objects.filter(course__slug=spec.course, slug=spec.lesson).first()
    if lesson is None:
        raise LabError(
            spec.slug, "lab.toml", f"lesson {spec.lesson!r} of course {spec.course!r} does not exist"
        )
    existing = Lab.objects.filter(slug=spec.slug).first()
    if (
        existing is not None
        and existing.content_hash == spec.content_hash
        and existing.lesson_id == lesson.pk
    ):
        return existing, False
    fields = {
        "title": spec.title,
        "summary": spec.summary,
        "lesson": lesson,
        "order": spec.order,
        "points": spec.points,
        "editable_files": spec.editable,
        "starter_files": spec.starter,
        "instructions_html": render_markdown(spec.instructions).html,
        "checks": [
            {"id": c.id, "name": c.name, "points": c.points, "visibility": spec.visibility[c.id]}
            for c in spec.checks
        ],
        "grading_seconds": spec.grading_seconds,
        "playground_handler": spec.playground_handler,
        "playground_event": spec.playground_event,
        "playground_state_machine": spec.playground_state_machine,
        "content_hash": spec.content_hash,
    }
    lab, _ = Lab.objects.update_or_create(slug=spec.slug, defaults=fields)
    return lab, True


# -- drafts an# -- drafts and submissions ---------------------------------------------------------------------------------
def lab_record_mutation_score(*, slug: str, report, content_hash: str, measured_on: dt.date) -> Lab:
    """Store a mutation run's figures (a ``labs.grading.mutation.MutationReport``) on the lab's row, for the
    instructor's page. Raises ``ValueError`` when the lab has not been imported."""
    figures = report.as_dict()
    with transaction.atomic():
        lab = Lab.objects.select_for_update().filter(slug=slug).first()
        if lab is None:
            raise ValueError(f"lab {slug} is not imported yet: run manage.py import_labs first")
        lab.mutation_score = {
            **{
                key: figures[key]
                for key in ("mutants", "killed", "survived", "equivalent", "crashed", "seed")
            },
            "score": figures["score"],
            "measured_on": measured_on.isoformat(),
            "content_hash": content_hash,
        }
        lab.save(update_fields=["mutation_score"])
    return lab


def lab_deadline_set(*, lab: Lab, deadline: dt.datetime | None) -> Lab:
    """Set (or, with None, clear) the lab's deadline: the time after which a submission is marked late in
    the gradebook and the after-deadline checks are shown to students. Submissions stay open after it.

    The deadline belongs to the lab of its course (a Lab is reached through one lesson of one course), so
    it is per course and lab; importing the catalog again never changes it. Raises ``ValueError`` for a
    naive datetime (its time zone would be a guess)."""
    if deadline is not None and timezone.is_naive(deadline):
        raise ValueError("a deadline needs a time zone")
    Lab.objects.filter(pk=lab.pk).update(deadline=deadline)
    lab.deadline = deadline
    return lab


def draft_save(*, user, lab: Lab, files: dict) -> Draft:
    """Save what the student typed. Raises ``SubmissionRejected`` for files that do not fit the lab."""
    files = jobs.checked_files(lab, files, rejected=SubmissionRejected)
    draft, _ = Draft.objects.update_or_create(user=user, lab=lab, defaults={"files": files})
    return draft


def draft_reset(*, user, lab: Lab) -> None:
    """Throw the student's draft away: the editor starts again from the lab's starter files. Their
    submissions and test runs are kept."""
    Draft.objects.filter(user=user, lab=lab).delete()


def submission_create(*, user, lab: Lab, files: dict, kind: str = Submission.Kind.SUBMIT) -> Submission:
    """Save a submission (queued) and enqueue its grading after commit. Raises ``SubmissionRejected``."""
    if kind not in Submission.Kind.values:
        raise SubmissionRejected(f"unknown kind {kind!r}")
    return jobs.create(
        jobs.GRADING,
        user=user,
        lab=lab,
        files=jobs.checked_files(lab, files, rejected=SubmissionRejected),
        limit=MAX_IN_FLIGHT,
        busy="You already have {in_flight} submissions waiting to be graded; wait for one to finish.",
        rejected=SubmissionRejected,
        # Re-grades an instructor asked for are not the student's doing, so they do not use up the limit.
        not_counted=Q(regrade_requested_at__isnull=False),
        kind=kind,
    )


def _enqueue_many(submission_ids: list[int]) -> None:
    """Hand a large batch to the workers in chunks: one message per chunk, so the request that asked for
    it returns at once (30,000 re-grades are 60 messages, not 30,000 sent from the web process)."""
    for start in range(0, len(submission_ids), REGRADE_CHUNK):
        jobs.send(FAN_OUT_TASK, submission_ids[start : start + REGRADE_CHUNK])


def submissions_enqueue(*, submission_ids: list[int]) -> int:
    """Enqueue the grading of each submission (the fan-out task calls this); returns how many. Rows that
    are no longer waiting are skipped by the grading task itself (it is idempotent)."""
    for submission_id in submission_ids:
        jobs.enqueue(jobs.REGRADING, submission_id)
    return len(submission_ids)


def submission_grade(*, submission_id: int, now=None) -> Submission | None:
    """Grade one submission. Idempotent: a graded (or failed) submission is returned unchanged.

    Raises ``InfrastructureError`` when grading could not be done (the task retries)."""
    submission, claimed = jobs.claim(jobs.GRADING, submission_id, now=now)
    if not claimed:
        return submission
    lab = submission.lab
    try:
        report = grade(
            jobs.lab_spec(lab), submission.files, visible_only=submission.kind == Submission.Kind.RUN
        )
    except ValueError as error:  # files that no longer fit the lab (it changed since): the student's to fix
        report = {"score": 0, "max_score": lab.points, "checks": [], "rejected": str(error)}
    if submission.regrade_requested_at is not None:
        # The row still holds the grade being replaced: keep it in the report so the change can be shown.
        report["regrade"] = {
            "requested_at": submission.regrade_requested_at.isoformat(),
            "previous_score": submission.score,
            "previous_max_score": submission.max_score,
            "previous_graded_at": submission.graded_at.isoformat() if submission.graded_at else None,
        }
    try:
        submission = jobs.record(
            jobs.GRADING,
            submission,
            status=Submission.Status.GRADED,
            score=report["score"],
            max_score=report["max_score"],
            result=report,
            verdicts=check_verdicts(report["checks"]),
            lab_hash=lab.content_hash,
        )
    except jobs.ResultNotSaved as error:
        # Permanent: grading again would produce the same result. Marked once ("could not be graded"; a
        # failed re-grade keeps the previous grade), so neither the task nor the sweep runs it again.
        submission_fail(submission_id=submission_id, reason=f"{error} (not graded again)")
        return Submission.objects.get(pk=submission_id)
    if submission.kind == Submission.Kind.SUBMIT:
        score_changed.send(sender=Submission, user=submission.user, item=lab)  # e.g. to linked LMS courses
    return submission


VERDICT_MESSAGE_CHARS = 300


def check_verdicts(checks: list[dict]) -> list[dict]:
    """The part of a report's checks that class-wide views need: ``{id, passed, message}`` per check (the
    message cut to 300 characters). Empty when no check ran (files that no longer fit the lab)."""
    return [
        {
            "id": check["id"],
            "passed": bool(check["passed"]),
            "message": (check.get("message") or "")[:VERDICT_MESSAGE_CHARS],
        }
        for check in checks
    ]


def submission_fail(*, submission_id: int, reason: str) -> None:
    """Mark a submission that repeatedly could not be graded; it shows as such and is not an attempt.

    A failed re-grade of a submission that had a grade goes back to that grade (score and result were
    never overwritten); ``error`` keeps the reason for the instructor."""
    Submission.objects.filter(
        pk=submission_id,
        status__in=jobs.PENDING,
        regrade_requested_at__isnull=False,
        score__isnull=False,
    ).update(status=Submission.Status.GRADED, error=f"Re-grading failed: {reason}"[:2000])
    jobs.fail(jobs.GRADING, submission_id, reason=reason)


def submission_sweep(*, now=None, queued_after_s: int = 120, running_grace_s: int = 60) -> list[int]:
    """Re-enqueue submissions stuck in queued (longer than ``queued_after_s``) or running (longer than
    their lab's grading time plus ``running_grace_s``). Returns their ids."""
    now = now or timezone.now()
    stuck = list(
        Submission.objects.filter(status=Submission.Status.QUEUED)
        # A re-graded row has been waiting since the re-grade was asked for, not since it was submitted.
        .alias(queued_since=Coalesce("regrade_requested_at", "created_at"))
        .filter(queued_since__lt=now - dt.timedelta(seconds=queued_after_s))
        .values_list("pk", flat=True)
    )
    for submission in Submission.objects.filter(status=Submission.Status.RUNNING).select_related("lab"):
        limit = dt.timedelta(seconds=submission.lab.grading_seconds + running_grace_s)
        if submission.started_at is None or submission.started_at < now - limit:
            stuck.append(submission.pk)
    # a stuck re-grade goes back to the regrades queue, not in front of students' live submissions
    regrades = set(
        Submission.objects.filter(pk__in=stuck, regrade_requested_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    live = [pk for pk in stuck if pk not in regrades]
    return jobs.requeue(jobs.GRADING, live) + jobs.requeue(
        jobs.REGRADING, [pk for pk in stuck if pk in regrades]
    )


# -- re-grading (instructors) -------------------------------------------------------------------------------


def submission_regrade(*, submission: Submission, now=None) -> Submission:
    """Queue ``submission`` to be graded again against the lab as it is now, after commit.

    The same row is graded again (files, kind and creation time unchanged): not a new attempt, and not
    counted against the student's in-flight limit. Raises ``RegradeRefused`` when it is already waiting
    to be graded."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Submission.objects.select_for_update().filter(pk=submission.pk).first()
        if locked is None:
            raise RegradeRefused(f"submission {submission.pk} no longer exists")
        if locked.is_pending:
            raise RegradeRefused(
                f"Submission {locked.pk} by {locked.user} is already {locked.get_status_display().lower()}; "
                "it will be graded against the current version of the lab."
            )
        locked.status = Submission.Status.QUEUED
        locked.regrade_requested_at = now
        locked.save(update_fields=["status", "regrade_requested_at"])
        jobs.enqueue_on_commit(jobs.REGRADING, locked.pk)
    return locked


def lab_regrade_all(*, lab: Lab, now=None) -> tuple[list[int], int]:
    """Queue each student's latest submission (kind submit) of ``lab`` to be graded again, after commit.

    Returns (the ids queued, how many students were skipped because their latest submission is already
    waiting to be graded: it will be graded against the current lab anyway). Like ``submission_regrade``,
    no attempt is added. All rows of one call share ``regrade_requested_at``, which names the batch."""
    now = now or timezone.now()
    latest = latest_submission_ids(lab)
    queued: list[int] = []
    with transaction.atomic():
        for start in range(0, len(latest), REGRADE_CHUNK):
            chunk = latest[start : start + REGRADE_CHUNK]
            ids = list(
                Submission.objects.select_for_update()
                .filter(pk__in=chunk)
                .exclude(status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING])
                .values_list("pk", flat=True)
            )
            Submission.objects.filter(pk__in=ids).update(
                status=Submission.Status.QUEUED, regrade_requested_at=now
            )
            queued += ids
        transaction.on_commit(functools.partial(_enqueue_many, sorted(queued)))
    return sorted(queued), len(latest) - len(queued)
