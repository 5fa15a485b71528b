"""A Lambda durable execution read as a timeline (labs/durable_timeline.py), from the trace of a real Cloud
running a durable function: a step interrupted once (its code runs again), a 1-day wait, a callback
answered, a step that fails for good; and the result page showing it."""

import pytest

from labs.diagrams import sequence_diagram
from labs.durable_timeline import durable_timelines, time_offset
from labs.trace_wording import describe
from tests.labs.durable_runs import graded_with_durable_trace, nested_run, orders_run


@pytest.fixture(scope="module")
def timelines():
    return {execution["name"]: execution for execution in durable_timelines(orders_run()["trace"])}


def invocations(execution):
    return [entry for entry in execution["entries"] if entry["kind"] == "invocation"]


def texts(invocation):
    return [operation["text"] for operation in invocation["operations"]]


def test_each_execution_is_one_timeline_in_start_order(timelines):
    assert list(timelines) == ["order-1", "order-2"]
    assert timelines["order-1"]["status"] == "SUCCEEDED" and timelines["order-1"]["function"] == "orders:1"
    assert timelines["order-2"]["status"] == "FAILED" and "StepError" in timelines["order-2"]["error"]
    assert orders_run()["statuses"] == {"order-1": "SUCCEEDED", "order-2": "FAILED"}


def test_the_interrupted_step_is_marked_as_run_again(timelines):
    first, second, *_ = invocations(timelines["order-1"])
    assert (first["number"], first["replay"], first["outcome"]) == (1, False, "interrupted")
    assert texts(first) == ["step charge-card started"]
    assert "died right after step charge-card ran, before its result was checkpointed" in first["fault"]
    assert second["replay"] and second["replayed"] == 0
    charged = second["operations"][0]
    assert charged["reran"] and charged["lost_in"] == 1
    assert charged["text"].startswith("step charge-card succeeded (result checkpointed): its code ran again")
    # the side effect happened twice, as the timeline says
    assert orders_run()["messages"].count("charge o-1") == 2
    assert not any(op["reran"] for entry in invocations(timelines["order-2"]) for op in entry["operations"])


def test_a_one_day_wait_suspends_and_the_service_resumes_a_day_later(timelines):
    entries = timelines["order-2"]["entries"]
    first = entries[0]
    assert first["outcome"] == "pending" and first["offset"] == "+0 s"
    assert texts(first) == [
        "step charge-card started",
        "step charge-card succeeded (result checkpointed)",
        "wait cool-off started for 1 day",
    ]
    resumed = entries[1]
    assert resumed == {
        "kind": "resumed",
        "offset": "+1 day",
        "text": "Resumed by the service: wait cool-off ended",
    }
    second = entries[2]
    assert second["offset"] == "+1 day" and second["replay"] and second["replayed"] == 2


def test_every_replay_says_the_handler_ran_again_from_the_top(timelines):
    for execution in timelines.values():
        for entry in invocations(execution):
            if entry["replay"]:
                assert entry["replay_text"].startswith("Replay: Lambda ran the handler again from the top.")
                assert (
                    "the code outside steps (before, between and after them) ran again"
                    in entry["replay_text"]
                )
            else:
                assert entry["replay_text"] == ""
    third = invocations(timelines["order-2"])[2]
    assert "replayed 3 completed operations from the checkpoints" in third["replay_text"]
    second = invocations(timelines["order-1"])[1]
    assert "No operation had completed yet" in second["replay_text"]


def test_callbacks_and_the_final_failure(timelines):
    entries = timelines["order-2"]["entries"]
    created = invocations(timelines["order-2"])[1]
    assert texts(created) == ["callback approval created: the execution waits for its answer"]
    assert created["outcome"] == "pending"
    answered = [entry for entry in entries if entry["kind"] == "resumed"][-1]
    assert answered["text"] == "Resumed by the service: callback approval answered: success"
    assert answered["offset"].startswith("+1 day")
    last = invocations(timelines["order-2"])[-1]
    assert texts(last) == ["step ship started", "step ship failed"]
    assert (last["outcome"], last["outcome_text"]) == ("failed", "The execution failed.")


