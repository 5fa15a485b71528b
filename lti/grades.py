"""Assignment and Grade Services: students' best scores go to the LMS gradebook.

``lti.services.scores_changed(user, item)`` runs where attempts and submissions are recorded. It only writes a
pending GradeSync row per LMS context the student belongs to (``syncs_for``, here) and enqueues
``lti.tasks.push_score`` after commit, so a student never waits on an LMS. The task sends the *current* best score (the gradebook's
rule), so repeated or out-of-order syncs converge on the same value.

A column (line item) is made once per (LMS context, item): the worker that first inserts the LineItem row
owns it (see ``line_item_ensure``), searches the LMS by ``resourceId`` (deep linking may have created the
column) and only then creates one. An LMS that refuses a score (4xx: course unpublished, item closed) is
recorded with its reason and not retried; one that is unreachable or answers 5xx/429 is retried with
back-off by the task, then marked failed. Instructors see both and can resend.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import requests
from django.db import IntegrityError, transaction
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem as LibLineItem
from pylti1p3.service_connector import ServiceConnector

from . import items
from .http import TimeoutSession
from .models import Context, GradeSync, LineItem, Member
from .tool import registration_for

log = logging.getLogger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
TAG = "serverless-learning"
CLAIM_TIMEOUT = timedelta(minutes=2)
SWEEP_AFTER = timedelta(minutes=15)
SWEEP_BATCH = 1000


class TransientLmsError(Exception):
    """The LMS could not be reached or answered 5xx/429: worth retrying later."""


def syncs_for(user, item) -> list[GradeSync]:
    """A Lab or graded Quiz score of ``user`` may have changed: mark a sync pending for every LMS context of
    the item's course that the user belongs to, and return them (to be enqueued). Never calls the LMS."""
    target = items.item_of(item)
    if target is None:
        return []
    contexts = Context.objects.filter(course=target.course, members__user=user).exclude(lineitems_url="")
    syncs = (
        grade_sync_request(context=context, kind=target.kind, item_id=target.obj.pk, user=user)
        for context in contexts
    )
    return [sync for sync in syncs if sync is not None]


def grade_sync_request(*, context: Context, kind: str, item_id: int, user) -> GradeSync | None:
    """Mark one (context, item, user) grade pending (the caller enqueues its push after commit)."""
    if SCOPE_SCORE not in context.ags_scopes:
        return None
    sync, _ = GradeSync.objects.update_or_create(
        context=context,
        kind=kind,
        item_id=item_id,
        user=user,
        defaults={"status": GradeSync.Status.PENDING, "requested_at": timezone.now(), "lms_message": ""},
    )
    return sync


