from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from quizzes.bank_formats import read_bank
from quizzes.interchange import BankError
from quizzes.models import Quiz
from quizzes.services import bank_import


class Command(BaseCommand):
    help = (
        "Import a Moodle XML question bank into a course (all or nothing). Warnings (what could not come "
        "across, unsupported question types) are printed with their lines."
    )
    file_format = "moodle_xml"

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--course", help="Course slug (default: the only course).")
        parser.add_argument("--quiz", help="Also append the questions to this quiz (slug, in the course).")

    def handle(self, *args, file, course=None, quiz=None, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from exc
        courses = Course.objects.filter(slug=course) if course else Course.objects.all()
        if courses.count() != 1:
            raise CommandError(
                "Name the course with --course SLUG." if not course else f"No course {course!r}."
            )
        target_course = courses.get()
        target_quiz = None
        if quiz:
            target_quiz = Quiz.objects.filter(course=target_course, slug=quiz).first()
            if target_quiz is None:
                raise CommandError(f"No quiz {quiz!r} in course {target_course.slug!r}.")
        try:
            bank = read_bank(data, self.file_format)
            created = bank_import(course=target_course, bank=bank, quiz=target_quiz)
        except BankError as exc:
            lines = "\n".join(
                f"{path}:{line}: {message}" if line else f"{path}: {message}" for line, message in exc.errors
            )
            raise CommandError(f"Nothing was imported.\n{lines}") from exc
        for line, message in sorted(bank.warnings):
            self.stderr.write(f"{path}:{line}: warning: {message}")
        where = f" and added to quiz {target_quiz.slug}" if target_quiz else ""
        self.stdout.write(
            self.style.SUCCESS(f"Imported {len(created)} question(s) into {target_course.slug}{where}.")
        )
