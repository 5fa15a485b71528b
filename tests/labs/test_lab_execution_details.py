"""An execution read as the Step Functions console reads it (labs/executions.py): each state's input, output,
error and cause, a Task's retries counted on that Task, and the event-history table (id, type, step, time
since the start). From the runtime's own GetExecutionHistory events:
https://docs.aws.amazon.com/step-functions/latest/dg/exec-details-interface-overview.html"""

import json

import pytest
from django.urls import reverse

from labs import playground
from labs.executions import execution_view, history_rows, state_details
from labs.grading import CATALOG_DIR, execute_draft, load_lab
from labs.models import PlaygroundRun

LAB = load_lab(CATALOG_DIR / "order-workflow")
SOLUTION = (CATALOG_DIR / "order-workflow" / "solution" / "order-workflow.json").read_text()


def order(card):
    return {
        "order_id": "o-9",
        "items": [{"sku": "BK-1", "qty": 1}],
        "total": 5,
        "card": card,
        "email": "a@b.c",
    }


@pytest.fixture(scope="module")
def flaky():
    return execute_draft(LAB, {"order-workflow.json": SOLUTION}, order("tok_flaky"))["execution"]


@pytest.fixture(scope="module")
def down():
    return execute_draft(LAB, {"order-workflow.json": SOLUTION}, order("tok_down"))["execution"]


def test_a_retried_task_shows_its_retries_and_their_errors(flaky):
    charge = state_details(flaky["history"])["ChargePayment"]
    assert (charge["attempts"], charge["retries"]) == (3, 2)
    assert [failure["error"] for failure in charge["failures"]] == ["PaymentServiceUnavailable"] * 2
    assert charge["errors"] == [{"error": "PaymentServiceUnavailable", "count": 2}]
    assert "the payment provider did not answer" in charge["failures"][0]["cause"]
    (visit,) = charge["visits"]
    assert json.loads(visit["input"])["card"] == "tok_flaky"
    assert "pay-o-9" in visit["output"]


def test_the_history_table_names_each_events_step_and_time(flaky):
    rows = history_rows(flaky["history"])
    assert [row["id"] for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0] == {
        "id": 1,
        "type": "ExecutionStarted",
        "step": "",
        "elapsed_ms": 0,
        "error": "",
        "cause": "",
        "attempt": None,
    }
    charge = [row for row in rows if row["step"] == "ChargePayment"]
    scheduled = [row for row in charge if row["type"] == "TaskScheduled"]
    assert [row["attempt"] for row in scheduled] == [1, 2, 3]
    # the retries waited (simulated time): the third attempt starts later than the first
    assert scheduled[0]["elapsed_ms"] < scheduled[1]["elapsed_ms"] < scheduled[2]["elapsed_ms"]
    assert [row["error"] for row in charge if row["type"] == "TaskFailed"] == [
        "PaymentServiceUnavailable"
    ] * 2
    # states inside a Parallel branch have their own step
    assert {"ShipOrder", "SendReceipt", "Fulfil"} <= {row["step"] for row in rows}


def test_a_failed_execution_puts_the_error_on_the_state_that_failed(down):
    details = state_details(down["history"])
    assert details["PaymentFailed"]["visits"][0]["error"] == "PaymentFailed"
    assert details["ReleaseStock"]["visits"][0]["output"] is not None
    view = execution_view(down, "x")
    states = {state["id"]: state for state in view["states"]}
    assert states["OutOfStock"]["details"] is None  # never ran
    assert [state["index"] for state in view["states"]] == list(range(len(view["states"])))
    assert view["key"] == "x" and view["events"][-1]["type"] == "ExecutionFailed"


def test_an_empty_or_partial_history_is_read_without_error():
    assert execution_view({"graph": {}, "history": []}, "k")["states"] == []
    odd = [{"id": 1, "type": "ExecutionStarted", "timestamp": "not a time"}, {"id": 2, "type": "TaskFailed"}]
    assert [row["elapsed_ms"] for row in history_rows(odd)] == [None, None]


@pytest.mark.django_db
def test_the_start_execution_answer_has_states_to_choose_and_the_history(student_client, student, catalog):
    workflow = catalog.get(slug="order-workflow")
    run = PlaygroundRun.objects.create(
        user=student,
        lab=workflow,
        handler="",
        files={"order-workflow.json": SOLUTION},
        event=order("tok_flaky"),
    )
    playground.playground_run_execute(run_id=run.pk)
    html = student_client.get(reverse("labs:playground_run", args=[workflow.slug, run.pk])).content.decode()
    assert 'data-sfn-node="n3"' in html and 'aria-controls="sfn-p-3"' in html  # ChargePayment, the 4th state
    assert '<div class="sfn-state-detail" id="sfn-p-3" hidden>' in html
    assert "Ran 3 times (2 retries); failed with\n" in html and "(2 times)." in html
    assert "<summary>Event history (36 events)</summary>" in html
    assert 'TaskScheduled <span class="badge sfn-caught_error">retry 2</span>' in html
