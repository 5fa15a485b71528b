"""Running state machines without an account: every state type, input/output processing and its failures,
Retry timing in simulated time, Catch order, Parallel and Map semantics, variables, JSONata, timeouts."""

import json

import pytest

from labs.runtime.stepfunctions import DefinitionError
from tests.labs.runtime.stepfunctions.conftest import START, go, machine, types


def test_pass_result_result_path_and_output_path():
    result = go(
        machine(
            {"P": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "OutputPath": "$.r", "End": True}}
        ),
        {"keep": True},
    )
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == {"x": 1}
    assert types(result) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_processing_order_input_path_parameters_result_selector_result_path_output_path():
    # A Pass state has no ResultSelector, so use a Parallel with one branch to see every step.
    definition = machine(
        {
            "S": {
                "Type": "Parallel",
                "InputPath": "$.order",
                "Parameters": {"id.$": "$.id", "qty.$": "$.lines[0].qty"},
                "Branches": [machine({"B": {"Type": "Pass", "End": True}})],
                "ResultSelector": {"first.$": "$[0]"},
                "ResultPath": "$.result",
                "OutputPath": "$.result.first",
                "End": True,
            }
        }
    )
    result = go(definition, {"order": {"id": "o-1", "lines": [{"qty": 2}]}, "other": 1})
    assert result["output"] == {"id": "o-1", "qty": 2}


def test_null_paths_discard():
    definition = machine(
        {
            "A": {"Type": "Pass", "InputPath": None, "Result": 1, "ResultPath": None, "Next": "B"},
            "B": {"Type": "Pass", "OutputPath": None, "End": True},
        }
    )
    result = go(definition, {"x": 1})
    assert (
        result["history"][2]["stateExitedEventDetails"]["output"] == '{"x":1}'
    )  # ResultPath null keeps input
    assert result["output"] == {}


@pytest.mark.parametrize(
    ("state", "error", "cause_fragment"),
    [
        (
            {"InputPath": "$.missing"},
            "States.Runtime",
            "Invalid path '$.missing' : No results for path: $['missing']",
        ),
        ({"OutputPath": "$.missing"}, "States.Runtime", "Invalid path '$.missing'"),
        (
            {"Parameters": {"v.$": "$.missing"}},
            "States.Runtime",
            "The JSONPath '$.missing' specified for the field 'v.$'",
        ),
        (
            {"Result": 1, "ResultPath": "$.a.b"},
            "States.ResultPathMatchFailure",
            "Unable to apply ResultPath '$.a.b'",
        ),
        ({"Parameters": {"v.$": "States.ArrayLength($.a)"}}, "States.IntrinsicFailure", "must be an array"),
    ],
)
def test_path_processing_failures(state, error, cause_fragment):
    result = go(machine({"S": {"Type": "Pass", "End": True, **state}}), {"a": 1})
    assert result["status"] == "FAILED"
    assert result["error"] == error
    assert cause_fragment in result["cause"]
    if error == "States.Runtime":
        assert result["cause"].startswith(
            "An error occurred while executing the state 'S' (entered at the event id #2)."
        )


def test_runtime_errors_are_not_caught_by_states_all():
    definition = machine(
        {
            "S": {
                "Type": "Parallel",
                "InputPath": "$.nope",
                "Branches": [machine({"B": {"Type": "Pass", "End": True}})],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        }
    )
    assert go(definition)["error"] == "States.Runtime"


def test_choice_default_and_no_match():
    definition = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.kind", "StringEquals": "a", "Next": "A"},
                    {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                ],
                "Default": "Other",
            },
            "A": {"Type": "Pass", "Result": "a", "End": True},
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Other": {"Type": "Pass", "Result": "other", "End": True},
        }
    )
    assert go(definition, {"kind": "a", "n": 1})["output"] == "a"
    assert go(definition, {"kind": "b", "n": 11})["output"] == "big"
    assert go(definition, {"kind": "b", "n": 1})["output"] == "other"
    without_default = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "A"}]},
            "A": {"Type": "Succeed"},
        }
    )
    result = go(without_default, {"n": 2})
    assert (result["error"], result["cause"]) == ("States.NoChoiceMatched", "No Matches! at state 'C'")
    missing = go(without_default, {})
    assert missing["error"] == "States.Runtime"
    assert (
        "Invalid path '$.n': The choice state's condition path references an invalid value."
        in missing["cause"]
    )


