"""boto3 inside handlers: served by the simulated account over the private channel, authorized by IAM."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.runtime.iam.policy import evaluate

HANDLER = """
import boto3, json
def handler(event, context):
    ddb = boto3.resource("dynamodb").Table("items")
    ddb.put_item(Item={"id": "a", "n": 1})
    s3 = boto3.client("s3")
    s3.put_object(Bucket="lab-bucket", Key="k1", Body=b"hello")
    queue = boto3.client("sqs").get_queue_url(QueueName="q")["QueueUrl"]
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="m")
    boto3.client("sns").publish(TopicArn=event["topic"], Message="hi")
    return {
        "item": ddb.get_item(Key={"id": "a"})["Item"],
        "body": s3.get_object(Bucket="lab-bucket", Key="k1")["Body"].read().decode(),
        "keys": [o["Key"] for o in s3.list_objects_v2(Bucket="lab-bucket")["Contents"]],
        "me": boto3.client("sts").get_caller_identity()["Arn"],
    }
"""

REPO_ROOT = str(Path(__file__).resolve().parents[3])


def _resources(cloud):
    cloud.client("dynamodb").create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    cloud.client("s3").create_bucket(Bucket="lab-bucket")
    queue = cloud.client("sqs").create_queue(QueueName="q")["QueueUrl"]
    topic = cloud.client("sns").create_topic(Name="t")["TopicArn"]
    return queue, topic


def test_handler_uses_dynamodb_s3_sqs_sns(cloud, deploy, invoke):
    queue, topic = _resources(cloud)
    name = deploy(HANDLER, actions=["dynamodb:*", "s3:*", "sqs:*", "sns:Publish"])
    response, payload, _ = invoke(name, {"topic": topic})
    assert "FunctionError" not in response, payload
    assert (
        payload["item"] == {"id": "a", "n": 1.0} and payload["body"] == "hello" and payload["keys"] == ["k1"]
    )
    role = cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["Role"].rsplit("/", 1)[-1]
    assert payload["me"] == f"arn:aws:sts::{cloud.account_id}:assumed-role/{role}/{name}"
    messages = cloud.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    assert messages[0]["Body"] == "m"
    calls = [
        (e["service"], e["operation"]) for e in cloud.trace.of_kind("api_call") if e["principal"] != "host"
    ]
    assert ("dynamodb", "PutItem") in calls and ("sns", "Publish") in calls
    invocation = cloud.trace.of_kind("invocation")[0]
    assert all(
        e["cause"] == invocation["seq"] for e in cloud.trace.of_kind("api_call") if e["principal"] != "host"
    )


def test_access_denied_names_role_action_and_resource(cloud, deploy, invoke):
    _resources(cloud)
    code = """
    import boto3
    def handler(event, context):
        try:
            boto3.client("dynamodb").put_item(TableName="items", Item={"id": {"S": "x"}})
        except Exception as error:
            return {"code": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
    """
    name = deploy(code, actions=["s3:GetObject"])
    _, payload, _ = invoke(name)
    assert payload["code"] == "AccessDeniedException"
    assert (
        f"is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:{cloud.account_id}:table/items"
        in payload["message"]
    )
    assert ":assumed-role/role-" in payload["message"]
    denied = [e for e in cloud.trace.of_kind("api_call") if e["status"] >= 400]
    assert denied and denied[0]["operation"] == "PutItem"


def test_explicit_deny_and_not_action():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::keep/*"},
        ],
    }
    assert evaluate([policy], "s3:GetObject", "arn:aws:s3:::keep/a").allowed
    assert evaluate([policy], "s3:DeleteObject", "arn:aws:s3:::keep/a").reason == "explicit_deny"
    assert not evaluate([policy], "iam:CreateUser", "*").allowed


def test_conditions_and_resource_policies():
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": "arn:aws:lambda:us-east-1:1:function:f",
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads-*"}},
    }
    policy = {"Statement": [statement]}
    caller = {"service": "s3.amazonaws.com"}
    resource = "arn:aws:lambda:us-east-1:1:function:f"
    assert evaluate(
        [policy], "lambda:InvokeFunction", resource, {"aws:SourceArn": "arn:aws:s3:::uploads-1"}, caller
    ).allowed
    assert not evaluate(
        [policy], "lambda:InvokeFunction", resource, {"aws:SourceArn": "arn:aws:s3:::other"}, caller
    ).allowed
    assert not evaluate(
        [policy],
        "lambda:InvokeFunction",
        resource,
        {"aws:SourceArn": "arn:aws:s3:::uploads-1"},
        {"service": "sns.amazonaws.com"},
    ).allowed


def test_a_handler_can_invoke_another_function(cloud, deploy, invoke):
    callee = deploy("def handler(event, context):\n    return event['n'] * 2\n")
    caller = deploy(
        "import boto3, json\ndef handler(event, context):\n"
        f"    r = boto3.client('lambda').invoke(FunctionName='{callee}', Payload=json.dumps({{'n': 21}}))\n"
        "    return json.loads(r['Payload'].read())\n",
        actions=["lambda:InvokeFunction"],
    )
    assert invoke(caller)[1] == 42


CALL_OTHER = (
    "import boto3, json\ndef handler(event, context):\n"
    "    try:\n"
    "        r = boto3.client('lambda').invoke(FunctionName=event['callee'], Payload=json.dumps({'n': 21}))\n"
    "    except Exception as error:\n"
    "        return {'code': error.response['Error']['Code'], 'message': error.response['Error']['Message']}\n"
    "    return json.loads(r['Payload'].read())\n"
)


def test_a_function_resource_policy_decides_who_may_invoke_it(cloud, deploy, invoke):
    callee = deploy("def handler(event, context):\n    return event['n'] * 2\n")
    caller = deploy(CALL_OTHER, actions=["s3:GetObject"])  # no lambda:InvokeFunction in its role
    denied = invoke(caller, {"callee": callee})[1]
    assert denied["code"] == "AccessDeniedException"
    assert (
        f"lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:{cloud.account_id}:function:{callee}"
        in (denied["message"])
    )

    aws_lambda = cloud.client("lambda")
    caller_role = aws_lambda.get_function(FunctionName=caller)["Configuration"]["Role"]
    other = deploy("def handler(event, context):\n    return 0\n")
    other_role = aws_lambda.get_function(FunctionName=other)["Configuration"]["Role"]
    aws_lambda.add_permission(
        FunctionName=callee,
        StatementId="other-only",
        Action="lambda:InvokeFunction",
        Principal=other_role,
    )
    assert invoke(caller, {"callee": callee})[1]["code"] == "AccessDeniedException"  # names someone else

    aws_lambda.add_permission(
        FunctionName=callee, StatementId="caller", Action="lambda:InvokeFunction", Principal=caller_role
    )
    assert invoke(caller, {"callee": callee})[1] == 42


def test_an_explicit_deny_in_the_role_beats_the_function_policy(cloud, deploy, invoke):
    callee = deploy("def handler(event, context):\n    return event['n'] * 2\n")
    deny = {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}
    caller = deploy(CALL_OTHER, policy=[deny])
    aws_lambda = cloud.client("lambda")
    caller_role = aws_lambda.get_function(FunctionName=caller)["Configuration"]["Role"]
    aws_lambda.add_permission(
        FunctionName=callee, StatementId="caller", Action="lambda:InvokeFunction", Principal=caller_role
    )
    denied = invoke(caller, {"callee": callee})[1]
    assert denied["code"] == "AccessDeniedException"
    assert "with an explicit deny in an identity-based policy" in denied["message"]


def test_import_loads_no_django():
    code = "import sys, labs.runtime; labs.runtime.Cloud; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.replace("'", '"')) == []


@pytest.mark.parametrize("block", [None, "aws:SourceArn", {"ArnEquals": None}, {"ArnEquals": ["x"]}])
def test_a_malformed_condition_block_never_allows_and_never_crashes(block):
    # e.g. a SAM template whose `ArnEquals:` was left empty: YAML gives null where a map of keys belongs.
    # AWS refuses such a policy; evaluating it must not raise, and it must not widen an Allow.
    statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*", "Condition": block}
    decision = evaluate([{"Version": "2012-10-17", "Statement": [statement]}], "sqs:SendMessage", "*", {})
    assert decision.allowed is (block is None)
