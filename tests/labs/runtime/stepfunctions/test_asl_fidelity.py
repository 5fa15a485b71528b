"""What AWS accepts, the runtime accepts: every Task resource AWS's integration pages list validates, a
service this runtime does not simulate fails at its state with "valid on AWS, not simulated here", JSONPath as
Jayway (AWS's engine) reads it, and ``run`` fails an execution rather than raising for values it cannot use.
Cases come from ``tests/labs/runtime/corpus/*.json``; each names the AWS page it was taken from."""

import json
import uuid
from pathlib import Path

import pytest

from labs.runtime.stepfunctions import run, validate
from labs.runtime.stepfunctions.integrations import parse_resource
from tests.labs.runtime.stepfunctions.conftest import go, machine

CORPUS = Path(__file__).parent.parent / "corpus"
RESOURCES = json.loads((CORPUS / "stepfunctions_resources.json").read_text())["cases"]
PATHS = json.loads((CORPUS / "stepfunctions_paths.json").read_text())["cases"]
DYNAMIC = json.loads((CORPUS / "stepfunctions_runtime_failures.json").read_text())["cases"]


def _task(resource: str) -> dict:
    return machine({"T": {"Type": "Task", "Resource": resource, "End": True}})


@pytest.mark.parametrize("case", RESOURCES, ids=[case["resource"] for case in RESOURCES])
def test_task_resources_validate_as_aws_accepts_them(case):
    problems = validate(_task(case["resource"]))
    assert case["source"].startswith("https://docs.aws.amazon.com/")
    if case["valid"]:
        assert problems == []
    else:
        assert [problem.code for problem in problems] == ["INVALID_RESOURCE"]


NOT_SIMULATED = [
    case["resource"] for case in RESOURCES if case["valid"] and not parse_resource(case["resource"]).simulated
]


@pytest.mark.parametrize("resource", NOT_SIMULATED)
def test_a_service_not_simulated_fails_at_its_state_with_a_clear_cause(resource):
    definition = machine(
        {
            "Before": {"Type": "Pass", "Next": "T"},
            "T": {
                "Type": "Task",
                "Resource": resource,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        }
    )
    result = go(definition, {"a": 1})
    assert result["status"] == "FAILED"  # States.Runtime: a Catch cannot hide it
    assert result["error"] == "States.Runtime"
    assert result["cause"].startswith("valid on AWS, not simulated here: ")
    assert resource in result["cause"] and "lambda:invoke" in result["cause"]
    entered = [e for e in result["history"] if e["type"].endswith("StateEntered")]
    assert entered[-1]["stateEnteredEventDetails"]["name"] == "T"


def test_lambda_function_arns_with_and_without_region_and_account_invoke_the_function(cloud, deploy):
    deploy("def handler(event, context):\n    return event['x'] * 2\n", FunctionName="double")
    account = cloud.account_id
    for resource in (
        f"arn:aws:lambda:us-east-1:{account}:function:double",
        f"arn:aws:lambda:us-east-1:{account}:function:double:$LATEST",
        "arn:aws:lambda:::function:double",
        "arn:aws:lambda:us-east-1::function:double",
    ):
        result = run(_task(resource), {"x": 21}, cloud=cloud)
        assert (resource, result["status"], result["output"]) == (resource, "SUCCEEDED", 42)


@pytest.mark.parametrize("case", PATHS, ids=[case["path"] for case in PATHS])
def test_jsonpath_as_aws_reads_it(case):
    definition = machine({"P": {"Type": "Pass", "Parameters": {"out.$": case["path"]}, "End": True}})
    assert validate(definition) == []
    result = go(definition, case["input"])
    assert (result["status"], result["output"]) == ("SUCCEEDED", {"out": case["expected"]}), case["source"]


def test_distributed_map_with_an_item_reader_validates_and_needs_an_account_to_read_from():
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": "b", "Key": "items.json"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "b", "Prefix": "out"},
                },
                "End": True,
            }
        }
    )
    assert validate(definition) == []  # state-map-distributed.html: the definition AWS's page shows
    result = go(definition)
    # simulated against an account's S3 (test_asl_distributed_map.py); without one there is nothing to read
    assert (result["status"], result["error"]) == ("FAILED", "States.ItemReaderFailed")
    assert "No simulated account" in result["cause"]


