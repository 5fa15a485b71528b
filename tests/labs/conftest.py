"""Fixtures for the labs app: the real course and lab catalog imported, and a student's client."""

from pathlib import Path

import pytest
from django.conf import settings

from courses.importing import import_course_dir
from labs.catalog import load_catalog
from labs.models import Lab
from labs.services import lab_import


@pytest.fixture
def catalog(db):
    """The real course and every lab of labs/catalog, imported."""
    import_course_dir(Path(settings.COURSE_CONTENT_DIR) / "serverless")
    for spec in load_catalog():
        lab_import(spec=spec)
    return Lab.objects.all()


@pytest.fixture
def squared(catalog) -> Lab:
    return Lab.objects.get(slug="squared-number")


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client
