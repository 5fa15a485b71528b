from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from quizzes.gift import GiftError
from quizzes.models import Quiz
from quizzes.services import gift_import


class Command(BaseCommand):
    help = "Import Moodle GIFT questions into a course's question bank (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A GIFT file (UTF-8).")
        parser.add_argument("--course", help="Course slug (default: the only course).")
        parser.add_argument("--quiz", help="Also append the questions to this quiz (slug, in the course).")

    def handle(self, *args, file, course=None, quiz=None, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
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
            created = gift_import(course=target_course, text=text, quiz=target_quiz)
        except GiftError as exc:
            problems = getattr(exc, "errors", None) or [(exc.line, exc.message)]
            lines = "\n".join(f"{path}:{line}: {message}" for line, message in problems)
            raise CommandError(f"Nothing was imported.\n{lines}") from exc
        where = f" and added to quiz {target_quiz.slug}" if target_quiz else ""
        self.stdout.write(
            self.style.SUCCESS(f"Imported {len(created)} question(s) into {target_course.slug}{where}.")
        )