def stale_sync_ids(*, now=None) -> list[int]:
    """Pending grades older than SWEEP_AFTER (their message was lost, or never sent because the broker was
    down), to be enqueued again. The back-off of one push totals about 5 minutes, so these are not in flight."""
    now = now or timezone.now()
    return list(
        GradeSync.objects.filter(
            status=GradeSync.Status.PENDING, requested_at__lt=now - SWEEP_AFTER
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def grade_resend(*, context: Context, sync_ids: list[int] | None = None) -> list[GradeSync]:
    """Mark the context's refused and failed grades (or the given ones) pending again, and return them (to
    be enqueued)."""
    syncs = context.grade_syncs.all()
    if sync_ids is not None:
        syncs = syncs.filter(pk__in=sync_ids)
    else:
        syncs = syncs.filter(status__in=[GradeSync.Status.REFUSED, GradeSync.Status.FAILED])
    return [
        grade_sync_request(context=context, kind=sync.kind, item_id=sync.item_id, user=sync.user)
        for sync in syncs.select_related("user")
    ]


def _connector(context: Context) -> ServiceConnector:
    return ServiceConnector(registration_for(context.platform), requests_session=TimeoutSession())


def _ags(context: Context, connector: ServiceConnector) -> AssignmentsGradesService:
    return AssignmentsGradesService(
        connector, {"scope": context.ags_scopes, "lineitems": context.lineitems_url}
    )


def line_item_ensure(*, context: Context, item: items.Item, connector: ServiceConnector) -> LineItem:
    """The context's column for ``item``: the stored one, else the LMS's own with our resourceId (made by
    deep linking), else a new one.

    Exactly one worker makes it: the first to insert the (context, kind, item) row (a unique constraint)
    owns it until it has stored the LMS's URL; the others raise TransientLmsError and retry later. No
    database lock is held while the LMS is called; a claim older than CLAIM_TIMEOUT (its worker died) is
    taken over."""
    stored = LineItem.objects.filter(context=context, kind=item.kind, item_id=item.obj.pk).first()
    if stored is not None and stored.url:
        return stored
    if stored is None:
        try:
            with transaction.atomic():
                stored = LineItem.objects.create(
                    context=context,
                    kind=item.kind,
                    item_id=item.obj.pk,
                    url="",
                    label=item.title,
                    score_maximum=item.score_maximum,
                )
        except IntegrityError as error:
            raise TransientLmsError("another worker is creating this grade column") from error
    else:
        now = timezone.now()
        taken = LineItem.objects.filter(pk=stored.pk, url="", created_at__lt=now - CLAIM_TIMEOUT).update(
            created_at=now
        )
        if not taken:
            raise TransientLmsError("another worker is creating this grade column")
    try:
        ags = _ags(context, connector)
        found = ags.find_lineitem_by_resource_id(item.ref) if ags.can_read_lineitem() else None
        if found is None:
            if not ags.can_create_lineitem():
                raise LtiException("The LMS does not let this tool create grade columns (no lineitem scope).")
            wanted = (
                LibLineItem()
                .set_label(item.title)
                .set_score_maximum(item.score_maximum)
                .set_resource_id(item.ref)
                .set_tag(TAG)
            )
            found = ags.find_or_create_lineitem(wanted, find_by="resource_id")
    except BaseException:
        stored.delete()  # give the claim up: a retry starts again (and finds a column made meanwhile)
        raise
    stored.url = found.get_id()
    stored.label = found.get_label() or item.title
    stored.score_maximum = found.get_score_maximum() or item.score_maximum
    stored.save(update_fields=["url", "label", "score_maximum"])
    return stored


def lms_reason(error: LtiServiceException) -> str:
    """The LMS's own words from an error response (its JSON message/error/reason, else the text)."""
    response = error.response
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "reason", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                text = body[key]
                break
        else:
            errors = body.get("errors")
            if errors:
                text = json.dumps(errors)
    return f"HTTP {response.status_code}: {text.strip()[:500]}"


def score_push(*, sync_id: int) -> str:
    """Send one pending grade. Returns the new status; raises TransientLmsError to be retried."""
    sync = (
        GradeSync.objects.select_related("context__deployment__platform", "user").filter(pk=sync_id).first()
    )
    if sync is None or sync.status != GradeSync.Status.PENDING:
        return sync.status if sync else "missing"
    context = sync.context
    member = Member.objects.filter(context=context, user=sync.user).first()
    try:
        item = items.resolve(f"{sync.kind}:{sync.item_id}")
    except items.UnknownItem as error:
        return _finish(sync, GradeSync.Status.REFUSED, f"Not sent: {error}.")
    given = items.best_score(item, sync.user)
    if given is None or member is None:
        return _finish(sync, GradeSync.Status.SENT, "Nothing graded yet." if member else "Not a member.")
    connector = _connector(context)
    try:
        line_item = line_item_ensure(context=context, item=item, connector=connector)
        grade = (
            Grade()
            .set_score_given(given)
            .set_score_maximum(item.score_maximum)
            .set_timestamp(timezone.now().isoformat())
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_user_id(member.subject)
        )
        _ags(context, connector).put_grade(grade, LibLineItem({"id": line_item.url}))
    except LtiServiceException as error:
        status = error.response.status_code
        if status >= 500 or status == 429:
            raise TransientLmsError(lms_reason(error)) from error
        return _finish(
            sync, GradeSync.Status.REFUSED, lms_reason(error), given, line_item_max=item.score_maximum
        )
    except requests.RequestException as error:
        raise TransientLmsError(f"could not reach the LMS: {error}") from error
    except LtiException as error:
        return _finish(sync, GradeSync.Status.REFUSED, str(error), given, line_item_max=item.score_maximum)
    return _finish(sync, GradeSync.Status.SENT, "", given, line_item_max=item.score_maximum)


def _finish(sync: GradeSync, status: str, message: str, given=None, line_item_max=None) -> str:
    # A newer request (status back to pending meanwhile) wins: only a row still pending is finished.
    GradeSync.objects.filter(pk=sync.pk, requested_at=sync.requested_at).update(
        status=status,
        lms_message=message,
        score_given=given,
        score_maximum=line_item_max,
        attempts=sync.attempts + 1,
        sent_at=timezone.now() if status == GradeSync.Status.SENT else None,
    )
    return status


def score_push_failed(*, sync_id: int, reason: str) -> None:
    """The task gave up retrying: record why, for the instructor to see and resend."""
    GradeSync.objects.filter(pk=sync_id, status=GradeSync.Status.PENDING).update(
        status=GradeSync.Status.FAILED, lms_message=reason[:1000]
    )
