"""Deadlines, the course page as the hub, and the gradebook, in Chromium at desktop and phone widths: the
instructor sets a lab's deadline on the live class view; the student sees it with their own status and
best score on the course page, the labs list and the lab page; the instructor reads the course total and
downloads the CSV for Moodle. Screenshots go to test-artifacts/."""

import csv
import io

import pytest

from courses.services import enrollment_create
from tests.labs.helpers import graded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


def _log_in(browser, base: str, username: str, password: str, viewport: dict):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_deadline_hub_and_gradebook(live_server, browser, student, instructor, squared, artifacts, width):
    base, viewport = live_server.url, WIDTHS[width]
    course = squared.lesson.course
    enrollment_create(user=student, course=course)
    graded(student, squared, failing={"returns_square"})  # 7/10

    teacher = _log_in(browser, base, "teach", "teach-pass-123", viewport)
    teacher.goto(f"{base}/labs/{squared.slug}/instructor/live/")
    teacher.fill("#id_deadline", "2030-01-15T17:00")
    teacher.click("text=Set deadline")
    teacher.wait_for_selector("text=is due Jan 15, 17:00 UTC")
    assert teacher.locator(".tile dt").all_inner_texts()[-2:] == ["Median score", "Full marks"]
    teacher.screenshot(path=str(artifacts / f"instructor-deadline-{width}.png"), full_page=True)

    page = _log_in(browser, base, "stu", "stu-pass-123", viewport)
    page.goto(f"{base}{course.get_absolute_url()}")
    row = page.locator(".course-assessments tr", has=page.locator("a", has_text=squared.title))
    assert "Due Jan 15, 17:00 UTC" in row.inner_text() and "graded · best 7/10" in row.inner_text()
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"course-hub-{width}.png"), full_page=True)
    page.goto(f"{base}/labs/")
    card = page.locator(".lab-cards li", has=page.locator("h2", has_text=squared.title))
    assert "Due Jan 15, 17:00 UTC" in card.inner_text() and "graded · best 7/10" in card.inner_text()
    page.screenshot(path=str(artifacts / f"labs-list-status-{width}.png"))
    page.goto(f"{base}{squared.get_absolute_url()}")
    assert "Due Jan 15, 17:00 UTC" in page.inner_text(".lab-meta")

    teacher.goto(f"{base}/labs/instructor/gradebook/{course.slug}/")
    student_row = teacher.locator("table.gradebook tbody tr", has=teacher.locator("th", has_text="stu"))
    assert student_row.locator("td.total").inner_text().startswith("7 ")
    # the student column stays in view when the table scrolls sideways
    teacher.locator(".table-scroll").evaluate("element => element.scrollLeft = element.scrollWidth")
    sticky = student_row.locator("th").bounding_box()
    assert sticky is not None and sticky["x"] < viewport["width"] / 2
    student_row.scroll_into_view_if_needed()
    teacher.screenshot(path=str(artifacts / f"gradebook-total-{width}.png"))
    with teacher.expect_download() as download_info:
        teacher.click("text=CSV for Moodle")
    table = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8"))))
    assert table[0][:2] == ["Email address", "Username"]
    column = table[0].index(f"{squared.title} (lab, out of 10)")
    assert [row[1] for row in table[1:]] == ["stu"] and table[1][column] == "7"


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_student_compares_two_submissions(live_server, browser, student, squared, artifacts, width):
    base = live_server.url
    graded(student, squared, failing={"returns_square"}, files={"app.py": "def f():\n    return 1\n"})
    graded(student, squared, files={"app.py": "def f():\n    return 2\n"})
    page = _log_in(browser, base, "stu", "stu-pass-123", WIDTHS[width])
    page.goto(f"{base}{squared.get_absolute_url()}")
    page.click("text=Compare the two chosen submissions")  # the newest two are chosen to start with
    page.wait_for_url("**/submissions/compare/**")
    assert page.locator("tr.diff-removed").inner_text().endswith("return 1")
    assert page.locator("tr.diff-added").inner_text().endswith("return 2")
    # the highlight is there to see, not only in the markup
    colour = page.locator("tr.diff-added").evaluate("row => getComputedStyle(row).backgroundColor")
    assert colour == "rgb(218, 251, 225)"
    page.screenshot(path=str(artifacts / f"submission-diff-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_instructor_finds_who_is_stuck(live_server, browser, instructor, squared, artifacts, width):
    from tests.labs.helpers import make_student

    base = live_server.url
    ann = make_student("ann")
    stuck = graded(ann, squared, failing={"returns_square"}, message="Expected {'square': 25}")
    graded(make_student("bob"), squared)
    page = _log_in(browser, base, "teach", "teach-pass-123", WIDTHS[width])
    page.goto(f"{base}/labs/{squared.slug}/instructor/live/")
    page.click("a:has([data-check=returns_square])")
    page.wait_for_url("**/instructor/live/checks/returns_square/")
    rows = page.locator("table.stuck tbody tr")
    assert rows.count() == 1 and "ann" in rows.inner_text() and "Expected {'square': 25}" in rows.inner_text()
    page.screenshot(path=str(artifacts / f"who-is-stuck-{width}.png"), full_page=True)
    rows.locator("td a").first.click()
    page.wait_for_url(f"**/instructor/submissions/{stuck.pk}/")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_instructor_comments_and_adjusts_and_the_student_sees_it(
    live_server, browser, student, instructor, squared, artifacts, width
):
    base = live_server.url
    submission = graded(student, squared, failing={"returns_square"})  # 7/10
    teacher = _log_in(browser, base, "teach", "teach-pass-123", WIDTHS[width])
    teacher.goto(f"{base}/labs/{squared.slug}/instructor/submissions/{submission.pk}/")
    teacher.fill("#id_adjusted_score", "9")
    teacher.fill("#id_comment", "Right idea; the rounding is a detail.")
    teacher.click("text=Save review")
    teacher.wait_for_selector("text=Review saved.")
    assert "Last changed by teach" in teacher.inner_text(".review-form")
    teacher.screenshot(path=str(artifacts / f"instructor-review-{width}.png"), full_page=True)

    page = _log_in(browser, base, "stu", "stu-pass-123", WIDTHS[width])
    page.goto(f"{base}{submission.get_absolute_url()}")
    assert "Right idea; the rounding is a detail." in page.inner_text(".instructor-comment")
    scores = page.locator("p.score").all_inner_texts()
    assert "9/10" in scores[0] and "automatic score 7/10" in scores[0]
    page.screenshot(path=str(artifacts / f"student-sees-review-{width}.png"), full_page=False)
    page.goto(f"{base}/labs/")
    card = page.locator(".lab-cards li", has=page.locator("h2", has_text=squared.title))
    assert "graded · best 9/10" in card.inner_text()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_submissions_list_follows_a_regrade_until_it_is_graded(
    live_server, browser, student, instructor, squared, artifacts, width, monkeypatch
):
    from playwright.sync_api import expect

    from labs import jobs
    from labs.models import Submission

    monkeypatch.setattr(jobs, "send", lambda task, job_id: None)  # the test plays the worker below
    submission = graded(student, squared, failing={"returns_square"})
    page = _log_in(browser, base := live_server.url, "teach", "teach-pass-123", WIDTHS[width])
    page.goto(f"{base}/labs/{squared.slug}/instructor/submissions/")
    page.click("#submission-table button:has-text('Re-grade')")
    row = page.locator("#submission-table tbody tr").first
    expect(row.locator(".badge.status")).to_have_text("Queued")
    assert page.locator("#submission-table[hx-trigger]").count() == 1  # polling while it waits
    page.screenshot(path=str(artifacts / f"submissions-regrade-queued-{width}.png"))
    Submission.objects.filter(pk=submission.pk).update(status="graded", score=10)  # the worker's answer
    # no reload: the table asks for itself again every 2 s
    expect(row.locator(".badge.status")).to_have_text("Graded", timeout=10_000)
    assert "10/10" in row.inner_text()
    assert page.locator("#submission-table[hx-trigger]").count() == 0  # and then it stopped
    page.screenshot(path=str(artifacts / f"submissions-regrade-graded-{width}.png"))