def test_child_contexts_maps_and_chained_invokes():
    run = nested_run()
    assert run["status"] == "SUCCEEDED"
    (execution,) = durable_timelines(run["trace"])
    first, resumed, second = execution["entries"]
    lines = texts(first)
    assert lines[:5] == [
        "child context grouped started",
        "step double-in-child started",
        "step double-in-child succeeded (result checkpointed)",
        "child context grouped finished",
        "map doubles started",
    ]
    # the map's items run on their own threads: their lines interleave in any order
    assert sorted(lines[5:13]) == sorted(
        [
            "map iteration map-item-0 started",
            "step double-0 started",
            "step double-0 succeeded (result checkpointed)",
            "map iteration map-item-1 started",
            "step double-1 started",
            "step double-1 succeeded (result checkpointed)",
            "map iteration map-item-0 finished",
            "map iteration map-item-1 finished",
        ]
    )
    assert lines[13:] == [
        "map doubles finished",
        "chained invoke get-price started: Lambda invokes the other function",
    ]
    # the service finished the invoke (its record carries the checkpoint's cause), then resumed the execution
    assert resumed["text"] == "Resumed by the service: chained invoke get-price returned"
    assert second["replay"] and second["replayed"] == 8 and second["outcome"] == "succeeded"


def test_the_sequence_diagram_notes_runs_and_resumptions():
    source = sequence_diagram(orders_run()["trace"])
    assert "durable execution order-1 starts" in source and "first run" in source
    assert "replay#58; 2 done operations" in source and "resume#58; wait cool-off ended" in source
    assert "durable_operation" not in source  # each checkpoint is drawn by its API call


def test_the_trace_names_the_function_and_version_of_an_execution():
    started = next(entry for entry in orders_run()["trace"] if entry["kind"] == "durable_execution")
    assert describe(started) == "Durable execution order-1 of orders:1: SUCCEEDED"


def test_offsets_in_words():
    assert [time_offset(s) for s in (0, 0.4, 3, 125, 3600, 86400, 2 * 86400 + 3 * 3600 + 7)] == [
        "+0 s",
        "+0 s",
        "+3 s",
        "+2 min 5 s",
        "+1 h",
        "+1 day",
        "+2 days 3 h",
    ]


def test_partial_or_foreign_records_do_not_break_it():
    arn = "arn:aws:lambda:us-east-1:1:function:f:1/durable-execution/run-9/abc"
    trace = [
        {"seq": 0, "kind": "api_call", "time": 5.0, "cause": None, "service": "lambda"},
        # the execution's start was in a hidden check: the name comes from the ARN
        {"seq": 1, "kind": "durable_operation", "time": 7.0, "cause": None, "execution_arn": arn,
         "operation_id": "x", "type": "CALLBACK", "action": "TIME_OUT", "status": "TIMED_OUT", "name": "ok"},
        {"seq": 2, "kind": "durable_operation", "time": 7.0, "cause": None, "execution_arn": arn,
         "operation_id": "y", "type": "NEW_TYPE", "action": "POKE", "status": "?"},
    ]  # fmt: skip
    (execution,) = durable_timelines(trace)
    assert (execution["name"], execution["function"], execution["status"]) == ("run-9", "f:1", "RUNNING")
    assert [entry["text"] for entry in execution["entries"]] == [
        "callback ok timed out",
        "new type (unnamed): poke",
    ]
    assert durable_timelines([]) == []


@pytest.mark.django_db
def test_the_result_page_shows_the_timeline(student_client, student, squared):
    submission = graded_with_durable_trace(student, squared)
    html = student_client.get(submission.get_absolute_url()).content.decode()
    assert "<h3>Durable executions</h3>" in html
    assert html.count('<details class="execution durable-execution"') == 2
    assert "Durable execution order-1 of orders:1" in html
    assert '<ol class="durable-timeline" aria-label="Invocations of durable execution order-1">' in html
    assert '<span class="badge bad">ran again</span>' in html and html.count("ran again</span>") == 1
    assert "its code ran again, because invocation 1 ran it but its result was lost" in html
    assert "wait cool-off started for 1 day" in html and "Resumed by the service: wait cool-off ended" in html
    assert "Replay: Lambda ran the handler again from the top." in html
    assert "Interrupted: the execution environment died before the invocation finished" in html
    assert html.index("<h3>Durable executions</h3>") < html.index("<h3>Event trace</h3>")
    assert "style=" not in html.split("<h3>Durable executions</h3>")[1].split("<h3>Event trace</h3>")[0]


@pytest.mark.django_db
def test_a_hidden_check_hides_its_durable_executions(student_client, student, squared):
    submission = graded_with_durable_trace(student, squared, hidden=True)
    html = student_client.get(submission.get_absolute_url()).content.decode()
    assert "Durable executions" not in html and "charge-card" not in html
