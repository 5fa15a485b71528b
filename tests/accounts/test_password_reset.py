"""'Forgot password?': Django's reset flow with the site's pages. The e-mailed link sets a new password once;
an unknown address gets the same answer and no mail; e-mail goes to the terminal unless EMAIL_HOST is set."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail

from accounts.services import user_create

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ada(db) -> User:
    return user_create(username="ada", password="old-pass-4821", email="ada@example.org")


def test_the_login_page_links_to_the_reset_form(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password/reset/">Forgot password?</a>' in page
    form = client.get("/accounts/password/reset/")
    assert form.status_code == 200 and "Forgot your password?" in form.content.decode()


def test_the_emailed_link_sets_a_new_password_once(client, ada):
    response = client.post("/accounts/password/reset/", {"email": "ada@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode() and "3 days" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"] and message.subject == "Reset your Serverless Learning password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)  # Django swaps the token for a session and redirects to set-password
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": "n3w-Pass-7731", "new_password2": "other-7731"})
    assert "didn’t match" in mismatch.content.decode()
    done = client.post(
        set_url, {"new_password1": "n3w-Pass-7731", "new_password2": "n3w-Pass-7731"}, follow=True
    )
    assert "Your new password is set" in done.content.decode()

    ada.refresh_from_db()
    assert ada.check_password("n3w-Pass-7731") and not ada.check_password("old-pass-4821")
    assert client.login(username="ada", password="n3w-Pass-7731")
    client.logout()
    again = client.get(link, follow=True)
    assert "This reset link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, ada):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_a_malformed_address_is_refused_on_the_field(client):
    response = client.post("/accounts/password/reset/", {"email": "not-an-address"})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()


def settings_in(module: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    clean.update(
        REDIS_URL="redis://127.0.0.1:6379/14", SECRET_KEY="a-long-random-production-key-" + "k3Y9" * 8
    )
    clean.update(env)
    code = f"import json, {module} as s; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS]))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("module", "env", "expected"),
    [
        ("config.settings.local", {}, ["django.core.mail.backends.console.EmailBackend", "", 587, True]),
        (
            "config.settings.local",
            {"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "465", "EMAIL_USE_SSL": "1"},
            ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.org", 465, False],
        ),
        (
            "config.settings.production",
            {},
            ["django.core.mail.backends.smtp.EmailBackend", "localhost", 587, True],
        ),
    ],
)
def test_email_goes_to_the_terminal_unless_smtp_is_configured(module, env, expected):
    result = settings_in(module, **env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_tls_and_ssl_together_are_refused_with_a_clear_message():
    result = settings_in("config.settings.local", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0 and "EMAIL_USE_TLS and EMAIL_USE_SSL are both on" in result.stderr