@pytest.mark.parametrize(
    ("wait", "value", "seconds"),
    [
        ({"Seconds": 90}, {}, 90),
        ({"SecondsPath": "$.s"}, {"s": 7}, 7),
        ({"Timestamp": "2023-11-14T22:23:20Z"}, {}, 600),  # START + 10 minutes
        ({"TimestampPath": "$.t"}, {"t": "2023-11-14T22:13:21Z"}, 1),
        ({"Timestamp": "2020-01-01T00:00:00Z"}, {}, 0),  # the past: no wait
    ],
)
def test_wait_moves_the_simulated_clock(wait, value, seconds):
    result = go(machine({"W": {"Type": "Wait", "End": True, **wait}}), value)
    assert result["status"] == "SUCCEEDED"
    assert result["history"][-1]["timestamp"] - START == seconds


def test_wait_with_a_bad_seconds_path_fails():
    result = go(machine({"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}), {"s": "soon"})
    assert result["error"] == "States.Runtime"


def test_fail_state_with_paths_and_intrinsics():
    definition = machine(
        {
            "F": {
                "Type": "Fail",
                "ErrorPath": "$.code",
                "CausePath": "States.Format('order {} failed', $.id)",
            }
        }
    )
    result = go(definition, {"code": "OrderFailed", "id": 7})
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "OrderFailed", "order 7 failed")
    assert types(result)[-2:] == ["FailStateEntered", "ExecutionFailed"]


def test_succeed_state_ends_the_execution():
    result = go(machine({"S": {"Type": "Succeed", "OutputPath": "$.a"}}), {"a": [1]})
    assert (result["status"], result["output"]) == ("SUCCEEDED", [1])


# -- Retry and Catch --------------------------------------------------------------------------------------------
def failing_branch(error="Boom"):
    return machine({"F": {"Type": "Fail", "Error": error, "Cause": "it broke"}})


def retry_times(result):
    return [e["timestamp"] - START for e in result["history"] if e["type"] == "ParallelStateStarted"]


def test_retry_backoff_and_max_attempts():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [
                    {"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "MaxAttempts": 3, "BackoffRate": 2}
                ],
                "End": True,
            }
        }
    )
    result = go(definition)
    assert retry_times(result) == [0, 3, 9, 21]
    assert (result["error"], result["cause"]) == ("Boom", "it broke")


def test_retry_max_delay_and_defaults():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 10,
                        "MaxAttempts": 4,
                        "BackoffRate": 3,
                        "MaxDelaySeconds": 50,
                    }
                ],
                "End": True,
            }
        }
    )
    assert retry_times(go(definition)) == [0, 10, 40, 90, 140]
    defaults = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [{"ErrorEquals": ["Boom"]}],
                "End": True,
            }
        }
    )
    assert retry_times(go(defaults)) == [0, 1, 3, 7]  # IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0
    never = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}],
                "End": True,
            }
        }
    )
    assert retry_times(go(never)) == [0]


def test_full_jitter_is_seeded():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [
                    {
                        "ErrorEquals": ["Boom"],
                        "IntervalSeconds": 100,
                        "MaxAttempts": 3,
                        "JitterStrategy": "FULL",
                    }
                ],
                "End": True,
            }
        }
    )
    first, again, other = go(definition, seed=5), go(definition, seed=5), go(definition, seed=6)
    assert retry_times(first) == retry_times(again) != retry_times(other)
    delays = [b - a for a, b in zip(retry_times(first), retry_times(first)[1:], strict=False)]
    assert all(0 <= delay <= limit for delay, limit in zip(delays, [100, 200, 400], strict=True))


