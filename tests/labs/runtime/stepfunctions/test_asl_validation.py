"""Validation as CreateStateMachine does it: every problem at once, with AWS's code, pointer and line."""

import json

import pytest

from labs.runtime.stepfunctions import validate


def problems(states, start=None, **top):
    definition = {"StartAt": start or next(iter(states)), "States": states, **top}
    return [(p.code, p.location) for p in validate(definition)]


def pass_end():
    return {"Type": "Pass", "End": True}


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"A": {"Type": "Pass"}}, ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        ({"A": {"Type": "Pass", "Next": "A", "End": True}}, ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        ({"A": {"Type": "Pass", "Next": "Z"}}, ("MISSING_TRANSITION_TARGET", "/States/A/Next")),
        ({"A": {"Type": "Loop", "End": True}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/Type")),
        ({"A": {**pass_end(), "Unknown": 1}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/Unknown")),
        ({"A": {**pass_end(), "Arguments": {}}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/Arguments")),
        ({"A": {**pass_end(), "InputPath": "a.b"}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath")),
        ({"A": {**pass_end(), "ResultPath": "$.a[*]"}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath")),
        (
            {"A": {**pass_end(), "Parameters": {"x.$": "States.Nope()"}}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
        ),
        (
            {"A": {**pass_end(), "Parameters": {"x.$": 3}}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
        ),
        (
            {"A": {"Type": "Task", "Resource": "arn:aws:states:::nope:doIt", "End": True}},
            ("INVALID_RESOURCE", "/States/A/Resource"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "TimeoutSeconds": 5,
                    "HeartbeatSeconds": 5,
                    "End": True,
                }
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds"),
        ),
        ({"A": {"Type": "Wait", "End": True}}, ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A"),
        ),
        (
            {"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": True}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Timestamp"),
        ),
        (
            {"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A"),
        ),
        ({"A": {"Type": "Choice", "Choices": []}}, ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices")),
        (
            {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "Next": "B"}]}, "B": pass_end()},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0"),
        ),
        (
            {
                "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "B"}]},
                "B": pass_end(),
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/NumericEquals"),
        ),
        (
            {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Z"}]}},
            ("MISSING_TRANSITION_TARGET", "/States/A/Choices/0/Next"),
        ),
        (
            {
                "A": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "B"}],
                    "Default": "Z",
                },
                "B": pass_end(),
            },
            ("MISSING_TRANSITION_TARGET", "/States/A/Default"),
        ),
        (
            {"A": {"Type": "Parallel", "Branches": [], "End": True}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Branches"),
        ),
        (
            {
                "A": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}],
                    "End": True,
                }
            },
            ("MISSING_TRANSITION_TARGET", "/States/A/Branches/0/States/X/Next"),
        ),
        ({"A": {"Type": "Map", "End": True}}, ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {
                "A": {
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "X", "States": {"X": pass_end()}},
                    "ToleratedFailurePercentage": 120,
                    "End": True,
                }
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/ToleratedFailurePercentage"),
        ),
        (
            {
                "A": {
                    **pass_end(),
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": pass_end()}}],
                    "Retry": [{"ErrorEquals": ["States.ALL", "E"]}],
                }
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals"),
        ),
        (
            {
                "A": {
                    **pass_end(),
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": pass_end()}}],
                    "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}],
                }
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/BackoffRate"),
        ),
        (
            {
                "A": {
                    **pass_end(),
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": pass_end()}}],
                    "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "SOME"}],
                }
            },
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/JitterStrategy"),
        ),
        (
            {
                "A": {
                    **pass_end(),
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": pass_end()}}],
                    "Catch": [{"ErrorEquals": ["E"], "Next": "Z"}],
                }
            },
            ("MISSING_TRANSITION_TARGET", "/States/A/Catch/0/Next"),
        ),
        ({"A": pass_end(), "B": pass_end()}, ("UNREACHABLE_STATE", "/States/B")),
        (
            {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
            ("NO_TERMINAL_STATE", "/States"),
        ),
        (
            {"A": {**pass_end(), "QueryLanguage": "JSONata", "Output": "{% $states.input. %}"}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Output"),
        ),
        (
            {"A": {**pass_end(), "QueryLanguage": "JSONata", "InputPath": "$"}},
            ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
        ),
    ],
)
def test_each_problem_is_reported_where_it_is(states, expected):
    assert expected in problems(states)


def task(**fields):
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True, **fields}


def inline_map(**fields):
    processor = {"StartAt": "X", "States": {"X": pass_end()}}
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


@pytest.mark.parametrize(
    "state",
    [
        task(TimeoutSeconds=5, TimeoutSecondsPath="$.t"),
        task(HeartbeatSeconds=5, HeartbeatSecondsPath="$.h"),
        inline_map(MaxConcurrency=2, MaxConcurrencyPath="$.m"),
        inline_map(ToleratedFailureCount=1, ToleratedFailureCountPath="$.c"),
        inline_map(ToleratedFailurePercentage=10, ToleratedFailurePercentagePath="$.p"),
        inline_map(ItemSelector={"a.$": "$"}, Parameters={"a.$": "$"}),
    ],
)
def test_a_value_and_its_path_form_together_are_refused(state):
    found = validate({"StartAt": "A", "States": {"A": state}})
    assert [(p.code, p.location) for p in found] == [("SCHEMA_VALIDATION_FAILED", "/States/A")]
    assert found[0].message.startswith("Only one of ")


@pytest.mark.parametrize(
    ("assign", "where", "says"),
    [
        ({"states": 1}, "/States/A/Assign/states", "reserved"),
        ({"2fast": 1}, "/States/A/Assign/2fast", "Invalid variable name '2fast'"),
        ({"has-dash.$": "$.x"}, "/States/A/Assign/has-dash.$", "Invalid variable name 'has-dash'"),
        ({"x" * 81: 1}, "/States/A/Assign/" + "x" * 81, "at most 80 characters"),
    ],
)
def test_variable_names_are_checked(assign, where, says):
    (problem,) = validate({"StartAt": "A", "States": {"A": {**pass_end(), "Assign": assign}}})
    assert problem.location == where
    assert says in problem.message


def test_choice_rule_assignments_are_checked_too():
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B", "Assign": {"bad name": 1}}],
        "Default": "B",
    }
    (problem,) = validate({"StartAt": "A", "States": {"A": choice, "B": pass_end()}})
    assert problem.location == "/States/A/Choices/0/Assign/bad name"
    assert validate({"StartAt": "A", "States": {"A": {**pass_end(), "Assign": {"_ok1": 1}}}}) == []


def test_top_level_problems():
    assert ("MISSING_TRANSITION_TARGET", "/StartAt") in problems({"A": pass_end()}, start="Z")
    assert [p.code for p in validate({"StartAt": "A", "States": {}})] == ["SCHEMA_VALIDATION_FAILED"]
    assert ("SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds") in problems({"A": pass_end()}, TimeoutSeconds=0)
    assert ("SCHEMA_VALIDATION_FAILED", "/Extra") in problems({"A": pass_end()}, Extra=1)


def test_all_problems_at_once_with_lines_from_the_text():
    text = json.dumps(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "Missing"},
                "B": {"Type": "Wait", "End": True},
                "C": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "End": True,
                    "Parameters": {"p.$": "$["},
                },
            },
        },
        indent=2,
    )
    found = validate(text)
    codes = {(p.code, p.location) for p in found}
    assert ("MISSING_TRANSITION_TARGET", "/States/A/Next") in codes
    assert ("SCHEMA_VALIDATION_FAILED", "/States/B") in codes
    assert ("SCHEMA_VALIDATION_FAILED", "/States/C/Parameters/p.$") in codes
    assert ("UNREACHABLE_STATE", "/States/C") in codes
    lines = text.splitlines()
    for problem in found:
        key = problem.location.rsplit("/", 1)[-1]
        assert f'"{key}"' in lines[problem.line - 1]
    assert str(found[0]).startswith(
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/A/Next (line "
    )


def test_text_that_is_not_json():
    (problem,) = validate('{"StartAt": "A",\n "States": {')
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert problem.line == 2


def test_valid_definitions_have_no_problems():
    assert validate({"StartAt": "A", "States": {"A": pass_end()}}) == []
    jsonata = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.x > 1 %}", "Next": "B"}],
                "Default": "B",
            },
            "B": {"Type": "Succeed"},
        },
    }
    assert validate(jsonata) == []
