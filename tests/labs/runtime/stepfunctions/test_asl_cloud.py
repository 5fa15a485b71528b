"""State machines in a Cloud: boto3's stepfunctions client, Lambda handlers in the sandbox, service
integrations as the state machine's role, callbacks with task tokens, nested executions."""

import json

import pytest
from botocore.exceptions import ClientError

from labs.runtime.stepfunctions import run
from tests.labs.runtime.stepfunctions.conftest import create, execute, sfn_role


def test_create_validates_and_start_execution_runs_on_the_simulated_clock(cloud):
    sfn = cloud.client("stepfunctions")
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(
            name="bad",
            definition='{"StartAt": "X", "States": {}}',
            roleArn="arn:aws:iam::123456789012:role/r",
        )
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "SCHEMA_VALIDATION_FAILED" in caught.value.response["Error"]["Message"]
    machine_arn = create(
        cloud,
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}},
        "arn:aws:iam::123456789012:role/r",
    )
    arn = sfn.start_execution(stateMachineArn=machine_arn, name="first", input='{"a": 1}')["executionArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:execution:sm:first"
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    started = cloud.clock()
    cloud.run_until_idle()
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"a": 1})
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 60
    assert cloud.clock() - started == 60
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=machine_arn, name="first")
    assert caught.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    with pytest.raises(ClientError) as caught:
        sfn.describe_execution(executionArn=arn + "x")
    assert caught.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=machine_arn, input="{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"


def test_stop_execution_and_sync_express(cloud):
    sfn = cloud.client("stepfunctions")
    slow = create(
        cloud,
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}},
        "arn:aws:iam::123456789012:role/r",
        "slow",
    )
    arn = sfn.start_execution(stateMachineArn=slow)["executionArn"]
    cloud.run_for(10)
    sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped by hand")
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("ABORTED", "Operator")
    express = create(
        cloud,
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 42, "End": True}}},
        "arn:aws:iam::123456789012:role/r",
        "fast",
        "EXPRESS",
    )
    response = sfn.start_sync_execution(stateMachineArn=express, input="{}")
    assert (response["status"], response["output"]) == ("SUCCEEDED", "42")
    with pytest.raises(ClientError) as caught:
        sfn.start_sync_execution(stateMachineArn=slow)
    assert caught.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_lambda_tasks_by_arn_and_by_lambda_invoke_with_retry_and_catch(cloud, deploy):
    deploy(
        """
        def handler(event, context):
            if event.get("n", 0) < 0:
                raise ValueError("negative: " + str(event["n"]))
            return {"squared": event["n"] ** 2}
        """,
        FunctionName="square",
    )
    role = sfn_role(cloud)
    definition = {
        "StartAt": "ByArn",
        "States": {
            "ByArn": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:square",
                "ResultPath": "$.first",
                "Next": "ByIntegration",
            },
            "ByIntegration": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "square", "Payload": {"n.$": "$.first.squared"}},
                "ResultSelector": {"value.$": "$.Payload.squared", "status.$": "$.StatusCode"},
                "Retry": [{"ErrorEquals": ["ValueError"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Pass", "End": True},
        },
    }
    machine_arn = create(cloud, definition, role)
    described, arn = execute(cloud, machine_arn, {"n": 3})
    assert json.loads(described["output"]) == {
        "value": 81,
        "status": 200,
    }  # no ResultPath: the result replaces
    types = [
        e["type"] for e in cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    ]
    assert "LambdaFunctionScheduled" in types and "LambdaFunctionSucceeded" in types
    assert "TaskScheduled" in types and "TaskSucceeded" in types
    states = {name: spec for name, spec in definition["States"].items() if name != "ByArn"}
    failing = create(cloud, {"StartAt": "ByIntegration", "States": states}, role, "failing")
    described, arn = execute(cloud, failing, {"n": 1, "first": {"squared": -2}})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["error"]["Error"] == "ValueError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "negative: -2"
    events = cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in events].count("TaskFailed") == 3  # the first attempt and two retries