def test_retriers_are_matched_in_order_and_count_separately():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch("States.TaskFailed")],
                "Retry": [
                    {"ErrorEquals": ["Other"], "IntervalSeconds": 100},
                    {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5, "MaxAttempts": 1},
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 50, "MaxAttempts": 5},
                ],
                "End": True,
            }
        }
    )
    assert retry_times(go(definition)) == [0, 5]  # the first matching retrier decides, even when exhausted


def test_catch_order_result_path_and_error_output():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch("Custom.Error")],
                "Catch": [
                    {"ErrorEquals": ["Other"], "Next": "Wrong"},
                    {"ErrorEquals": ["Custom.Error"], "ResultPath": "$.error", "Next": "Handled"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Wrong"},
                ],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
            "Wrong": {"Type": "Fail", "Error": "Wrong"},
        }
    )
    result = go(definition, {"order": 1})
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == {"order": 1, "error": {"Error": "Custom.Error", "Cause": "it broke"}}


def test_task_failed_wildcard_does_not_match_timeouts():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch("States.Timeout")],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        }
    )
    assert go(definition)["error"] == "States.Timeout"


def test_retry_then_catch():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing_branch()],
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["Boom"], "Next": "Compensate"}],
                "End": True,
            },
            "Compensate": {"Type": "Pass", "Result": "compensated", "End": True},
        }
    )
    result = go(definition)
    assert (result["status"], result["output"]) == ("SUCCEEDED", "compensated")
    assert retry_times(result) == [0, 1, 3]


# -- Parallel and Map -----------------------------------------------------------------------------------------
def test_assign_variables_in_jsonpath_states():
    definition = machine(
        {
            "A": {
                "Type": "Pass",
                "Result": {"id": 42},
                "Assign": {"orderId.$": "$.id", "fixed": "x"},
                "Next": "B",
            },
            "B": {
                "Type": "Pass",
                "Parameters": {"id.$": "$orderId", "fixed.$": "$fixed", "name.$": "$$.Execution.Name"},
                "End": True,
            },
        }
    )
    result = go(definition, name="exec-1")
    assert result["output"] == {"id": 42, "fixed": "x", "name": "exec-1"}
    exited = result["history"][2]["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"orderId": "42", "fixed": '"x"'}


def test_jsonata_states_arguments_output_assign_and_conditions():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {
            "Total": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.items.price) %}"},
                "Output": {"count": "{% $count($states.input.items) %}"},
                "Next": "Decide",
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $total > 100 %}", "Next": "Big", "Output": {"size": "big"}}],
                "Default": "Small",
            },
            "Big": {
                "Type": "Pass",
                "Output": "{% $merge([$states.input, {'total': $total}]) %}",
                "End": True,
            },
            "Small": {"Type": "Succeed", "Output": {"size": "small"}},
        },
    }
    big = go(definition, {"items": [{"price": 60}, {"price": 70}]})
    assert big["output"] == {"size": "big", "total": 130}
    small = go(definition, {"items": [{"price": 1}]})
    assert small["output"] == {"size": "small"}


def test_jsonata_map_wait_and_fail():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.values %}",
                "ItemSelector": {"v": "{% $states.context.Map.Item.Value * 2 %}"},
                "ItemProcessor": {"StartAt": "Id", "States": {"Id": {"Type": "Pass", "End": True}}},
                "Output": "{% $states.result.v %}",
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": "{% $count($states.input) %}", "Next": "Stop"},
            "Stop": {
                "Type": "Fail",
                "Error": "{% 'Got' & $string($sum($states.input)) %}",
                "Cause": "{% $string($states.input) %}",
            },
        },
    }
    result = go(definition, {"values": [1, 2, 3]})
    assert (result["error"], result["cause"]) == ("Got12", "[2,4,6]")
    assert result["history"][-1]["timestamp"] - START == 3


