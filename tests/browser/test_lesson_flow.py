"""A student logs in, opens the course and a lesson, sees highlighted code and a drawn diagram, marks the
lesson complete and watches the progress bar move, without a page reload."""

import pytest

from courses.importing import import_course_dir
from courses.models import LessonProgress
from courses.services import enrollment_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_student_reads_a_lesson_and_marks_it_complete(live_server, browser, student, content_dir, artifacts):
    import_course_dir(content_dir)
    from courses.models import Course

    enrollment_create(user=student, course=Course.objects.get(slug="demo"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/courses/demo/")
    assert "/accounts/login/" not in page.url  # the course page is public
    page.goto(f"{live_server.url}/accounts/login/?next=/courses/demo/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/courses/demo/")
    assert page.locator("#course-progress").inner_text().startswith("Course progress: 0 of 3")

    page.click("text=Introduction")
    page.wait_for_url("**/courses/demo/intro/")
    keyword = page.locator(".lesson-body .highlight span.k").first
    assert keyword.inner_text() == "def"
    assert keyword.evaluate("el => getComputedStyle(el).color") != "rgb(27, 31, 36)"  # styled, not plain ink

    # Deep dive has a diagram: mermaid replaces the text with an SVG.
    page.click("text=Deep dive")
    page.wait_for_url("**/courses/demo/deep/")
    page.wait_for_selector(".lesson-body pre.mermaid svg", timeout=15000)
    page.screenshot(path=str(artifacts / "lesson-diagram.png"), full_page=True)

    marker = page.evaluate("() => (window.__noReload = 'still-here')")
    assert marker == "still-here"
    bar = page.locator("#course-progress .progress")
    assert bar.get_attribute("aria-valuenow") == "0"
    page.click("#completion button")
    page.wait_for_selector("text=You completed this lesson")
    assert page.locator("#course-progress .progress").get_attribute("aria-valuenow") == "33"
    assert page.locator("#lesson-nav li.current.done").count() == 1
    assert page.evaluate("() => window.__noReload") == "still-here"  # htmx swapped in place, no reload
    page.screenshot(path=str(artifacts / "lesson-complete.png"), full_page=True)
    assert LessonProgress.objects.filter(user=student, lesson__slug="deep").exists()
    assert errors == []
