"""A student opens a lab, edits the handler in the editor, tests it with events in the playground, submits,
watches the status change without a reload, and sees the checks, the logs and the event trace drawn as a
sequence diagram; a real Celery worker (Redis broker) runs the tests and grades the submission. Then an
instructor finds that score in the gradebook and its CSV, reads the live class view and the student's whole
result (hidden checks included), and re-grades the submission on the same worker."""

import csv
import io
import re

import pytest

from labs import jobs
from labs.models import PlaygroundRun, Submission

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
    live_server, browser, student, instructor, squared, celery_worker_factory, artifacts, monkeypatch
):
    start, send = celery_worker_factory
    start()
    # the web process enqueues (gradings and test runs) on the worker's queue
    monkeypatch.setattr(jobs, "send", lambda task, job_id: send(job_id, task=task))
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

    # The playground: a sample event from the picker, then a hand-written one, run on the worker.
    page.select_option("#playground-sample", "s3-put")
    page.wait_for_function("() => document.querySelector('#playground-event-text').value.includes('aws:s3')")
    page.click("button:has-text('Test')")
    page.wait_for_selector("#playground-run.status-done", timeout=60000)
    s3_result = page.inner_text("#playground-run")
    assert "InvalidInput" in s3_result and "The function failed" in s3_result  # no "number" in an S3 event
    page.fill("#playground-event-text", '{"number": }')
    page.click("button:has-text('Test')")
    page.wait_for_selector("#playground-run.rejected")
    assert "not valid JSON: Expecting value at line 1, column 12" in page.inner_text("#playground-run")
    page.fill("#playground-event-text", '{"number": 12}')
    page.click("button:has-text('Test')")
    page.wait_for_selector("#playground-run.status-done", timeout=60000)
    page.wait_for_selector("#playground-run figure.diagram svg", timeout=15000)  # Mermaid drew the run
    tested = page.inner_text("#playground-run")
    assert "Succeeded" in tested and '"squared": 144' in tested
    assert "START RequestId:" in tested and "END RequestId:" in tested and "REPORT RequestId:" in tested
    # the page's Billed duration is the REPORT line's (init and duration rounded up together)
    billed = re.search(r"Billed Duration: (\d+) ms", tested).group(1)
    assert re.search(rf"Billed duration\s+{billed} ms", tested), tested
    drawn = page.inner_text("#playground-run figure.diagram")
    assert "Test event" in drawn and "λ squared" in drawn  # the caller and the function
    page.locator(".playground").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "lab-playground.png"), full_page=True)
    runs = PlaygroundRun.objects.order_by("pk")
    assert [run.status for run in runs] == ["done", "done"]  # the invalid event was never saved
    assert runs[1].event == {"number": 12} and runs[1].files["app.py"] == FIXED_HANDLER
    assert not Submission.objects.exists()  # tests are not attempts

    page.click("button:has-text('Submit')")
    page.wait_for_selector("#submission.status-queued, #submission.status-running, #submission.status-graded")
    # The status is scrolled into view: below the playground's output it would be off screen.
    page.wait_for_function(
        "() => { const r = document.querySelector('#submission').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        timeout=5000,
    )
    page.screenshot(path=str(artifacts / "lab-submitted.png"))
    page.wait_for_selector("#submission.status-graded", timeout=60000)  # no reload: htmx polls
    page.wait_for_selector("#submission figure.diagram svg", timeout=15000)  # the trace, drawn by Mermaid
    result = page.inner_text("#submission")
    page.locator("#submission h3:has-text('Event trace')").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "lab-graded.png"), full_page=True)
    page.locator("#submission figure.diagram").screenshot(path=str(artifacts / "lab-trace-diagram.png"))
    diagram = page.inner_text("#submission figure.diagram")
    assert "Grader" in diagram and "λ squared" in diagram and "Invoke (cold start)" in diagram
    assert page.locator("#submission ol.timeline li").count() >= 3  # the list stays as the text version

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

    an_instructor_reviews_the_submission(browser, live_server.url, submission, artifacts)


