"""A student finishes a graded quiz in Chromium at desktop and phone widths: "Finish attempt…" opens the
summary (one question answered, one not), "Return to attempt" goes back to answer the other, and only
"Submit all and finish" submits (issue 18)."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from courses.services import enrollment_create
from quizzes.models import Attempt, Quiz
from quizzes.services import gift_import
from tests.quizzes.conftest import CHECK_GIFT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("name", "viewport"), [("desk", (1280, 900)), ("phone", (390, 844))])
def test_summary_before_submit(live_server, browser, student, content_dir, artifacts, name, viewport):
    import_course_dir(content_dir)
    course = Course.objects.get(slug="demo")
    quiz = Quiz.objects.create(course=course, slug="final", title="Final quiz", kind=Quiz.Kind.QUIZ)
    gift_import(course=course, text=CHECK_GIFT, quiz=quiz)
    enrollment_create(user=student, course=course)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/quizzes/course/demo/final/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("button[type=submit]")
    page.click("text=Start attempt")
    page.wait_for_url("**/attempt/*/")

    page.locator("label.choice", has_text="Asynchronously").click()
    page.locator(".saved").first.wait_for()
    page.click("text=Finish attempt…")
    page.wait_for_url("**/summary/")
    rows = page.locator("table.attempt-summary tbody tr")
    assert rows.count() == 2
    statuses = [
        text.strip() for text in page.locator("table.attempt-summary tbody td:nth-child(2)").all_inner_texts()
    ]
    assert sorted(statuses) == ["Answer saved", "Not yet answered"]
    assert "1 of 2 questions not answered." in page.locator("#summary-count").inner_text()
    page.screenshot(path=str(artifacts / f"quiz-summary-{name}.png"), full_page=True)
    assert Attempt.objects.get(user=student).is_open

    page.click("text=Return to attempt")
    page.wait_for_url("**/attempt/*/")
    page.fill("input[inputmode=decimal]", "10240")
    page.locator("input[inputmode=decimal]").dispatch_event("change")
    page.locator(".saved").nth(1).wait_for()
    page.click("text=Finish attempt…")
    assert "All 2 questions answered." in page.locator("#summary-count").inner_text()
    page.click("text=Submit all and finish")
    page.wait_for_url("**/review/")
    assert "100%" in page.locator("h1").inner_text()
    assert errors == []
