from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.importing import ContentError, import_course_dir


class Command(BaseCommand):
    help = "Import course content (Markdown with YAML front matter). Idempotent; all-or-nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="A course folder, or a folder of course folders (default: COURSE_CONTENT_DIR).",
        )

    def handle(self, *args, path=None, **options):
        root = Path(path) if path else Path(settings.COURSE_CONTENT_DIR)
        try:
            report = import_course_dir(root)
        except ContentError as exc:
            raise CommandError(f"Import stopped, nothing was changed. {exc.path}: {exc.problem}") from exc
        if not report.changed:
            self.stdout.write(f"No changes: {report.unchanged} lesson(s) already up to date.")
            return
        for label, items in (
            ("Created", report.created),
            ("Updated", report.updated),
            ("Unpublished", report.unpublished),
        ):
            if items:
                self.stdout.write(f"{label} {len(items)}: {', '.join(items)}")
        self.stdout.write(self.style.SUCCESS(f"Import done ({report.unchanged} unchanged)."))
