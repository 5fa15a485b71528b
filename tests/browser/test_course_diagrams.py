"""Every diagram in the shipped course draws in Chromium (Mermaid reports syntax errors as an error SVG)."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course, Lesson
from courses.services import enrollment_create
from tests.helpers import CONTENT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_lesson_diagram_renders(live_server, browser, student, artifacts):
    import_course_dir(CONTENT_DIR)
    enrollment_create(user=student, course=Course.objects.get(slug="serverless"))
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    checked = 0
    problems = []
    for lesson in Lesson.objects.filter(course__slug="serverless", is_published=True).select_related(
        "course"
    ):
        if "```mermaid" not in lesson.body:
            continue
        page.goto(live_server.url + lesson.get_absolute_url())
        expected = lesson.body.count("```mermaid")
        try:
            page.wait_for_function(
                f"() => document.querySelectorAll('pre.mermaid[data-processed]').length === {expected}",
                timeout=15000,
            )
        except Exception:  # noqa: BLE001 (reported below with the lesson's name)
            problems.append(f"{lesson.slug}: diagrams not processed")
            continue
        text = page.inner_text(".lesson-body")
        if "Syntax error" in text or page.locator(".lesson-body pre.mermaid svg").count() != expected:
            problems.append(f"{lesson.slug}: a diagram did not draw")
        checked += 1
    page.screenshot(path=str(artifacts / "lesson-last-diagram.png"), full_page=True)
    context.close()
    assert checked >= 5
    assert problems == []
