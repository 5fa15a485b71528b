"""A graded Step Functions submission read in a real browser, at desktop and phone widths: the trace opens
with the student's part (the grader's set-up folded), executions are named by the check that started them,
no record's internal name shows, and the submitted file is highlighted. Screenshots go to test-artifacts/."""

import pytest

from labs import services
from labs.grading import CATALOG_DIR
from labs.models import Submission
from tests.browser.test_lab_flow import live_server_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOLUTION = (CATALOG_DIR / "order-workflow" / "solution" / "order-workflow.json").read_text()


@pytest.mark.parametrize(("width", "height", "label"), [(1400, 1000, "desk"), (390, 844, "phone")])
def test_a_student_reads_a_graded_workflow(
    live_server, browser, student, catalog, artifacts, width, height, label
):
    lab = catalog.get(slug="order-workflow")
    submission = Submission.objects.create(
        user=student, lab=lab, files={"order-workflow.json": SOLUTION}, kind=Submission.Kind.RUN
    )
    services.submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == "graded" and submission.score == submission.max_score

    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.context.add_cookies(live_server_login(live_server, student))
    page.goto(f"{live_server.url}{submission.get_absolute_url()}")
    summaries = page.locator("details.execution > summary").all_inner_texts()
    assert summaries[0].startswith("A good order is reserved, charged, shipped")
    assert any(text.startswith("A flaky payment is retried") for text in summaries)
    fold = page.locator("details.setup-trace")
    assert fold.get_attribute("open") is None and "Set-up by the grader (" in fold.inner_text()
    trace = page.inner_text("ol.timeline[aria-label='Event trace']")
    assert trace.startswith("Check: A good order is reserved")
    assert "sfn_execution_started" not in trace and "execution_arn=" not in trace
    assert "Step Functions started execution" in trace
    assert page.locator(".submitted-file .highlight span.s2").count() > 0  # JSON strings coloured
    page.locator("ol.timeline[aria-label='Event trace']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"lab-result-trace-{label}.png"), full_page=False)
    page.locator(".submitted-file").first.screenshot(path=str(artifacts / f"lab-result-file-{label}.png"))