def test_jsonata_evaluation_errors_and_catch_with_error_output():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Bad",
        "States": {
            "Bad": {
                "Type": "Parallel",
                "Arguments": "{% $states.input.a + 'x' %}",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
                "Catch": [
                    {
                        "ErrorEquals": ["States.QueryEvaluationError"],
                        "Output": {"caught": "{% $states.errorOutput.Error %}"},
                        "Next": "Done",
                    }
                ],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    result = go(definition, {"a": 1})
    assert result["output"] == {"caught": "States.QueryEvaluationError"}
    (failed,) = [event for event in result["history"] if event["type"] == "EvaluationFailed"]
    details = failed["evaluationFailedEventDetails"]
    assert (details["error"], details["state"]) == ("States.QueryEvaluationError", "Bad")
    assert details["cause"]


def test_jsonata_time_functions_use_the_simulated_clock():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Now",
        "States": {"Now": {"Type": "Pass", "Output": "{% $now() %}", "End": True}},
    }
    assert go(definition)["output"] == "2023-11-14T22:13:20.000Z"


# -- execution limits and validation ----------------------------------------------------------------------
def test_execution_timeout():
    definition = machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=30)
    result = go(definition)
    assert (result["status"], result["error"]) == ("TIMED_OUT", "States.Timeout")
    assert types(result)[-1] == "ExecutionTimedOut"
    assert result["history"][-1]["timestamp"] - START == 30


def test_express_workflows_stop_after_five_minutes():
    result = go(machine({"W": {"Type": "Wait", "Seconds": 301, "End": True}}), workflow_type="EXPRESS")
    assert result["status"] == "TIMED_OUT"


def test_invalid_definitions_raise_with_every_problem():
    with pytest.raises(DefinitionError) as caught:
        go(machine({"A": {"Type": "Pass", "Next": "Missing"}, "B": {"Type": "Nope"}}))
    message = str(caught.value)
    assert message.startswith("Invalid State Machine Definition: ")
    assert "MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/A/Next" in message
    assert "at /States/B/Type" in message


def test_history_json_is_compact_and_keeps_non_ascii_text():
    from labs.runtime.stepfunctions.scope import dumps

    for value in [{"a": [1, 2.5, None, True]}, 'é\u2028"\n', 1e300, [], {}, {"b": {"c": [{}]}}, 0]:
        assert dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(TypeError):
        dumps({"a": object()})
    history = go(machine({"P": {"Type": "Pass", "Result": {"ü": "ß ✓"}, "End": True}}), {"x": "é"})["history"]
    assert history[1]["stateEnteredEventDetails"]["input"] == '{"x":"é"}'
    assert history[2]["stateExitedEventDetails"]["output"] == '{"ü":"ß ✓"}'


def test_the_same_run_gives_the_same_history():
    definition = machine(
        {
            "U": {
                "Type": "Pass",
                "Parameters": {"id.$": "States.UUID()", "n.$": "States.MathRandom(0, 1000)"},
                "End": True,
            }
        }
    )
    assert go(definition, seed=3)["history"] == go(definition, seed=3)["history"]
    assert go(definition, seed=3)["output"] != go(definition, seed=4)["output"]


def test_spec_example_hello_world_with_choice_and_parallel():
    """The walk-through of the Amazon States Language specification, with Pass states for tasks."""
    definition = {
        "Comment": "An example of the Amazon States Language using a choice state.",
        "StartAt": "FirstState",
        "States": {
            "FirstState": {"Type": "Pass", "Result": {"foo": 1}, "Next": "ChoiceState"},
            "ChoiceState": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.foo", "NumericEquals": 1, "Next": "FirstMatchState"},
                    {"Variable": "$.foo", "NumericEquals": 2, "Next": "SecondMatchState"},
                ],
                "Default": "DefaultState",
            },
            "FirstMatchState": {"Type": "Pass", "Result": "first", "Next": "NextState"},
            "SecondMatchState": {"Type": "Pass", "Result": "second", "Next": "NextState"},
            "DefaultState": {"Type": "Fail", "Error": "DefaultStateError", "Cause": "No Matches!"},
            "NextState": {"Type": "Pass", "End": True},
        },
    }
    assert go(definition)["output"] == "first"


