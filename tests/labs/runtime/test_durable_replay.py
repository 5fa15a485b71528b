"""Durable functions: the replay model as a student meets it, run with AWS's own SDK in the sandbox.

Code outside steps runs again on every invocation; a step that completed is not run again, its checkpointed
result is returned; a step whose environment died before its result was checkpointed runs again (at least once
per retry); code that names operations differently on replay is stopped by the SDK's non-determinism check;
waits cost no wall time. https://docs.aws.amazon.com/lambda/latest/dg/durable-basic-concepts.html
"""

import json
import time

import pytest

from labs.runtime import Cloud
from tests.labs.runtime.conftest import durable_role, make_zip

COUNTING = """
import boto3
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration

def note(queue, text):
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=text)

@durable_step
def charge(step_context, event):
    note(event["queue"], "charged")
    return "receipt-" + event["order"]

@durable_execution
def handler(event, context: DurableContext):
    note(event["queue"], "handler ran")
    receipt = context.step(charge(event), name="charge-card")
    context.wait(Duration.from_days(7), name="cool-off")
    return {"receipt": receipt}
"""

RANDOM_NAMES = """
import uuid
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    context.step(lambda _: "done", name=f"reserve-{uuid.uuid4().hex[:8]}")
    context.wait(Duration.from_seconds(30), name="pause")
    return "ok"
"""


@pytest.fixture(scope="module")
def account():
    with Cloud(seed=3) as cloud:
        durable_role(cloud, actions=("sqs:*",))
        yield cloud


def _function(cloud, name: str, code: str) -> str:
    lam = cloud.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=f"arn:aws:iam::{cloud.account_id}:role/durable",
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": code})},
        Timeout=30,
        DurableConfig={"ExecutionTimeout": 30 * 86400, "RetentionPeriodInDays": 1},
    )
    return lam.publish_version(FunctionName=name)["Version"]


