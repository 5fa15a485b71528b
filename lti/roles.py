"""LMS roles (LTI 1.3 role vocabularies) mapped to the platform's two roles. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

# Context roles that teach; a short "Instructor" (allowed by the spec for context roles) counts too.
TEACHING = {"Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant"}
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


def _short(role: str) -> tuple[str, str]:
    """('membership', 'Instructor') for '.../membership#Instructor', ('', 'Instructor') for 'Instructor';
    a sub-role ('.../membership/Instructor#TeachingAssistant') keeps its sub-role name."""
    vocab, _, name = role.rpartition("#")
    return vocab.rsplit("/", 1)[-1], name


def teaches(roles: Iterable[str]) -> bool:
    """True when the launch's roles make the user an instructor here; learners, mentors and observers are
    students."""
    for role in roles:
        if role in (INSTITUTION_ADMIN, SYSTEM_ADMIN):
            return True
        vocab, name = _short(role)
        if vocab in ("membership", "", "Instructor", "Administrator") and name in TEACHING:
            return True
    return False