@pytest.mark.parametrize("case", DYNAMIC, ids=[case["name"] for case in DYNAMIC])
def test_a_path_field_with_an_unusable_value_fails_the_execution(case):
    definition = machine(case["states"])
    assert validate(definition) == [], case["source"]
    result = go(definition, case["input"])
    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")
    assert case["cause_contains"] in result["cause"]


INTRINSICS = json.loads((CORPUS / "stepfunctions_intrinsics.json").read_text())["cases"]


@pytest.mark.parametrize("case", INTRINSICS, ids=[case["expression"] for case in INTRINSICS])
def test_intrinsics_and_the_context_object(case):
    definition = machine({"P": {"Type": "Pass", "Parameters": {"out.$": case["expression"]}, "End": True}})
    result = go(definition, case["input"])
    assert result["status"] == "SUCCEEDED", (result["error"], result["cause"], case["source"])
    out = result["output"]["out"]
    if "expected" in case:
        assert out == case["expected"]
    elif "expected_in" in case:
        assert out in case["expected_in"]
    elif case["expected_type"] == "int":
        assert isinstance(out, int)
    else:
        assert uuid.UUID(out).version == 4


@pytest.mark.parametrize(
    "field",
    [
        "Execution.Id",
        "Execution.Name",
        "Execution.RoleArn",
        "Execution.StartTime",
        "Execution.RedriveCount",
        "State.Name",
        "State.EnteredTime",
        "State.RetryCount",
        "StateMachine.Id",
        "StateMachine.Name",
    ],
)
def test_jsonata_states_context_has_the_same_fields(field):
    # input-output-contextobject.html: the context object is $states.context in JSONata
    jsonata = machine(
        {"P": {"Type": "Pass", "Output": {"out": "{% $states.context." + field + " %}"}, "End": True}},
        QueryLanguage="JSONata",
    )
    jsonpath = machine({"P": {"Type": "Pass", "Parameters": {"out.$": "$$." + field}, "End": True}})
    assert go(jsonata)["output"] == go(jsonpath)["output"]


def _jsonata(states: dict) -> dict:
    return machine(states, QueryLanguage="JSONata")


@pytest.mark.parametrize(
    ("states", "status", "expected"),
    [
        # transforming-data.html: an expression that returns nothing fails the state.
        ({"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}}, "FAILED", None),
        # workflow-variables.html: an undefined variable is nothing too.
        ({"P": {"Type": "Pass", "Output": {"v": "{% $neverAssigned %}"}, "End": True}}, "FAILED", None),
        # null is a value, not nothing.
        (
            {"P": {"Type": "Pass", "Output": {"n": "{% $states.input.n %}"}, "End": True}},
            "SUCCEEDED",
            {"n": None},
        ),
        # workflow-variables.html: every Assign expression sees the variables as they were before the state.
        (
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"x": 2, "y": "{% $x %}"}, "Next": "C"},
                "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": True},
            },
            "SUCCEEDED",
            {"x": 2, "y": 1},
        ),
    ],
)
def test_jsonata_nothing_null_and_assign_order(states, status, expected):
    result = go(_jsonata(states), {"n": None})
    assert result["status"] == status
    if status == "FAILED":
        assert result["error"] == "States.QueryEvaluationError"
        assert result["cause"].endswith("returned nothing (undefined).")
    else:
        assert result["output"] == expected


@pytest.mark.parametrize(
    ("sdk_name", "boto3_name"),
    [
        ("s3", "s3"),
        ("sfn", "stepfunctions"),
        ("bedrockruntime", "bedrock-runtime"),
        ("cloudwatchlogs", "logs"),
        ("apigatewaymanagementapi", "apigatewaymanagementapi"),
        ("nosuchservice", None),
    ],
)
def test_aws_sdk_service_names_map_to_boto3(sdk_name, boto3_name):
    # supported-services-awssdk.html: the Resource names the service as the AWS SDK for Java v2 does
    from labs.runtime.stepfunctions.integrations import boto3_service_name

    assert boto3_service_name(sdk_name) == boto3_name


