"""'Forgot password?' in a browser, at desktop and phone widths: from the login page's link to the e-mailed
link, a new password, and a log-in with it."""

import re

import pytest
from django.core import mail

from accounts.roles import STUDENTS
from accounts.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_forgot_password_from_login_to_a_new_password(live_server, browser, artifacts, width):
    user_create(username="ada", password="old-pass-4821", email="ada@example.org", role=STUDENTS)
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORTS[width]).new_page()
    page.goto(f"{base}/accounts/login/")
    page.click("text=Forgot password?")
    page.fill("#id_email", "ada@example.org")
    page.screenshot(path=str(artifacts / f"password-reset-form-{width}.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Check your e-mail')")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.wait_for_selector("h1:has-text('Choose a new password')")
    page.fill("#id_new_password1", "n3w-Pass-7731")
    page.fill("#id_new_password2", "n3w-Pass-7731")
    page.screenshot(path=str(artifacts / f"password-reset-new-{width}.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Your new password is set')")

    page.click("main a:has-text('Log in')")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "n3w-Pass-7731")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "ada" in page.inner_text("header")