def test_unknown_function_and_missing_permission(cloud, deploy):
    deploy("def handler(event, context):\n    return 1\n", FunctionName="ok")
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "nope"},
                "End": True,
            }
        },
    }
    described, _ = execute(cloud, create(cloud, definition, sfn_role(cloud)))
    assert described["error"] == "Lambda.ResourceNotFoundException"
    no_rights = sfn_role(cloud, "no-rights", actions=())
    definition["States"]["Call"]["Parameters"]["FunctionName"] = "ok"
    described, _ = execute(cloud, create(cloud, definition, no_rights, "denied"))
    assert described["error"] == "Lambda.AccessDeniedException"
    assert "is not authorized to perform: lambda:InvokeFunction" in described["cause"]


def test_wait_for_task_token_answered_by_a_handler(cloud, deploy):
    deploy(
        """
        import json, boto3
        def handler(event, context):
            boto3.client("stepfunctions").send_task_success(
                taskToken=event["token"], output=json.dumps({"approved": event["amount"] < 100}))
            return "sent"
        """,
        FunctionName="approver",
        actions=["states:SendTaskSuccess"],
    )
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "approver",
                    "Payload": {"token.$": "$$.Task.Token", "amount.$": "$.amount"},
                },
                "End": True,
            }
        },
    }
    described, arn = execute(cloud, create(cloud, definition, sfn_role(cloud)), {"amount": 40})
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"approved": True})
    types = [
        e["type"] for e in cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    ]
    assert types.index("TaskSubmitted") < types.index("TaskSucceeded")


def test_wait_for_task_token_from_a_queue_failure_and_heartbeat_timeout(cloud):
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    role = sfn_role(cloud, actions=("sqs:SendMessage",))
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "HeartbeatSeconds": 600,
                "End": True,
            }
        },
    }
    machine_arn = create(cloud, definition, role)
    sfn = cloud.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn)["executionArn"]
    cloud.run_for(1)
    token = json.loads(sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"])["token"]
    cloud.run_for(500)
    sfn.send_task_heartbeat(taskToken=token)
    cloud.run_for(500)  # 1,000 s since start: alive thanks to the heartbeat
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="too expensive")
    cloud.run_until_idle()
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Rejected",
        "too expensive",
    )
    with pytest.raises(ClientError) as caught:
        sfn.send_task_success(taskToken=token, output="{}")
    assert caught.value.response["Error"]["Code"] == "TaskDoesNotExist"
    silent = sfn.start_execution(stateMachineArn=machine_arn)["executionArn"]
    cloud.run_until_idle()
    described = sfn.describe_execution(executionArn=silent)
    assert (described["status"], described["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 600


def test_service_integrations_dynamodb_sns_and_nested_sync_execution(cloud):
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = cloud.client("sns").create_topic(Name="done")["TopicArn"]
    role = sfn_role(
        cloud, actions=("dynamodb:PutItem", "dynamodb:GetItem", "sns:Publish", "states:StartExecution")
    )
    child = create(
        cloud,
        {
            "StartAt": "Double",
            "States": {
                "Double": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": True}
            },
        },
        role,
        "child",
    )
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}, "total": {"N": "12"}}},
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
                "ResultSelector": {"total.$": "$.Item.total.N"},
                "ResultPath": "$.stored",
                "Next": "Child",
            },
            "Child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n": 21}},
                "ResultSelector": {"twice.$": "$.Output.twice"},
                "ResultPath": "$.child",
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": topic, "Message.$": "$"},
                "ResultSelector": {"sent.$": "States.ArrayLength(States.Array($.MessageId))"},
                "ResultPath": "$.notified",
                "End": True,
            },
        },
    }
    described, _ = execute(cloud, create(cloud, definition, role), {"id": "o-1"})
    assert json.loads(described["output"]) == {
        "id": "o-1",
        "stored": {"total": "12"},
        "child": {"twice": 42},
        "notified": {"sent": 1},
    }
    assert dynamodb.get_item(TableName="orders", Key={"id": {"S": "o-1"}})["Item"]["total"] == {"N": "12"}
    definition["States"]["Put"]["Parameters"]["TableName"] = "missing"
    described, _ = execute(cloud, create(cloud, definition, role, "broken"), {"id": "o-2"})
    assert described["error"] == "DynamoDB.ResourceNotFoundException"


