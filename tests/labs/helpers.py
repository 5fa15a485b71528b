"""Helpers for tests of lab pages and the gradebook (importable, unlike conftest)."""

from django.utils import timezone

from accounts.roles import STUDENTS
from accounts.services import user_create
from labs import services
from labs.models import Submission

MESSAGE = "Expected {'square': 25}"


def make_student(name: str, **fields):
    user = user_create(username=name, password=f"{name}-pass-123", role=STUDENTS)
    if fields:
        for key, value in fields.items():
            setattr(user, key, value)
        user.save()
    return user


def graded(user, lab, *, failing=(), created_at=None, kind="submit", message=MESSAGE, **extra) -> Submission:
    """A graded submission whose result fails the ``failing`` check ids (the real report's shape)."""
    checks = [
        {
            "id": check["id"],
            "name": check["name"],
            "points": check["points"],
            "earned": 0 if check["id"] in failing else check["points"],
            "passed": check["id"] not in failing,
            "message": message if check["id"] in failing else "",
            "visibility": check["visibility"],
            "trace_range": [0, 0],
            "execution_range": [0, 0],
        }
        for check in lab.checks
        if kind == "submit" or check["visibility"] == "visible"
    ]
    score = sum(check["earned"] for check in checks)
    fields = {
        "user": user,
        "lab": lab,
        "kind": kind,
        "files": {"app.py": f"# by {user.username}\n"},
        "status": "graded",
        "score": score,
        "max_score": sum(check["points"] for check in checks),
        "result": {"checks": checks, "trace": [], "invocations": []},
        "verdicts": services.check_verdicts(checks),
        "lab_hash": lab.content_hash,
        "graded_at": timezone.now(),
        "created_at": created_at or timezone.now(),
    }
    fields.update(extra)
    return Submission.objects.create(**fields)
