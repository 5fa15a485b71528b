"""Tests: fast password hashing, in-memory e-mail; the database comes from DATABASE_URL like everywhere else."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = False
SECRET_KEY = SECRET_KEY or "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEMO_USERS = False
LTI_ALLOW_HTTP = True  # the test LMS listens on http://127.0.0.1

# The SQLite test database is a file, so that a Celery worker process started by an integration test
# (tests/labs/test_lab_worker.py) reads and writes the same rows as the test.
from .base import DATABASES, VAR_DIR  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
