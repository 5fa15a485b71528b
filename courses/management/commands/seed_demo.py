"""Demo accounts for development. Here rather than in accounts because the demo student is enrolled in
every published course: accounts sit below courses and never import them."""

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


class Command(BaseCommand):
    help = "Create a demo instructor and a demo student (development mode only) and print their credentials."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_USERS", False):
            self.stdout.write("Demo users are disabled in this environment (DEMO_USERS is off).")
            return
        for username, password, role in DEMO:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(username=username, password=password, role=role)
                verb = "created"
            else:
                verb = "exists"
            if role == STUDENTS:
                for course in Course.objects.filter(is_published=True):
                    enrollment_create(user=user, course=course)
            self.stdout.write(f"Demo {role[:-1]} {verb}: username={username} password={password}")
        self.stdout.write(self.style.WARNING("These demo accounts are for development only."))