def test_an_aws_sdk_service_the_runtime_does_not_know_fails_at_its_state(cloud):
    definition = _task("arn:aws:states:::aws-sdk:nosuchservice:doIt")
    assert validate(definition) == []
    result = run(definition, {}, cloud=cloud)
    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")
    assert result["cause"].startswith(
        "valid on AWS, not simulated here: the AWS SDK integration for 'nosuchservice'"
    )


def test_the_map_item_in_the_context_object_in_jsonpath_and_jsonata():
    # input-output-contextobject.html: $$.Map.Item.Index and .Value inside a Map's ItemSelector
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    jsonpath = machine(
        {
            "M": {
                "Type": "Map",
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                "ItemProcessor": processor,
                "End": True,
            }
        }
    )
    jsonata = machine(
        {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input %}",
                "ItemSelector": {
                    "index": "{% $states.context.Map.Item.Index %}",
                    "value": "{% $states.context.Map.Item.Value %}",
                },
                "ItemProcessor": processor,
                "End": True,
            }
        },
        QueryLanguage="JSONata",
    )
    expected = [{"index": 0, "value": "a"}, {"index": 1, "value": "b"}]
    assert go(jsonpath, ["a", "b"])["output"] == expected
    assert go(jsonata, ["a", "b"])["output"] == expected


def test_a_definition_is_compiled_once_and_shared_by_its_executions():
    from labs.runtime.stepfunctions.machine import compiled_program

    definition = machine({"P": {"Type": "Pass", "Parameters": {"b": 1, "a.$": "$.x"}, "End": True}})
    assert compiled_program(definition) is compiled_program(json.loads(json.dumps(definition)))
    assert go(definition, {"x": 2})["output"] == go(definition, {"x": 2})["output"] == {"b": 1, "a": 2}
    reordered = machine({"P": {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": 1}, "End": True}})
    assert list(go(reordered, {"x": 2})["output"]) == ["a", "b"]  # its own program: key order is kept


JSONATA_NOTHING = [
    ({"Type": "Pass", "Output": "{% $states.input.gone %}", "End": True}, "Output", "$states.input.gone"),
    ({"Type": "Pass", "Output": {"a": {"b": "{% $nope %}"}}, "End": True}, "Output/a/b", "$nope"),
    (
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution",
            "Arguments": {"Input": {"pushLocation": "{% $states.input.pushLocation %}"}},
            "End": True,
        },
        "Arguments/Input/pushLocation",
        "$states.input.pushLocation",
    ),
    (
        {"Type": "Pass", "Assign": {"x": "{% $states.input.gone %}"}, "End": True},
        "Assign/x",
        "$states.input.gone",
    ),
]


@pytest.mark.parametrize(("state", "field", "text"), JSONATA_NOTHING, ids=[c[1] for c in JSONATA_NOTHING])
def test_a_jsonata_expression_that_returns_nothing_names_its_field_as_aws_does(state, field, text):
    """transforming-data.html: an expression that returns nothing fails with States.QueryEvaluationError. The
    cause in AWS's words, as a production execution recorded them: "An error occurred while executing the
    state 'Run S3 Data Push' (entered at the event id #6). The JSONata expression '$states.input.pushLocation'
    specified for the field 'Arguments/Input/pushLocation' returned nothing (undefined)." """
    result = go(machine({"S": state}, QueryLanguage="JSONata"), {})
    assert (result["status"], result["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert result["cause"] == (
        "An error occurred while executing the state 'S' (entered at the event id #2). "
        f"The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined)."
    )
    (failed,) = [event for event in result["history"] if event["type"] == "EvaluationFailed"]
    assert failed["evaluationFailedEventDetails"]["location"] == field
