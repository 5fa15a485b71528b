"""A student opens a lab, edits the handler in the editor, submits, watches the status change without a
reload, and sees the checks, the logs and the event trace; a real Celery worker (Redis broker) grades it."""

import pytest

from labs import services
from labs.models import Submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXED_HANDLER = """import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class InvalidInput(Exception):
    pass


def lambda_handler(event, context):
    if "number" not in event:
        raise InvalidInput("expected an event like {'number': 5}")
    number = event["number"]
    logger.info("squaring %s", number)
    return {"number": number, "squared": number * number}
"""


def test_a_student_edits_submits_and_reads_the_result(
    live_server, browser, student, squared, celery_worker_factory, artifacts, monkeypatch
):
    start, send = celery_worker_factory
    start()
    monkeypatch.setattr(services, "_enqueue", send)  # the web process enqueues on the worker's queue
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.click("header >> text=Labs")
    page.click("text=Squared number: your first handler")
    page.wait_for_selector(".CodeMirror")  # the real editor replaced the textarea
    assert "Returns the number and its square" in page.inner_text(".lab-instructions")

    # Type into CodeMirror as a student would: select all, then type the new handler.
    page.click(".CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", FIXED_HANDLER)
    page.wait_for_selector("#draft-status >> text=Draft saved", timeout=10000)

    page.click("button:has-text('Submit')")
    page.wait_for_selector("#submission.status-queued, #submission.status-running, #submission.status-graded")
    page.screenshot(path=str(artifacts / "lab-submitted.png"))
    page.wait_for_selector("#submission.status-graded", timeout=60000)  # no reload: htmx polls
    result = page.inner_text("#submission")
    page.screenshot(path=str(artifacts / "lab-graded.png"), full_page=True)

    submission = Submission.objects.get()
    assert submission.files["app.py"] == FIXED_HANDLER
    assert f"{submission.score}/10" in result
    assert "Returns the number and its square" in result
    assert "START RequestId:" in result and "REPORT RequestId:" in result
    assert "Event trace" in result and "cold start" in result
    # this handler lets text and booleans through: the after-deadline check fails, unseen by the student
    assert submission.score == 8
    assert "Fails with InvalidInput for text" not in result
    assert "2 more checks ran: 1 passed." in result
    page.reload()
    assert "Your submissions" in page.inner_text("main")
