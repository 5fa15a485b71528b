from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.importing import ContentError, import_course_dir

NAMED_UP_TO = 5
PLURALS = {"quiz": "quizzes", "exam pool": "exam pools"}


def count_by_kind(items: list[str]) -> str:
    """'1 course, 6 modules, 117 questions' for report items written as "<kind> <name>" (kinds in first-seen
    order; "exam pool" is the one two-word kind)."""
    counts: dict[str, int] = {}
    for item in items:
        kind = "exam pool" if item.startswith("exam pool ") else item.split(" ", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {kind if n == 1 else PLURALS.get(kind, kind + 's')}" for kind, n in counts.items())


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
                # a few names fit on a line; a whole course is counted by kind (names listed with -v 2)
                summary = ", ".join(items) if len(items) <= NAMED_UP_TO else count_by_kind(items)
                self.stdout.write(f"{label} {len(items)}: {summary}")
                if options["verbosity"] >= 2 and len(items) > NAMED_UP_TO:
                    self.stdout.write("\n".join(f"  {item}" for item in items))
        self.stdout.write(self.style.SUCCESS(f"Import done ({report.unchanged} unchanged)."))
