"""The durable-orders lab (issue 21): an order workflow as a Lambda durable function. The solution scores
full marks in a few seconds although each order waits a simulated day; the starter (a random idempotency key
outside a step, no wait, a step-by-step reservation retried when out of stock) loses the checks it should,
with messages that name the mistake in AWS terms; and typical wrong turns get the message for their mistake."""

from pathlib import Path

from labs.grading import CATALOG_DIR, grade, load_lab

LAB = load_lab(CATALOG_DIR / "durable-orders")
LESSONS = Path(__file__).resolve().parents[2] / "courses" / "content" / "serverless"


def failures(report: dict) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def solution_with(*changes: tuple[str, str]) -> dict[str, str]:
    text = LAB.solution["app.py"]
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return {"app.py": text}


def test_the_lab_belongs_to_a_lesson_and_uses_every_visibility():
    assert (LAB.course, LAB.lesson) == ("serverless", "lambda-durable-functions")
    assert "/labs/durable-orders/" in (LESSONS / f"{LAB.lesson}.md").read_text()
    assert set(LAB.visibility.values()) == {"visible", "after_deadline", "hidden"}
    assert LAB.visibility["charges_once_when_interrupted"] == "visible"
    assert LAB.editable == ["app.py"] and LAB.points == 15
    assert "## How it is graded" in LAB.instructions and "15 minutes" in LAB.instructions


def test_the_solution_scores_full_marks_in_seconds_though_each_order_waits_a_day():
    report = grade(LAB, LAB.solution)
    assert failures(report) == {}
    assert report["score"] == report["max_score"] == 15
    assert report["grading_ms"] < 15000  # a handful of simulated days; seconds of wall time at most
    kinds = [entry["kind"] for entry in report["trace"]]
    # charge-card and reserve-stock were each interrupted once; one reservation met a conflicting transaction
    assert kinds.count("fault_injected") == 3
    invocations = [entry for entry in report["trace"] if entry["kind"] == "durable_invocation"]
    assert {"pending", "succeeded", "failed", "interrupted"} <= {entry["outcome"] for entry in invocations}
    assert any(entry["replay"] for entry in invocations)


STARTER_FAILURES = {
    "holds_a_day_without_compute": "was dispatched within hours of being paid",
    "charges_once_when_interrupted": "charged 2 times for order o-3001",
    "reserves_once_when_interrupted": "BOOK-2 went from 20 to 16 for an order of 2",
    "out_of_stock_not_retried": "The reserve-stock step was retried 5 times",
    "other_orders": "stayed reserved for it",
}


def test_the_starter_fails_the_checks_it_should_and_says_why():
    report = grade(LAB, LAB.starter)
    messages = failures(report)
    assert set(messages) == set(STARTER_FAILURES)
    for check_id, says in STARTER_FAILURES.items():
        assert says in messages[check_id], messages[check_id]
    assert "a new charge" in messages["charges_once_when_interrupted"]
    assert report["score"] == 4  # the happy path and the out-of-stock failure already work


def test_a_key_made_inside_the_charge_step_is_new_on_the_second_run():
    files = solution_with(("f\"{order['order_id']}-charge\"", "str(__import__('uuid').uuid4())"))
    messages = failures(grade(LAB, files, visible_only=True))
    assert set(messages) == {"charges_once_when_interrupted"}
    assert "replay ran the step again" in messages["charges_once_when_interrupted"]


def test_a_random_key_made_in_a_step_of_its_own_is_replay_safe():
    files = solution_with(
        (
            '    charge = context.step(charge_card(event), name="charge-card")',
            '    key = context.step(lambda _: str(__import__("uuid").uuid4()), name="make-key")\n'
            '    charge = context.step(charge_card(event, key), name="charge-card")',
        ),
        (
            "def charge_card(step_context: StepContext, order: dict) -> dict:",
            "def charge_card(step_context: StepContext, order: dict, key: str) -> dict:",
        ),
        ('"idempotency_key": f"{order[\'order_id\']}-charge",', '"idempotency_key": key,'),
    )
    assert failures(grade(LAB, files, visible_only=True)) == {}


def test_a_charge_outside_any_step_runs_again_on_the_replay_after_the_wait():
    files = solution_with(
        (
            '    charge = context.step(charge_card(event), name="charge-card")',
            "    charge = charge_card(event)(None)",
        ),
        ("f\"{order['order_id']}-charge\"", "str(__import__('uuid').uuid4())"),
    )
    messages = failures(grade(LAB, files, visible_only=True))
    assert "code outside a step charged again" in messages["completes_an_order"]


def test_at_most_once_without_retries_fails_the_interrupted_order():
    files = solution_with(
        (
            "from aws_durable_execution_sdk_python.config import Duration",
            "from aws_durable_execution_sdk_python.config import Duration, StepConfig, StepSemantics\n"
            "from aws_durable_execution_sdk_python.retries import RetryPresets",
        ),
        (
            'context.step(charge_card(event), name="charge-card")',
            'context.step(charge_card(event), name="charge-card", config=StepConfig('
            "retry_strategy=RetryPresets.none(), step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY))",
        ),
    )
    messages = failures(grade(LAB, files, visible_only=True))
    assert "the step was at-most-once" in messages["charges_once_when_interrupted"]


def test_a_wait_of_an_hour_dispatches_too_early():
    files = solution_with(("Duration.from_days(1)", "Duration.from_hours(1)"))
    messages = failures(grade(LAB, files, visible_only=True))
    assert set(messages) == {"holds_a_day_without_compute"}


def test_raising_out_of_stock_inside_the_step_is_retried_and_loses_the_after_deadline_check():
    files = solution_with(
        (
            '        return {"reserved": False, "short": short}',
            "        raise OutOfStock(f\"order {order['order_id']}: not enough stock of {', '.join(short)}\")",
        ),
    )
    assert failures(grade(LAB, files, visible_only=True)) == {}
    messages = failures(grade(LAB, files))
    assert set(messages) == {"out_of_stock_not_retried"}
    assert "retried with backoff by default" in messages["out_of_stock_not_retried"]


def test_the_hidden_case_catches_a_reservation_of_the_first_item_only():
    files = solution_with(
        ("for sku, quantity in wanted.items():", "for sku, quantity in list(wanted.items())[:1]:")
    )
    visible = grade(LAB, files, visible_only=True)
    assert visible["score"] == visible["max_score"]
    messages = failures(grade(LAB, files))
    assert set(messages) == {"other_orders"}


def test_a_plain_handler_is_told_to_use_the_durable_execution_decorator():
    report = grade(LAB, {"app.py": "def handler(event, context):\n    return {'status': 'DISPATCHED'}\n"})
    assert report["score"] == 0
    assert "@durable_execution" in failures(report)["completes_an_order"]


def test_the_hidden_case_catches_a_conflict_reported_as_a_shortage():
    files = solution_with(
        ("so the step is retried\n            raise", "so the step is retried\n            pass")
    )
    assert failures(grade(LAB, files, visible_only=True)) == {}
    messages = failures(grade(LAB, files))
    assert set(messages) == {"other_orders"}
    assert "conflicting transaction (TransactionConflict)" in messages["other_orders"]
    assert "not enough stock of )" in messages["other_orders"]
