"""Names and Role Provisioning Services: import an LMS context's roster into its linked course."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from .grades import lms_reason
from .http import TimeoutSession
from .models import Context
from .roles import teaches
from .services import LaunchRefused, identity_user, member_upsert
from .tool import registration_for


@dataclass
class RosterReport:
    added: int = 0
    updated: int = 0
    skipped_inactive: int = 0


def roster_import(*, context: Context) -> RosterReport:
    """Every active member of the LMS context becomes (or stays) a user linked by (issuer, subject), a
    member of the context and, when the context is linked to a course, enrolled in it. Raises
    LaunchRefused with the LMS's reason when the roster cannot be read."""
    if not context.memberships_url:
        raise LaunchRefused("The LMS has not offered its roster service for this course (no NRPS claim).")
    platform = context.platform
    connector = ServiceConnector(registration_for(platform), requests_session=TimeoutSession())
    nrps = NamesRolesProvisioningService(connector, {"context_memberships_url": context.memberships_url})
    try:
        members = nrps.get_members()
    except LtiServiceException as error:
        raise LaunchRefused(f"The LMS refused the roster: {lms_reason(error)}") from error
    except LtiException as error:
        raise LaunchRefused(f"The roster could not be read: {error}") from error
    report = RosterReport()
    with transaction.atomic():
        known = set(context.members.values_list("subject", flat=True))
        for member in members:
            subject = str(member.get("user_id") or "")
            if not subject:
                continue
            if member.get("status", "Active") != "Active":
                report.skipped_inactive += 1
                continue
            roles = [str(role) for role in member.get("roles", [])]
            user = identity_user(
                issuer=platform.issuer, subject=subject, claims=member, instructor=teaches(roles)
            )
            member_upsert(context=context, user=user, subject=subject, roles=roles)
            if subject in known:
                report.updated += 1
            else:
                report.added += 1
    return report
