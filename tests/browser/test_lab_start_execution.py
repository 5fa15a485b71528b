"""The Start execution box of the Step Functions lab in a real browser, at desktop and phone widths: the
student pastes a definition, writes an input, starts the execution (run by a real Celery worker), and reads
its status, error and graph drawn by Mermaid. Screenshots go to test-artifacts/."""

import json

import pytest

from labs import jobs
from labs.grading import CATALOG_DIR
from labs.models import PlaygroundRun
from tests.browser.test_lab_flow import live_server_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOLUTION = (CATALOG_DIR / "order-workflow" / "solution" / "order-workflow.json").read_text()
DOWN = {
    "order_id": "o-7",
    "items": [{"sku": "BK-1", "qty": 1}],
    "total": 9,
    "card": "tok_down",
    "email": "a@b.c",
}


@pytest.mark.parametrize(("width", "height", "label"), [(1400, 1000, "desk"), (390, 844, "phone")])
def test_a_student_starts_an_execution_of_the_draft(
    live_server,
    browser,
    student,
    catalog,
    celery_worker_factory,
    artifacts,
    monkeypatch,
    width,
    height,
    label,
):
    start, send = celery_worker_factory
    start()
    monkeypatch.setattr(jobs, "send", lambda task, job_id: send(job_id, task=task))
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.context.add_cookies(live_server_login(live_server, student))
    page.goto(f"{live_server.url}/labs/order-workflow/")
    page.wait_for_selector(".CodeMirror")
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", SOLUTION)
    assert "tok_ok" in page.input_value("#playground-event-text")  # the lab's starting input

    page.fill("#playground-event-text", json.dumps(DOWN, indent=2))
    page.click("button:has-text('Start execution')")
    page.wait_for_selector("#playground-run.status-done", timeout=60000)
    page.wait_for_selector("#playground-run figure.diagram svg", timeout=15000)  # Mermaid drew the graph
    # the draft saved 1.5 s after typing, while the execution ran, did not start a second one (htmx 2 sends a
    # form's own request to the last clicked button's formaction: the draft is no longer saved by the form)
    page.wait_for_selector("#draft-status >> text=Draft saved", timeout=10000)
    assert page.locator("[id=playground-run]").count() == 1
    assert PlaygroundRun.objects.count() == 1
    answer = page.inner_text("#playground-run")
    assert "FAILED" in answer and "PaymentFailed" in answer and "ChargePayment" in answer
    assert page.locator("#playground-run g.node.failed").count() >= 1
    page.locator("#playground-run").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"lab-start-execution-{label}.png"), full_page=False)

    # Clicking a state in the graph shows its input, output and error; the retries are on the Task.
    panel = page.locator("#sfn-p-3")  # ChargePayment, the graph's n3
    assert panel.is_hidden()
    page.locator("#playground-run figure.diagram g.node:has-text('ChargePayment')").click()
    panel.wait_for(state="visible")
    detail = panel.inner_text()
    assert "Ran 4 times (3 retries); failed with PaymentServiceUnavailable (4 times)." in detail
    assert "Input" in detail and "tok_down" in detail and "PaymentServiceUnavailable" in detail
    assert page.locator("button[aria-controls='sfn-p-3']").get_attribute("aria-expanded") == "true"
    panel.screenshot(path=str(artifacts / f"lab-execution-state-{label}.png"))
    # the same from the keyboard, through the list: another state replaces it
    page.locator("button[aria-controls='sfn-p-0']").focus()
    page.keyboard.press("Enter")
    page.locator("#sfn-p-0").wait_for(state="visible")
    assert panel.is_hidden()
    # the event history, as the console's table
    page.click("#playground-run details.sfn-history summary")
    table = page.inner_text("#playground-run details.sfn-history table")
    assert "ExecutionStarted" in table and "TaskFailed" in table and "retry 2" in table
    page.locator("#playground-run details.sfn-history").screenshot(
        path=str(artifacts / f"lab-execution-history-{label}.png")
    )

    # the input can be saved and picked again like a Lambda test event
    page.fill("#saved-event-name", "card-down")
    page.click("#saved-event-save")
    page.wait_for_selector("#playground-picker >> text=Saved as card-down.")
    page.reload()
    page.wait_for_selector(".CodeMirror")
    assert page.input_value("#playground-sample") == "last"  # the box holds the last execution's input
    assert "tok_down" in page.input_value("#playground-event-text")
