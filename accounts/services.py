"""Writes for accounts: creating users with a role."""

from django.contrib.auth.models import User
from django.db import transaction

from .roles import INSTRUCTORS, STUDENTS, role_group


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", role: str = STUDENTS) -> User:
    if role not in {STUDENTS, INSTRUCTORS}:
        raise ValueError(f"unknown role {role!r}")
    user = User.objects.create_user(username=username, password=password, email=email)
    user.groups.add(role_group(role))
    return user
