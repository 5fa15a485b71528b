"""The two roles of the platform. A user is an instructor when they belong to the ``instructors`` group
(or are a superuser); everyone else who signs up is a student."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

INSTRUCTORS = "instructors"
STUDENTS = "students"


def is_instructor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object: templates and views ask several times per request.
    cached = getattr(user, "_is_instructor", None)
    if cached is None:
        cached = user.groups.filter(name=INSTRUCTORS).exists()
        user._is_instructor = cached
    return cached


def role_group(name: str) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    return group


def instructor_required(view):
    """Log-in required (redirect), then instructor role required (403 for students)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied("This page is for instructors.")
        return view(request, *args, **kwargs)

    return wrapper