def _messages(cloud, queue: str) -> list[str]:
    sqs, bodies = cloud.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [m["Body"] for m in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_code_outside_steps_runs_again_on_replay_but_a_completed_step_does_not(account):
    queue = account.client("sqs").create_queue(
        QueueName="notes-replay", Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    version = _function(account, "replayed", COUNTING)
    started = time.perf_counter()
    answer = account.client("lambda").invoke(
        FunctionName="replayed",
        Qualifier=version,
        InvocationType="Event",
        Payload=json.dumps({"queue": queue, "order": "o-1"}).encode(),
    )
    account.run_until_idle()
    wall = time.perf_counter() - started
    execution = account.client("lambda").get_durable_execution(
        DurableExecutionArn=answer["DurableExecutionArn"]
    )
    assert execution["Status"] == "SUCCEEDED" and json.loads(execution["Result"]) == {
        "receipt": "receipt-o-1"
    }
    assert (execution["EndTimestamp"] - execution["StartTimestamp"]).total_seconds() == 7 * 86400
    assert wall < 5, f"a seven-day wait took {wall:.1f} s of wall time"
    # the handler ran twice (first run, replay after the wait); the step's code once
    assert sorted(_messages(account, queue)) == ["charged", "handler ran", "handler ran"]
    invocations = [
        r
        for r in account.trace.of_kind("durable_invocation")
        if r["execution_arn"] == answer["DurableExecutionArn"]
    ]
    assert [(r["replay"], r["replayed"], r["outcome"]) for r in invocations] == [
        (False, 0, "pending"),
        (True, 2, "succeeded"),
    ]


def test_an_interruption_before_the_checkpoint_runs_the_step_again(account):
    queue = account.client("sqs").create_queue(
        QueueName="notes-interrupted", Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    version = _function(account, "interrupted", COUNTING)
    account.faults.interrupt_durable("interrupted", step="charge-card")
    answer = account.client("lambda").invoke(
        FunctionName=f"interrupted:{version}",
        InvocationType="Event",
        Payload=json.dumps({"queue": queue, "order": "o-2"}).encode(),
    )
    account.run_until_idle()
    execution = account.client("lambda").get_durable_execution(
        DurableExecutionArn=answer["DurableExecutionArn"]
    )
    assert execution["Status"] == "SUCCEEDED"
    # at least once per retry: the environment died after the charge and before its checkpoint
    assert _messages(account, queue).count("charged") == 2
    faults = [r for r in account.trace.of_kind("fault_injected") if r.get("fault") == "durable_interruption"]
    assert [(f["function"], f["target"]) for f in faults] == [("interrupted", "charge-card")]
    outcomes = [
        r["outcome"]
        for r in account.trace.of_kind("durable_invocation")
        if r["execution_arn"] == answer["DurableExecutionArn"]
    ]
    assert outcomes[0] == "interrupted" and outcomes[-1] == "succeeded"
    lost = [r for r in account.trace.of_kind("invocation") if r.get("error_type") == "Runtime.ExitError"]
    assert lost, "the interrupted invocation ends as a lost environment"


def test_operation_names_that_change_on_replay_are_caught_by_the_sdk(account):
    version = _function(account, "random-names", RANDOM_NAMES)
    answer = account.client("lambda").invoke(
        FunctionName="random-names", Qualifier=version, InvocationType="Event"
    )
    account.run_until_idle()
    execution = account.client("lambda").get_durable_execution(
        DurableExecutionArn=answer["DurableExecutionArn"]
    )
    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorType"].endswith("NonDeterministicExecutionError")
    assert "Non-deterministic operation identity" in execution["Error"]["ErrorMessage"]


def test_the_sdk_is_part_of_the_python_3_13_runtime_only(account):
    lam = account.client("lambda")
    lam.create_function(
        FunctionName="old-runtime",
        Runtime="python3.12",
        Role=f"arn:aws:iam::{account.account_id}:role/durable",
        Handler="app.handler",
        Code={
            "ZipFile": make_zip(
                {"app.py": "import aws_durable_execution_sdk_python\ndef handler(e, c):\n    return 1\n"}
            )
        },
    )
    answer = lam.invoke(FunctionName="old-runtime")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Runtime.ImportModuleError"
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="python3.13"):
        lam.create_function(
            FunctionName="durable-on-old-runtime",
            Runtime="python3.12",
            Role=f"arn:aws:iam::{account.account_id}:role/durable",
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": RANDOM_NAMES})},
            DurableConfig={"ExecutionTimeout": 60},
        )


SAM_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      AutoPublishAlias: live
      DurableConfig:
        ExecutionTimeout: 3600
        RetentionPeriodInDays: 7
      Policies:
        - AWSLambdaBasicDurableExecutionRolePolicy
"""

SAM_HANDLER = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    total = context.step(lambda _: sum(event["amounts"]), name="total")
    context.wait(Duration.from_seconds(2), name="later")
    return {"total": total}
"""


def test_a_sam_durable_function_with_the_managed_policy_by_name_deploys_and_runs(tmp_path):
    from labs.runtime.cloudformation import deploy

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(SAM_HANDLER)
    with Cloud(seed=5) as cloud:
        stack = deploy(cloud, SAM_TEMPLATE, code_dir=str(tmp_path), stack_name="durable")
        lam = cloud.client("lambda")
        name = stack.physical_id("Orders")
        assert lam.get_function_configuration(FunctionName=name)["DurableConfig"] == {
            "ExecutionTimeout": 3600,
            "RetentionPeriodInDays": 7,
        }
        answer = lam.invoke(FunctionName=name, Qualifier="live", Payload=b'{"amounts": [1, 2, 3]}')
        assert json.loads(answer["Payload"].read()) == {"total": 6}  # waits 2 s (< the 3 s function timeout)
        assert ":1/durable-execution/" in answer["DurableExecutionArn"]  # the alias ran its version
