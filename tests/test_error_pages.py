"""The site's own error pages with DEBUG off (as `make run` serves), and a 403 or 404 logged on one line: a
student opening an instructor page is the site working, not a crash, so no traceback goes to the terminal."""

import logging
import re

import pytest
from django.urls import Resolver404, resolve

from config.launch import banner

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (a string to format, nothing binds)

pytestmark = pytest.mark.django_db


def test_a_403_is_the_site_page_and_is_logged_without_a_traceback(client, student, caplog):
    client.force_login(student)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/quizzes/author/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can't open this page" in page and 'class="site-header"' in page
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Forbidden (Permission denied): /quizzes/author/"]
    assert records[0].exc_info is None and "Traceback" not in caplog.text


def test_a_404_is_the_site_page(client, caplog):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert (
        "<h1>Page not found</h1>" in response.content.decode() and "URLconf" not in response.content.decode()
    )
    assert "Traceback" not in caplog.text


def test_a_foreign_host_gets_the_site_400_page(client, caplog):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()


def test_a_500_is_still_logged_with_its_traceback(caplog):
    from config.log_filters import ClientErrorWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
    record.status_code = 500
    assert ClientErrorWithoutTraceback().filter(record) and record.exc_info is not None


def test_every_address_the_start_up_summary_names_exists(content_dir):
    text = banner("serve", ALL_INTERFACES, "8000", [])
    paths = re.findall(r"http://127\.0\.0\.1:8000(/[^\s]*)", text)
    assert len(paths) >= 6
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"the start-up summary names {path}, which is not a page")
