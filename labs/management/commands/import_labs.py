from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from labs.grading import CATALOG_DIR, LabError, load_catalog
from labs.models import Lab
from labs.services import lab_import


class Command(BaseCommand):
    help = "Import the lab catalog (labs/content/<slug>/). Idempotent; all-or-nothing; validates every lab."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="The catalog folder (default: LABS_CATALOG_DIR).")

    def handle(self, *args, path=None, **options):
        root = Path(path or getattr(settings, "LABS_CATALOG_DIR", CATALOG_DIR))
        try:
            specs = load_catalog(root)
            with transaction.atomic():
                changed = [spec.slug for spec in specs if lab_import(spec=spec)[1]]
                gone = Lab.objects.exclude(slug__in=[spec.slug for spec in specs]).filter(is_published=True)
                unpublished = list(gone.values_list("slug", flat=True))
                gone.update(is_published=False)
                Lab.objects.filter(slug__in=[spec.slug for spec in specs]).update(is_published=True)
        except LabError as error:
            raise CommandError(f"Import stopped, nothing was changed. {error}") from error
        if changed:
            self.stdout.write(f"Imported {len(changed)}: {', '.join(changed)}")
        if unpublished:
            self.stdout.write(f"Unpublished {len(unpublished)}: {', '.join(unpublished)}")
        self.stdout.write(self.style.SUCCESS(f"Labs up to date ({len(specs) - len(changed)} unchanged)."))
