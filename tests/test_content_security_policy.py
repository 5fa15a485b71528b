"""The Content-Security-Policy (issue 17 item 3): every settings module sends it, pages carry it, and no template holds what it would block (inline handlers, scripts without a nonce, htmx's eval'd
trigger filters). The browser proof is tests/browser/test_content_security_policy.py."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.helpers import csp_directives

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


@pytest.mark.parametrize("module", ["local", "test", "production"])
def test_every_settings_module_sends_the_policy(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "DJANGO_SETTINGS"))}
    env.update(
        {"REDIS_URL": "redis://127.0.0.1:6379/14", "SECRET_KEY": "a-long-random-production-key-" + "k3Y9" * 8}
    )
    code = (
        f"import json, config.settings.{module} as s; "
        "print(json.dumps([s.CONTENT_SECURITY_POLICY['DIRECTIVES'], s.MIDDLEWARE], default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    directives, middleware = json.loads(done.stdout)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "csp.constants.NONCE"]
    assert directives["object-src"] == ["'none'"]
    assert "csp.middleware.CSPMiddleware" in middleware
    # LtiFrameMiddleware runs first on the way out, so its frame-ancestors lands in django-csp's one header
    assert middleware.index("csp.middleware.CSPMiddleware") < middleware.index(
        "lti.middleware.LtiFrameMiddleware"
    )


@pytest.mark.django_db
def test_pages_carry_the_policy(client):
    directives = csp_directives(client.get(reverse("login")))
    assert directives["default-src"] == "default-src 'self'"
    # a page without an inline script gets no nonce (django-csp adds one only when a template asks for it;
    # the LTI registration page does: tests/lti/test_lti_registration.py)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"


def template_files():
    for folder in TEMPLATE_DIRS:
        yield from folder.rglob("*.html")


BLOCKED = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I), "inline <script> without a nonce"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "inline event handler (on...=)"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (evaluated with eval)"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "htmx trigger filter [..] (evaluated with eval)"),
    (re.compile(r"href=[\"']javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_what_the_policy_blocks():
    found = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        for pattern, what in BLOCKED:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []
    assert len(list(template_files())) > 50  # the scan saw the templates


def test_the_scan_finds_each_blocked_pattern():
    samples = [
        "<script>alert(1)</script>",
        '<form onsubmit="return confirm()">',
        '<div hx-on:click="x()">',
        '<div hx-trigger="every 5s [document.hidden]">',
        '<a href="javascript:void(0)">',
    ]
    for sample, (pattern, _) in zip(samples, BLOCKED, strict=True):
        assert pattern.search(sample), sample
    assert not BLOCKED[0][0].search('<script nonce="{{ request.csp_nonce }}">x()</script>')
    assert not BLOCKED[0][0].search("<script src=\"{% static 'js/site.js' %}\" defer></script>")
