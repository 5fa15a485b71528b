"""A student takes an SAA-C03 practice exam in Chromium: picks the short form, sees the server's clock,
answers (autosaved), loses the page and comes back to the same exam with the answers in place, submits, and
reads the review: estimated scaled score, domains, explanations and links to the lessons."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from courses.services import enrollment_create
from quizzes.models import Attempt
from tests.practice.conftest import pool_gift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_exam_from_start_to_review(live_server, browser, student, content_dir, artifacts):
    (content_dir / "exams").mkdir()
    (content_dir / "exams" / "saa-c03-pool.gift").write_text(pool_gift(), encoding="utf-8")
    import_course_dir(content_dir)
    enrollment_create(user=student, course=Course.objects.get(slug="demo"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/courses/demo/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/courses/demo/")

    page.click("text=Practice exams")
    page.wait_for_url("**/practice/demo/exams/saa-c03-pool/")
    assert "an estimate, not AWS" in page.content()
    page.check("input[name=size][value='15']")
    page.click("text=Start the exam")
    page.wait_for_url("**/practice/exam/*/")
    timer = page.locator("#time-left")
    assert timer.inner_text().startswith(("29 min", "30 min"))
    assert page.locator("form.attempt-question").count() == 15

    # Answer the first three questions with their first choice; each says "Saved" once the server has it.
    for number in (1, 2, 3):
        form = page.locator(f"#question-{number}")
        form.locator("input[name=response]").first.check()
        form.locator(".saved").wait_for()
    attempt = Attempt.objects.get(user=student)
    assert attempt.answers.count() == 3

    # The connection drops: the student opens the exam page again and finds it where it stopped.
    page.goto(f"{live_server.url}/practice/demo/exams/saa-c03-pool/")
    page.click("text=Resume exam")
    page.wait_for_url(f"**/practice/exam/{attempt.id}/")
    assert "Resumed: your 3 saved answers" in page.content()
    assert page.locator("#question-1 input[name=response]:checked").count() == 1
    assert page.locator("#question-4 input[name=response]:checked").count() == 0
    page.screenshot(path=str(artifacts / "practice-exam.png"), full_page=True)

    page.click("text=Submit the exam")
    page.wait_for_url(f"**/practice/exam/{attempt.id}/review/")
    assert page.locator("#scaled-score").inner_text().isdigit()
    assert "Design Secure Architectures" in page.content()
    assert page.locator(".review-item").count() == 15
    assert page.locator(".review-item .explanation").first.inner_text().startswith("Explanation")
    page.locator(".review-item a[href='/courses/demo/intro/']").first.click()
    page.wait_for_url("**/courses/demo/intro/")
    assert errors == []
