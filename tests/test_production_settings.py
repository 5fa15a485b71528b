"""Production settings, imported in a fresh interpreter per environment: a development, empty or short
SECRET_KEY is refused with a clear message; HSTS is on by default; X-Forwarded-Proto is trusted only on request."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "a-long-random-production-key-" + "k3Y9" * 8
PRINT_SETTINGS = (
    "import json, config.settings.production as s; "
    "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]))"
)


def load(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "SECURE_", "TRUST_"))}
    clean.update({"REDIS_URL": "redis://127.0.0.1:6379/14", "SECRET_KEY": GOOD_KEY}, **env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "SECRET_KEY must be set in production"),
        ("dev-only-insecure-key-never-use-in-production", "SECRET_KEY is the development key"),
        ("django-insecure-" + "x1y2z3" * 10, "SECRET_KEY is the development key"),
        ("short-key-123", "SECRET_KEY is too short"),
        ("a" * 80, "SECRET_KEY is too short"),
    ],
)
def test_a_weak_secret_key_is_refused(key, says):
    result = load(SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr


def test_defaults_send_hsts_and_do_not_trust_the_proxy_header():
    result = load()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [31_536_000, True, None]


def test_hsts_and_the_proxy_header_follow_the_environment():
    result = load(SECURE_HSTS_SECONDS="3600", SECURE_HSTS_INCLUDE_SUBDOMAINS="0", TRUST_PROXY_SSL_HEADER="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [3600, False, ["HTTP_X_FORWARDED_PROTO", "https"]]
