"""Demo accounts for development and for a class served by `make run`. Here rather than in accounts because the
demo student is enrolled in every published course: accounts sit below courses and never import them.

The logins are written to DEMO_LOGINS_FILE (readable by the owner only), where the launcher reads them to print
them last at start-up. With DEMO_PASSWORDS_GENERATED (the classroom settings) each account gets a random password
the first time, because the class shares the network and the public demo passwords are in this file.
"""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from accounts.roles import INSTRUCTORS, STUDENTS
from accounts.services import user_create
from courses.models import Course
from courses.services import enrollment_create

DEMO = [
    ("instructor", "instructor-demo-pass", INSTRUCTORS),
    ("student", "student-demo-pass", STUDENTS),
]


def read_logins(path: Path) -> dict[str, str]:
    """username -> password as last written by seed_demo; empty when there is no (readable) file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {
        entry["username"]: entry["password"]
        for entry in data
        if isinstance(entry, dict) and "password" in entry
    }


def write_logins(path: Path, logins: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(logins, handle, indent=1)


class Command(BaseCommand):
    help = "Create a demo instructor and a demo student (development and classroom modes) and print their logins."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_USERS", False):
            self.stdout.write("Demo users are disabled in this environment (DEMO_USERS is off).")
            return
        path = Path(settings.DEMO_LOGINS_FILE)
        known = read_logins(path)
        generated = getattr(settings, "DEMO_PASSWORDS_GENERATED", False)
        logins = []
        for username, public_password, role in DEMO:
            password = known.get(username) or (secrets.token_urlsafe(9) if generated else public_password)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(username=username, password=password, role=role)
            elif username not in known:
                # made before the logins were recorded (or with the public password): make the printed one true
                user.set_password(password)
                user.save(update_fields=["password"])
            if role == STUDENTS:
                for course in Course.objects.filter(is_published=True):
                    enrollment_create(user=user, course=course)
            logins.append({"role": role[:-1], "username": username, "password": password})
            self.stdout.write(f"Demo {role[:-1]}: username={username} password={password}")
        write_logins(path, logins)
