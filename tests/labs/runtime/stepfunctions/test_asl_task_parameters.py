"""A Task whose parameters the SDK refuses (missing, unknown or wrongly typed) fails as the task does on AWS:
``States.TaskFailed`` with the validation message as the cause, caught like any task failure, for every kind
of integration, never an error of the runtime itself. Error names: "Error handling in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html"""

import json

import pytest

from tests.labs.runtime.stepfunctions.conftest import create, execute, sfn_role

ACTIONS = ("dynamodb:PutItem", "sqs:SendMessage", "lambda:InvokeFunction", "sns:Publish")


def one_task(resource, parameters, catch=False):
    task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    states = {"Call": task}
    if catch:
        task["Catch"] = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}]
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "Call", "States": states}


@pytest.mark.parametrize(
    ("resource", "parameters", "says"),
    [
        # optimized integrations
        (
            "arn:aws:states:::dynamodb:putItem",
            {"Item": {"id": {"S": "1"}}},
            'Missing required parameter in input: "TableName"',
        ),
        (
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": "t", "Item": {"id": {"S": "1"}}, "Colour": "red"},
            'Unknown parameter in input: "Colour"',
        ),
        (
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": 7, "Item": {"id": {"S": "1"}}},
            "Invalid type for parameter TableName",
        ),
        (
            "arn:aws:states:::sqs:sendMessage",
            {"MessageBody": "hi"},
            'Missing required parameter in input: "QueueUrl"',
        ),
        (
            "arn:aws:states:::sns:publish",
            {"Message": "hi", "Subject": ["a"]},
            "Invalid type for parameter Subject",
        ),
        (
            "arn:aws:states:::lambda:invoke",
            {"Payload": {}},
            'Missing required parameter in input: "FunctionName"',
        ),
        # AWS SDK integrations
        (
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            {"QueueUrl": "q"},
            'Missing required parameter in input: "MessageBody"',
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            {"TableName": "t", "Key": {"id": {"S": "1"}}, "Nope": 1},
            'Unknown parameter in input: "Nope"',
        ),
    ],
)
def test_parameters_the_sdk_refuses_fail_the_task_with_states_task_failed(cloud, resource, parameters, says):
    role = sfn_role(cloud, actions=ACTIONS)
    described, arn = execute(cloud, create(cloud, one_task(resource, parameters), role), {})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.TaskFailed"
    assert says in described["cause"]
    history = cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    failed = [event for event in history if event["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    assert failed, [event["type"] for event in history]


def test_a_refused_parameter_is_caught_like_any_task_failure(cloud):
    role = sfn_role(cloud, actions=ACTIONS)
    definition = one_task("arn:aws:states:::aws-sdk:sqs:sendMessage", {"QueueUrl": "q"}, catch=True)
    described, _ = execute(cloud, create(cloud, definition, role), {"order": 1})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["order"] == 1
    assert output["error"]["Error"] == "States.TaskFailed"
    assert "MessageBody" in output["error"]["Cause"]
