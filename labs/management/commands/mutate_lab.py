import datetime
import json as jsonlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.grading import CATALOG_DIR, LabError, grade, load_lab
from labs.grading.mutation import DEFAULT_COUNT, DEFAULT_SEED, MutationReport, mutate_lab
from labs.services import lab_record_mutation_score


class Command(BaseCommand):
    help = (
        "Grade mutants of lab SLUG's solution (wrong code) and report which the grader kills, which survive "
        "(with their diff), which the author marked equivalent in lab.toml, and which crashed."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="Mutants to grade (0: all).")
        parser.add_argument(
            "--budget", type=float, default=None, help="Seconds one grading may take (default: the lab's)."
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--record", action="store_true", help="Store the score and today's date on the lab's row."
        )

    def handle(self, *args, slug, seed, count, budget, json=False, record=False, **options):
        root = Path(getattr(settings, "LABS_CATALOG_DIR", CATALOG_DIR))
        if not (root / slug / "lab.toml").exists():
            raise CommandError(f"No lab {slug!r} in {root}")
        try:
            lab = load_lab(root / slug)
            progress = None if json else self._progress
            report = mutate_lab(
                lab, grade, seed=seed, count=count or None, budget_s=budget, on_result=progress
            )
        except LabError as error:
            raise CommandError(str(error)) from error
        if record:
            try:
                lab_record_mutation_score(
                    slug=slug, report=report, content_hash=lab.content_hash, measured_on=datetime.date.today()
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
        if json:
            self.stdout.write(jsonlib.dumps(report.as_dict(), indent=2))
            return
        self._summary(report)

    def _progress(self, result: dict) -> None:
        self.stdout.write(f"  {result['status']:<10} {result['id']}")

    def _summary(self, report: MutationReport) -> None:
        counts = report.as_dict()
        self.stdout.write(
            f"{report.slug}: {counts['mutants']} of {counts['candidates']} mutants (seed {report.seed}): "
            f"{counts['killed']} killed, {counts['survived']} survived, {counts['equivalent']} equivalent, "
            f"{counts['crashed']} crashed; mutation score {report.score:.0%}"
        )
        for result in report.results:
            if result["status"] in ("survived", "crashed"):
                self.stdout.write(f"\n{result['status'].upper()}: {result['id']}")
                self.stdout.write(f"  {result.get('message', '')}")
                self.stdout.write(result["diff"])
