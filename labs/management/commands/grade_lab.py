import json as jsonlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.grading import CATALOG_DIR, InfrastructureError, LabError, grade, load_lab


class Command(BaseCommand):
    help = "Grade a folder of files as a submission of lab SLUG, without the web or the queue."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--files", required=True, help="A folder holding the lab's editable files.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument(
            "--visible-only", action="store_true", help="Only the checks shown before submitting."
        )

    def handle(self, *args, slug, files, json: bool = False, visible_only: bool = False, **options):
        root = Path(getattr(settings, "LABS_CATALOG_DIR", CATALOG_DIR))
        if not (root / slug / "lab.toml").exists():
            raise CommandError(f"No lab {slug!r} in {root}")
        try:
            lab = load_lab(root / slug)
        except LabError as error:
            raise CommandError(str(error)) from error
        folder = Path(files)
        if not folder.is_dir():
            raise CommandError(f"--files {folder}: not a folder")
        submitted = {}
        for name in lab.editable:
            path = folder / name
            if not path.is_file():
                raise CommandError(
                    f"--files {folder}: {name} is missing (the lab's files: {', '.join(lab.editable)})"
                )
            submitted[name] = path.read_text(encoding="utf-8")
        try:
            report = grade(lab, submitted, visible_only=visible_only)
        except (ValueError, InfrastructureError) as error:
            raise CommandError(f"Could not grade: {error}") from error
        checks = [
            {key: check[key] for key in ("name", "passed", "points", "message")} | {"id": check["id"]}
            for check in report["checks"]
        ]
        if json:
            self.stdout.write(
                _dumps({"score": report["score"], "max_score": report["max_score"], "checks": checks})
            )
            return
        self.stdout.write(f"{lab.title}: {report['score']}/{report['max_score']}")
        for check in checks:
            mark = "PASS" if check["passed"] else "FAIL"
            self.stdout.write(f"  {mark}  {check['name']} ({check['points']} pt)")
            if check["message"]:
                self.stdout.write(f"        {check['message']}")


def _dumps(value) -> str:
    return jsonlib.dumps(value, indent=2)