def an_instructor_reviews_the_submission(browser, base: str, submission: Submission, artifacts) -> None:
    """The instructor's side of the same submission, in a browser of their own (the worker still runs)."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "teach")
    page.fill("#id_password", "teach-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    # From the lab page, where instructors get their links, to the course's gradebook.
    page.click("header >> text=Labs")
    page.click("text=Squared number: your first handler")
    page.click(".instructor-links >> text=Gradebook")
    page.wait_for_selector("table.gradebook")
    assert page.url.endswith("/labs/instructor/gradebook/serverless/")
    row = page.locator("table.gradebook tbody tr", has=page.locator("th", has_text="stu"))
    assert row.count() == 1
    heads = page.locator("table.gradebook thead th.lab-head").all_inner_texts()
    [lab_column] = [
        i for i, head in enumerate(heads) if head.startswith("Squared number: your first handler")
    ]
    cells = row.locator("td")
    best, latest, count = (cells.nth(3 * lab_column + offset).inner_text() for offset in range(3))
    assert (best, latest, count) == ("8/10", "8/10", "1")
    assert "teach" not in page.inner_text("table.gradebook tbody")  # instructors are not students
    page.screenshot(path=str(artifacts / "lab-gradebook.png"), full_page=True)

    # The CSV, downloaded as the browser does it: the same row, in plain numbers.
    with page.expect_download() as download_info:
        page.click("text=Detailed CSV")
    download = download_info.value
    assert download.suggested_filename.startswith("gradebook-serverless-")
    assert download.suggested_filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    header, rows = table[0], {line[0]: line for line in table[1:]}
    assert list(rows) == ["stu"]
    first = header.index("Squared number: your first handler: best (of 10)")
    assert header[first : first + 5] == [
        "Squared number: your first handler: best (of 10)",
        "Squared number: your first handler: best late",
        "Squared number: your first handler: latest",
        "Squared number: your first handler: latest late",
        "Squared number: your first handler: submissions",
    ]
    assert rows["stu"][first : first + 5] == ["8", "", "8", "", "1"]

    # The live class view: one student, graded; the after-deadline check is the one that fails.
    page.locator("table.gradebook thead th.lab-head", has_text="Squared number").locator("text=Live").click()
    page.wait_for_selector("#live-body")
    tiles = page.inner_text("dl.tiles")
    assert "Students submitted\n1" in tiles and "Graded students\n1" in tiles
    failing = page.locator("ol.check-bars li.failing")
    assert failing.count() == 1
    assert "Fails with InvalidInput for text, booleans and null" in failing.inner_text()
    assert page.inner_text("[data-check=rejects_non_numbers]") == "1/1"
    assert page.inner_text("[data-check=negative_and_decimal_numbers]") == "0/1"  # hidden, still counted
    assert page.inner_text("ol.histogram [data-bin='8']") == "1"
    assert sum(int(n) for n in page.locator("ol.histogram .n").all_inner_texts()) == 1
    page.screenshot(path=str(artifacts / "lab-class-view.png"), full_page=True)

    # The student's submission with every check, hidden ones and their messages too.
    page.goto(f"{base}/labs/instructor/gradebook/serverless/")
    page.locator("table.gradebook tbody tr", has=page.locator("th", has_text="stu")).locator(
        "td >> nth=0 >> a"
    ).click()
    page.wait_for_selector("#submission.status-graded")
    assert page.url.endswith(f"/labs/squared-number/instructor/submissions/{submission.pk}/")
    checks = page.locator("#submission ul.checks li.check")
    assert checks.count() == 5  # nothing withheld from an instructor
    hidden = checks.filter(has_text="Squares negative and decimal numbers")
    assert "hidden from students" in hidden.inner_text() and "passed" in hidden.get_attribute("class")
    late = checks.filter(has_text="Fails with InvalidInput for text, booleans and null")
    assert "shown after the deadline" in late.inner_text() and "failed" in late.get_attribute("class")
    assert late.locator(".check-message").inner_text()  # why it failed
    result = page.inner_text("#submission")
    assert "8/10" in result and "more checks ran" not in result
    assert "START RequestId:" in result and "Event trace" in result
    page.wait_for_selector("#submission figure.diagram svg", timeout=15000)  # the trace, drawn
    assert "def lambda_handler" in page.inner_text("main")  # the files
    page.screenshot(path=str(artifacts / "lab-instructor-submission.png"), full_page=True)

    # Re-grade it: the same row goes back to the worker and the page follows it until it is graded again.
    page.click("button:has-text('Re-grade this submission')")
    assert f"Re-grading submission {submission.pk} by stu (it had 8/10)" in page.inner_text(".messages")
    # The redirect shows the row queued (or, on a fast worker, already running or graded again); htmx
    # polls it without a reload until it is graded.
    page.wait_for_selector("#submission.status-queued, #submission.status-running, #submission.status-graded")
    page.wait_for_selector("#submission.status-graded", timeout=60000)
    assert "8/10" in page.inner_text("#submission")
    submission.refresh_from_db()
    assert submission.status == "graded" and submission.score == 8 and submission.regrade_requested_at
    assert submission.result["regrade"]["previous_score"] == 8
    assert Submission.objects.count() == 1  # not a new attempt
    page.reload()
    assert "before it was 8/10" in page.inner_text("main")


EXECUTION_DEFINITION = {
    "StartAt": "Check input",
    "States": {
        "Check input": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.number", "IsPresent": True, "Next": "Square in parallel"}],
            "Default": "No number",
        },
        "No number": {"Type": "Fail", "Error": "InvalidInput", "Cause": "no number"},
        "Square in parallel": {
            "Type": "Parallel",
            "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            "Branches": [
                {"StartAt": "Square", "States": {"Square": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Validate",
                    "States": {"Validate": {"Type": "Fail", "Error": "Oops", "Cause": "bad"}},
                },
            ],
        },
        "Recover": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_a_state_machine_execution_is_drawn_with_its_statuses(
    live_server, browser, student, squared, artifacts
):
    """A real execution (the runtime's interpreter) stored in a graded result: the page draws it as a
    flowchart whose states carry their status as a class, and a second execution, in a closed <details>,
    is drawn when opened."""
    from labs.grading import Session
    from labs.jobs import lab_spec
    from labs.runtime import Cloud

    spec = lab_spec(squared)
    with Cloud(seed=7) as cloud:
        session = Session(spec, spec.solution, cloud)
        role = session.role(service="states")
        first = session.run_state_machine(EXECUTION_DEFINITION, {"number": 3}, role_arn=role)
        second = session.run_state_machine(EXECUTION_DEFINITION, {}, role_arn=role)
    assert (first["status"], second["status"]) == ("SUCCEEDED", "FAILED")
    submission = Submission.objects.create(
        user=student,
        lab=squared,
        files=spec.solution,
        status="graded",
        score=0,
        max_score=10,
        result={"score": 0, "max_score": 10, "checks": [], "trace": [], "executions": [first, second]},
    )
    page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
    page.context.add_cookies(live_server_login(live_server, student))
    page.goto(f"{live_server.url}{submission.get_absolute_url()}")
    drawn = page.locator("details.execution").nth(0).locator("figure.diagram svg")
    drawn.wait_for(timeout=15000)
    # Mermaid gives each state's node the status class the server wrote (classDef colours).
    for status, state in (
        ("succeeded", "Check input"),
        ("caught", "Square in parallel"),
        ("failed", "Validate"),
    ):
        assert state in page.locator("details.execution").nth(0).inner_text()
        if status != "caught":  # Parallel is a box (subgraph), styled rather than classed
            assert (
                page.locator(f"details.execution >> nth=0 >> g.node.{status}:has-text('{state}')").count()
                == 1
            )
    assert page.locator("details.execution >> nth=0 >> g.node.notrun:has-text('No number')").count() == 1
    assert "Validate" in page.inner_text("details.execution >> nth=0 >> ol.sfn-graph")  # the list stays
    page.locator("details.execution").nth(0).screenshot(path=str(artifacts / "lab-execution-graph.png"))
    closed = page.locator("details.execution").nth(1)
    assert closed.locator("figure.diagram svg").count() == 0  # not drawn while closed
    closed.locator(":scope > summary").click()  # not the event history's summary inside it
    closed.locator("figure.diagram svg").wait_for(timeout=15000)
    assert closed.locator("g.node.failed:has-text('No number')").count() == 1


def live_server_login(live_server, user) -> list[dict]:
    """A session cookie for ``user`` (the login page itself is covered by the test above)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
