"""An instructor searches the question bank in Chromium at desktop and phone widths: typing filters the
results in place (htmx), a kind narrows them, the address keeps the filters, and the page works after a
reload (issue 18)."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from quizzes.services import gift_import
from tests.quizzes.test_bank_search import BANK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("name", "viewport"), [("desk", (1280, 900)), ("phone", (390, 844))])
def test_bank_search_as_you_type(live_server, browser, instructor, content_dir, artifacts, name, viewport):
    import_course_dir(content_dir)
    gift_import(course=Course.objects.get(slug="demo"), text=BANK)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/quizzes/author/demo/")
    page.fill("#id_username", "teach")
    page.fill("#id_password", "teach-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/quizzes/author/demo/")
    count = page.locator("#bank-count")
    assert count.inner_text().startswith("1–4 of 4 questions")

    page.locator("#bank-text").press_sequentially("timeout")
    page.wait_for_function("() => document.querySelector('#bank-count').innerText.startsWith('1–2 of 2')")
    assert "text=timeout" in page.url
    page.select_option("#bank-kind", "numeric")
    page.wait_for_function("() => document.querySelector('#bank-count').innerText.startsWith('1–1 of 1')")
    assert page.locator("#bank-results tbody tr").all_inner_texts()[0].startswith("Timeout")
    page.screenshot(path=str(artifacts / f"bank-search-{name}.png"), full_page=True)

    page.reload()
    assert page.locator("#bank-text").input_value() == "timeout"
    assert count.inner_text().startswith("1–1 of 1")
    page.click("text=Clear filters")
    page.wait_for_url("**/quizzes/author/demo/#bank-questions")
    assert count.inner_text().startswith("1–4 of 4")
    assert errors == []
