from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.exporting import export_qti

from .export_moodle_xml import chosen_questions


class Command(BaseCommand):
    help = "Export a quiz (or every question with a tag) as a QTI 1.2 package for Canvas (a .zip file)."

    def add_arguments(self, parser):
        parser.add_argument("--quiz", help="Quiz slug.")
        parser.add_argument("--tag", help="Export every question with this tag instead.")
        parser.add_argument("--course", help="Course slug, when the quiz slug is not unique.")
        parser.add_argument("--output", required=True, help="Where to write the .zip package.")

    def handle(self, *args, quiz=None, tag=None, course=None, output, **options):
        questions = chosen_questions(quiz=quiz, tag=tag, course=course)
        path = Path(output)
        try:
            path.write_bytes(export_qti(questions, title=quiz or f"tag {tag}"))
        except OSError as exc:
            raise CommandError(f"{path}: cannot write: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(questions)} question(s) to {path}."))