def test_test_state_api_with_debug_inspection(cloud):
    response = cloud.client("stepfunctions").test_state(
        definition=json.dumps(
            {
                "Type": "Pass",
                "InputPath": "$.order",
                "Parameters": {"id.$": "$.id"},
                "ResultPath": "$.picked",
                "Next": "Later",
            }
        ),
        roleArn="arn:aws:iam::123456789012:role/r",
        input=json.dumps({"order": {"id": 7}}),
        inspectionLevel="DEBUG",
    )
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "Later"
    assert json.loads(response["output"]) == {"order": {"id": 7}, "picked": {"id": 7}}
    assert json.loads(response["inspectionData"]["afterInputPath"]) == {"id": 7}
    assert json.loads(response["inspectionData"]["afterParameters"]) == {"id": 7}


def test_validate_state_machine_definition_api(cloud):
    response = cloud.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}})
    )
    assert response["result"] == "FAIL"
    assert response["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"
    assert response["diagnostics"][0]["location"] == "/States/A/Next"


def test_run_with_a_cloud_uses_its_functions(cloud, deploy):
    deploy("def handler(event, context):\n    return event['x'] + 1\n", FunctionName="inc")
    result = run(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:inc",
                    "End": True,
                }
            },
        },
        {"x": 1},
        cloud=cloud,
    )
    assert (result["status"], result["output"]) == ("SUCCEEDED", 2)


def test_test_state_reports_retriable_and_caught_errors_without_retrying(cloud, deploy):
    deploy(
        "calls = []\n"
        "def handler(event, context):\n"
        "    calls.append(1)\n"
        "    raise ValueError(f'call {len(calls)}')\n",
        FunctionName="flaky",
    )
    role = sfn_role(cloud)
    sfn = cloud.client("stepfunctions")
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "flaky", "Payload": {}},
        "Retry": [{"ErrorEquals": ["ValueError"], "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
        "End": True,
    }
    retriable = sfn.test_state(definition=json.dumps(task), roleArn=role, input="{}")
    assert (retriable["status"], retriable["error"]) == ("RETRIABLE", "ValueError")
    assert "call 1" in retriable["cause"]  # one attempt only: TestState does not retry
    assert "nextState" not in retriable
    task["Retry"] = [{"ErrorEquals": ["ValueError"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]
    caught = sfn.test_state(definition=json.dumps(task), roleArn=role, input="{}")
    assert (caught["status"], caught["nextState"]) == ("CAUGHT_ERROR", "Recover")
    del task["Catch"]
    failed = sfn.test_state(definition=json.dumps(task), roleArn=role, input="{}")
    assert (failed["status"], failed["error"]) == ("FAILED", "ValueError")


def test_task_timeout_seconds_bounds_a_lambda_invocation(cloud, deploy):
    deploy(
        "import time\ndef handler(event, context):\n    time.sleep(1.2)\n    return 1\n", FunctionName="slow"
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:slow"
    definition = {
        "StartAt": "ByArn",
        "States": {
            "ByArn": {
                "Type": "Task",
                "Resource": arn,
                "TimeoutSeconds": 1,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.first", "Next": "ByInvoke"}],
                "Next": "ByInvoke",
            },
            "ByInvoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "slow"},
                "TimeoutSeconds": 1,
                "End": True,
            },
        },
    }
    described, arn = execute(cloud, create(cloud, definition, sfn_role(cloud)))
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    history = cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    types = [event["type"] for event in history]
    assert "LambdaFunctionTimedOut" in types and "TaskTimedOut" in types
    definition["States"]["ByInvoke"]["TimeoutSeconds"] = 5
    described, _ = execute(cloud, create(cloud, definition, sfn_role(cloud, "patient"), "patient"))
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["Payload"] == 1