def test_graph_has_nesting_edges_and_statuses_of_an_execution():
    from labs.runtime.stepfunctions.graph import state_machine_graph

    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    machine({"Ok": {"Type": "Pass", "End": True}}),
                    machine({"Bad": {"Type": "Fail", "Error": "E"}}),
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "Next": "Never",
            },
            "Never": {"Type": "Succeed"},
            "Handled": {"Type": "Succeed"},
        }
    )
    result = go(definition)
    graph = state_machine_graph(definition, result["execution"])
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert (nodes["Ok"]["parent"], nodes["Ok"]["branch"], nodes["Bad"]["branch"]) == ("P", 0, 1)
    assert {e["kind"] for e in graph["edges"] if e["from"] == "P"} == {"next", "catch"}
    assert [nodes[n]["status"] for n in ("P", "Ok", "Bad", "Never", "Handled")] == [
        "CAUGHT_ERROR",
        "SUCCEEDED",
        "FAILED",
        "NOT_RUN",
        "SUCCEEDED",
    ]


def test_cli_start_execution_validate_and_test_state(tmp_path, capsys):
    import json

    from labs.runtime.__main__ import main

    definition = tmp_path / "sm.json"
    definition.write_text(json.dumps(machine({"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}})))
    assert (
        main(
            [
                "stepfunctions",
                "start-execution",
                "--definition",
                f"file://{definition}",
                "--input",
                '{"a": 1}',
                "--history",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert (printed["status"], json.loads(printed["output"])) == ("SUCCEEDED", {"ok": True})
    assert printed["events"][0]["type"] == "ExecutionStarted"
    assert printed["events"][0]["timestamp"].endswith("+00:00")
    definition.write_text(
        '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "Next": "B"}\n  }\n}'
    )
    assert main(["stepfunctions", "validate", "--definition", f"file://{definition}"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["diagnostics"][0]["location"] == "/States/A/Next"
    assert report["diagnostics"][0]["line"] == 4
    assert main(["stepfunctions", "start-execution", "--definition", f"file://{definition}"]) == 255
    assert (
        "An error occurred (InvalidDefinition) when calling the CreateStateMachine operation"
        in capsys.readouterr().err
    )
    state = json.dumps({"Type": "Pass", "Parameters": {"x.$": "$.y"}, "End": True})
    assert (
        main(
            [
                "stepfunctions",
                "test-state",
                "--definition",
                state,
                "--input",
                '{"y": 2}',
                "--inspection-level",
                "DEBUG",
            ]
        )
        == 0
    )
    tested = json.loads(capsys.readouterr().out)
    assert json.loads(tested["inspectionData"]["afterParameters"]) == {"x": 2}


def test_test_state_inspects_jsonata_states_at_debug():
    from labs.runtime.stepfunctions import testing as sfn_testing

    state = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Assign": {"total": "{% $sum($states.input.prices) %}", "who": "{% $states.input.who %}"},
        "Output": {"n": "{% $count($states.input.prices) %}"},
        "Next": "After",
    }
    response = sfn_testing.test_state(state, {"prices": [2, 3], "who": "ana"}, inspection_level="DEBUG")
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "After")
    assert json.loads(response["output"]) == {"n": 2}
    inspection = response["inspectionData"]
    assert json.loads(inspection["input"]) == {"prices": [2, 3], "who": "ana"}
    assert json.loads(inspection["variables"]) == {"total": 5, "who": "ana"}
    assert "afterInputPath" not in inspection
    failing = dict(state, Output="{% $states.input.prices + 'x' %}")
    failed = sfn_testing.test_state(failing, {"prices": [2]}, inspection_level="DEBUG")
    assert (failed["status"], failed["error"]) == ("FAILED", "States.QueryEvaluationError")
