"""Writes for LTI: registering platforms, accepting a validated launch (account, role, context, course,
enrollment), linking an LMS context to a course. Grades live in ``lti.grades`` (``scores_changed`` is
here, the one call other apps make, through ``courses.signals.score_changed``), the roster in ``lti.roster``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.roles import INSTRUCTORS, STUDENTS, role_group
from courses.models import Course
from courses.services import enrollment_create

from . import grades, tasks
from .models import Context, Deployment, Identity, Member, Platform
from .roles import teaches

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


class RegistrationError(ValueError):
    """A registration that cannot be saved; the message names the field and the problem."""


class LaunchRefused(Exception):
    """A valid launch we do not serve (the message is shown to the user inside the LMS)."""


def check_url(value: str, field: str) -> str:
    """An absolute https URL (http only when ``LTI_ALLOW_HTTP``, for development and tests)."""
    parts = urlsplit(value or "")
    schemes = ("https", "http") if settings.LTI_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise RegistrationError(f"{field}: {value!r} is not an absolute {' or '.join(schemes)} URL")
    return value


@transaction.atomic
def platform_register(
    *,
    issuer: str,
    client_id: str,
    deployment_ids: list[str],
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    auth_audience: str = "",
    title: str = "",
    course: Course | None = None,
    registered_by: str = "manual",
) -> Platform:
    """Create or update the registration (issuer, client id) and add its deployments. Idempotent."""
    check_url(issuer, "issuer")
    for field, value in (
        ("auth login URL", auth_login_url),
        ("auth token URL", auth_token_url),
        ("keyset URL", keyset_url),
    ):
        check_url(value, field)
    if not client_id.strip():
        raise RegistrationError("client id: must not be empty")
    if any(not deployment_id.strip() for deployment_id in deployment_ids):
        raise RegistrationError("deployment id: must not be empty")
    platform, _ = Platform.objects.update_or_create(
        issuer=issuer,
        client_id=client_id.strip(),
        defaults={
            "auth_login_url": auth_login_url,
            "auth_token_url": auth_token_url,
            "keyset_url": keyset_url,
            "auth_audience": auth_audience,
            "title": title or urlsplit(issuer).netloc,
            "default_course": course,
            "registered_by": registered_by,
            "is_active": True,
        },
    )
    for deployment_id in deployment_ids:
        Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id.strip())
    return platform


def _username(issuer: str, subject: str, claims: dict) -> str:
    """A readable, unique username: the LMS name (for display only) and a hash of issuer and subject."""
    name = claims.get("name") or " ".join(filter(None, [claims.get("given_name"), claims.get("family_name")]))
    readable = slugify(name)[:24] or "lti"
    return f"{readable}-{hashlib.sha256(f'{issuer}|{subject}'.encode()).hexdigest()[:10]}"


def identity_user(*, issuer: str, subject: str, claims: dict, instructor: bool):
    """The user linked to (issuer, subject), created on first sight. Linked by issuer and subject only:
    an e-mail address in the claims is copied for display, never used to find an existing account."""
    if not subject:
        raise LaunchRefused(
            "The LMS did not say who you are (no subject): anonymous launches are not served."
        )
    identity = Identity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is None:
        # no password: this account signs in through its LMS only (create_user makes it unusable)
        user = get_user_model().objects.create_user(username=_username(issuer, subject, claims))
        try:
            with transaction.atomic():
                identity = Identity.objects.create(issuer=issuer, subject=subject, user=user)
        except IntegrityError:  # a simultaneous first launch won the race
            user.delete()
            identity = Identity.objects.select_related("user").get(issuer=issuer, subject=subject)
    user = identity.user
    names = {
        "first_name": (claims.get("given_name") or "")[:150],
        "last_name": (claims.get("family_name") or "")[:150],
        "email": (claims.get("email") or "")[:254],
    }
    changed = [field for field, value in names.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, names[field])
    if changed:
        user.save(update_fields=changed)
    user.groups.add(role_group(INSTRUCTORS if instructor else STUDENTS))
    return user


def member_upsert(*, context: Context, user, subject: str, roles: list[str]) -> Member:
    member, _ = Member.objects.update_or_create(
        context=context,
        user=user,
        defaults={"subject": subject, "roles": roles, "is_instructor": teaches(roles)},
    )
    if context.course_id:
        enrollment_create(user=user, course=context.course)
    return member


@dataclass
class LaunchResult:
    user: object
    platform: Platform
    deployment: Deployment
    context: Context | None
    instructor: bool


def _context_from_claims(deployment: Deployment, body: dict) -> Context | None:
    claim = body.get(CLAIM + "context") or {}
    if not claim.get("id"):
        return None
    ags = body.get(AGS_CLAIM) or {}
    nrps = body.get(NRPS_CLAIM) or {}
    context, created = Context.objects.get_or_create(
        deployment=deployment,
        context_id=str(claim["id"]),
        defaults={"course": deployment.platform.default_course},
    )
    updates = {
        "title": (claim.get("title") or claim.get("label") or "")[:255],
        "lineitems_url": ags.get("lineitems", "") or context.lineitems_url,
        "ags_scopes": ags.get("scope", []) if ags else context.ags_scopes,
        "memberships_url": nrps.get("context_memberships_url", "") or context.memberships_url,
    }
    changed = [field for field, value in updates.items() if getattr(context, field) != value]
    for field in changed:
        setattr(context, field, updates[field])
    if changed:
        context.save(update_fields=[*changed, "updated_at"])
    return context


@transaction.atomic
def launch_accept(*, body: dict, platform: Platform, deployment: Deployment) -> LaunchResult:
    """Turn a validated id_token's claims into our rows: the user (by issuer and subject), their role,
    the LMS context and its course link, their membership there and their enrollment."""
    roles = [str(role) for role in body.get(CLAIM + "roles", [])]
    instructor = teaches(roles)
    user = identity_user(
        issuer=platform.issuer, subject=str(body.get("sub") or ""), claims=body, instructor=instructor
    )
    context = _context_from_claims(deployment, body)
    if context is not None:
        member_upsert(context=context, user=user, subject=str(body["sub"]), roles=roles)
    return LaunchResult(
        user=user, platform=platform, deployment=deployment, context=context, instructor=instructor
    )


@transaction.atomic
def context_link_course(*, context: Context, course: Course) -> Context:
    """Map an LMS context to ``course`` and enroll its known members. One context, one course: changing
    the course of a context that already has grade columns is refused (its grades belong to the old one)."""
    context = Context.objects.select_for_update().get(pk=context.pk)
    if context.course_id == course.pk:
        return context
    if context.course_id and context.line_items.exists():
        raise LaunchRefused(
            f"This LMS course is already linked to {context.course.title} and has grade columns for it; "
            "add the new course to another LMS course instead."
        )
    context.course = course
    context.save(update_fields=["course", "updated_at"])
    for member in context.members.select_related("user"):
        enrollment_create(user=member.user, course=course)
    return context


def scores_changed(user, item) -> int:
    """A Lab or graded Quiz score of ``user`` may have changed: a pending sync for each LMS context of the
    item's course the user belongs to, each pushed by a worker after commit. Returns how many."""
    syncs = grades.syncs_for(user, item)
    for sync in syncs:
        transaction.on_commit(functools.partial(tasks.enqueue_push, sync.pk))
    return len(syncs)


def grade_resend(*, context: Context, sync_ids: list[int] | None = None) -> int:
    """Send again the context's refused and failed grades (or the given ones). Returns how many."""
    syncs = grades.grade_resend(context=context, sync_ids=sync_ids)
    for sync in syncs:
        transaction.on_commit(functools.partial(tasks.enqueue_push, sync.pk))
    return len(syncs)
