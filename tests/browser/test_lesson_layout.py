"""On a phone the lesson's title and text come before the course outline, which is collapsed into one
"Course contents" line; on a desktop the outline stays open in the left column."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from courses.services import enrollment_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_lesson(browser, base, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{base}/accounts/login/?next=/courses/demo/second/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url("**/courses/demo/second/")
    return page


def top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def test_phone_shows_the_lesson_first_and_the_outline_collapsed(
    live_server, browser, student, content_dir, artifacts
):
    import_course_dir(content_dir)
    enrollment_create(user=student, course=Course.objects.get(slug="demo"))
    page = open_lesson(browser, live_server.url, {"width": 390, "height": 844})
    assert top(page, "#lesson-title") < 844  # the title is on the first screen
    assert top(page, ".lesson-body") < top(page, "#course-contents")
    assert not page.locator(".outline-toggle").evaluate("el => el.open")
    assert not page.is_visible("#lesson-nav")
    page.screenshot(path=str(artifacts / "lesson-phone.png"), full_page=True)
    page.click("text=Course contents ↓")
    page.wait_for_selector("#lesson-nav", state="visible")
    assert page.locator("#lesson-nav a[aria-current=page]").inner_text() == "Second steps"
    page.screenshot(path=str(artifacts / "lesson-phone-outline-open.png"))


def test_desktop_keeps_the_outline_open_on_the_left(live_server, browser, student, content_dir, artifacts):
    import_course_dir(content_dir)
    enrollment_create(user=student, course=Course.objects.get(slug="demo"))
    page = open_lesson(browser, live_server.url, {"width": 1280, "height": 900})
    assert page.is_visible("#lesson-nav") and not page.is_visible(".outline-toggle > summary")
    assert not page.is_visible(".outline-jump")
    nav, title = page.locator("#lesson-nav").bounding_box(), page.locator("#lesson-title").bounding_box()
    assert nav["x"] + nav["width"] <= title["x"] and abs(nav["y"] - title["y"]) < 200
    page.screenshot(path=str(artifacts / "lesson-desktop.png"))
