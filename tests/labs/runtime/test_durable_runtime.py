"""Durable functions: what the runtime promises beyond the comparison with AWS's local testing SDK.

Starting (qualified only, supported runtimes, aliases, idempotent names, synchronous invokes), faults, permissions,
the checkpoint token, stop, retention, the execution timeout, listing, handlers that are not durable, and the
simulated clock (https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html, durable-security.html,
durable-execution-idempotency.html, and the API_*DurableExecution* reference pages).
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from labs.runtime import Cloud
from labs.runtime.durable.checkpoints import CheckpointError, apply_updates
from labs.runtime.durable.model import DurableExecution
from tests.labs.runtime.conftest import TRUST_POLICY, durable_role, make_zip

HEAD = """
import boto3
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
"""

ORDER = """
@durable_step
def charge(step_context, event):
    if event.get("queue"):
        boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody="charged " + event["order"])
    return "receipt-" + event["order"]

@durable_execution
def handler(event, context: DurableContext):
    receipt = context.step(charge(event), name="charge-card")
    context.wait(Duration.from_seconds(event.get("wait", 60)), name="cool-off")
    return {"receipt": receipt}
"""

CALLBACK = """
@durable_execution
def handler(event, context: DurableContext):
    config = CallbackConfig(timeout=Duration.from_hours(1), heartbeat_timeout=Duration.from_minutes(event["beat"]))
    return context.create_callback(name="approval", config=config).result()
"""

NOT_DECORATED = """
def handler(event, context):
    return {"hello": "world"}
"""


@pytest.fixture(scope="module")
def account():
    with Cloud(seed=5) as cloud:
        durable_role(cloud, actions=("sqs:*",))
        cloud.client("iam").create_role(RoleName="plain", AssumeRolePolicyDocument=TRUST_POLICY)
        yield cloud


def _deploy(cloud, name: str, code: str, role: str = "durable", runtime: str = "python3.13", **config) -> str:
    lam = cloud.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=f"arn:aws:iam::{cloud.account_id}:role/{role}",
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": HEAD + code})},
        Timeout=30,
        DurableConfig={"ExecutionTimeout": 30 * 86400, "RetentionPeriodInDays": 7, **config},
    )
    return lam.publish_version(FunctionName=name)["Version"]


def _start(cloud, name: str, version: str, payload: dict, **kwargs) -> str:
    answer = cloud.client("lambda").invoke(
        FunctionName=name,
        Qualifier=version,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
        **kwargs,
    )
    assert answer["StatusCode"] == 202
    return answer["DurableExecutionArn"]


def _describe(cloud, arn: str) -> dict:
    return cloud.client("lambda").get_durable_execution(DurableExecutionArn=arn)


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


# -- starting -------------------------------------------------------------------------------------------------
def test_an_unqualified_invoke_is_refused_with_aws_message(account):
    _deploy(account, "unqualified", ORDER)
    with pytest.raises(ClientError) as refused:
        account.client("lambda").invoke(FunctionName="unqualified", Payload=b"{}")
    assert _code(refused.value) == "InvalidParameterValueException"
    assert "You cannot invoke a durable function using an unqualified ARN." in str(refused.value)


def test_a_durable_config_on_python_3_12_is_refused(account):
    with pytest.raises(ClientError) as refused:
        _deploy(account, "old-runtime", ORDER, runtime="python3.12")
    assert _code(refused.value) == "InvalidParameterValueException"
    assert "python3.12" in str(refused.value) and "python3.13" in str(refused.value)


def test_an_alias_runs_its_version_and_the_arn_names_the_version(account):
    lam = account.client("lambda")
    version = _deploy(account, "aliased", ORDER)
    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion=version)
    arn = lam.invoke(
        FunctionName="aliased", Qualifier="live", InvocationType="Event", Payload=b'{"order": "a-1"}'
    )["DurableExecutionArn"]
    assert arn.startswith(f"arn:aws:lambda:{account.region}:{account.account_id}:function:aliased:{version}/")
    assert "/durable-execution/" in arn and ":live" not in arn
    account.run_until_idle()
    described = _describe(account, arn)
    assert described["Status"] == "SUCCEEDED" and described["Version"] == version
    assert json.loads(described["Result"]) == {"receipt": "receipt-a-1"}


def test_the_same_execution_name_and_input_return_the_same_execution(account):
    version = _deploy(account, "named", ORDER)
    first = _start(account, "named", version, {"order": "n-1"}, DurableExecutionName="order-n-1")
    again = _start(account, "named", version, {"order": "n-1"}, DurableExecutionName="order-n-1")
    assert first == again and "/durable-execution/order-n-1/" in first
    with pytest.raises(ClientError) as conflict:
        _start(account, "named", version, {"order": "other"}, DurableExecutionName="order-n-1")
    assert _code(conflict.value) == "DurableExecutionAlreadyStartedException"
    account.run_until_idle()
    listed = account.client("lambda").list_durable_executions_by_function(
        FunctionName="named", Qualifier=version
    )
    assert [row["DurableExecutionArn"] for row in listed["DurableExecutions"]] == [first]


def test_a_synchronous_invoke_returns_the_execution_result(account):
    """Within the synchronous limit: 15 minutes, or the function's (here 30 s) or execution's timeout if lower
    (durable-invoking.html)."""
    version = _deploy(account, "sync", ORDER)
    answer = account.client("lambda").invoke(
        FunctionName="sync", Qualifier=version, Payload=b'{"order": "s-1", "wait": 20}'
    )
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"receipt": "receipt-s-1"}
    assert _describe(account, answer["DurableExecutionArn"])["Status"] == "SUCCEEDED"


def test_seven_days_of_waiting_take_under_two_seconds(account):
    version = _deploy(account, "week", ORDER)
    arn = _start(account, "week", version, {"order": "w-1", "wait": 7 * 86400})
    account.run_for(60)  # the first invocation (and its cold start) ran; the execution waits
    assert _describe(account, arn)["Status"] == "RUNNING"
    began = time.perf_counter()
    account.run_until_idle()
    assert time.perf_counter() - began < 2
    described = _describe(account, arn)
    assert described["Status"] == "SUCCEEDED"
    assert (described["EndTimestamp"] - described["StartTimestamp"]).total_seconds() >= 7 * 86400


# -- faults and permissions -----------------------------------------------------------------------------------
def test_an_interrupted_step_runs_twice_and_the_execution_still_succeeds(account):
    queue = account.client("sqs").create_queue(QueueName="charges")["QueueUrl"]
    version = _deploy(account, "interrupted", ORDER)
    account.faults.interrupt_durable("interrupted", step="charge-card")
    arn = _start(account, "interrupted", version, {"order": "i-1", "queue": queue})
    account.run_until_idle()
    assert _describe(account, arn)["Status"] == "SUCCEEDED"
    messages = account.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["charged i-1", "charged i-1"]  # at least once per retry
    faults = [r for r in account.trace.of_kind("fault_injected") if r.get("fault") == "durable_interruption"]
    assert len(faults) == 1 and faults[0]["target"] == "charge-card"
    outcomes = [
        r["outcome"] for r in account.trace.of_kind("durable_invocation") if r["execution_arn"] == arn
    ]
    assert outcomes[0] == "interrupted" and outcomes[-1] == "succeeded"


def test_a_role_without_the_durable_permissions_fails_the_execution(account):
    version = _deploy(account, "unpermitted", ORDER, role="plain")
    arn = _start(account, "unpermitted", version, {"order": "u-1"})
    account.run_until_idle()
    described = _describe(account, arn)
    assert described["Status"] == "FAILED"
    assert "AccessDenied" in json.dumps(described["Error"])
    assert "CheckpointDurableExecution" in json.dumps(described["Error"])


def test_a_checkpoint_with_an_invalid_token_is_refused(account):
    version = _deploy(account, "tokens", ORDER)
    arn = _start(account, "tokens", version, {"order": "t-1", "wait": 3600})
    account.run_for(60)  # suspended in its wait
    update = {"Id": "x", "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "forged"}
    with pytest.raises(ClientError) as refused:
        account.client("lambda").checkpoint_durable_execution(
            DurableExecutionArn=arn, CheckpointToken="1.1.forged", Updates=[update]
        )
    assert _code(refused.value) == "InvalidParameterValueException"
    assert "Invalid checkpoint token." in str(refused.value)
    account.run_until_idle()
    assert _describe(account, arn)["Status"] == "SUCCEEDED"


def test_a_retry_with_both_an_error_and_a_payload_is_refused():
    """The checks of AWS's local testing SDK (checkpoint/validators/operations/step.py)."""
    execution = DurableExecution(
        arn="arn", name="n", function_name="f", version="1", function_arn="fa", input_payload="{}", start=0.0,
        execution_timeout=60, retention_days=1, trace_record={},
    )  # fmt: skip
    start = {"Id": "s", "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s"}
    apply_updates(execution, [start], 0.0, lambda: "cb")
    retry = {**start, "Action": "RETRY", "StepOptions": {"NextAttemptDelaySeconds": 5}}
    with pytest.raises(CheckpointError, match="Cannot provide both error and payload to RETRY a STEP."):
        apply_updates(execution, [{**retry, "Payload": "1", "Error": {"ErrorType": "E"}}], 1.0, lambda: "cb")
    assert execution.operations["s"]["Status"] == "STARTED"  # a refused checkpoint changes nothing
    applied = apply_updates(execution, [{**retry, "Payload": '{"polls": 1}'}], 1.0, lambda: "cb")
    assert [(action, status) for action, _, status in applied] == [("RETRY", "PENDING")]
    event = execution.events[-1]
    assert event["EventType"] == "StepSucceeded"  # a RETRY without an error: a condition polled again
    assert event["StepSucceededDetails"]["Result"]["Payload"] == '{"polls": 1}'
    assert event["StepSucceededDetails"]["RetryDetails"] == {
        "CurrentAttempt": 1,
        "NextAttemptDelaySeconds": 5,
    }


# -- stopping, retention, timeouts, listing --------------------------------------------------------------------
def test_stop_ends_a_running_execution_and_a_second_stop_conflicts(account):
    lam = account.client("lambda")
    version = _deploy(account, "stoppable", ORDER)
    arn = _start(account, "stoppable", version, {"order": "x-1", "wait": 86400})
    account.run_for(60)
    lam.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorType": "Cancelled", "ErrorMessage": "by ops"}
    )
    described = _describe(account, arn)
    assert described["Status"] == "STOPPED" and described["Error"]["ErrorMessage"] == "by ops"
    with pytest.raises(ClientError) as conflict:
        lam.stop_durable_execution(DurableExecutionArn=arn)
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    account.run_until_idle()  # the wait's wake-up was cancelled: nothing runs again
    assert _describe(account, arn)["Status"] == "STOPPED"
    assert (
        lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"][-1]["EventType"]
        == "ExecutionStopped"
    )


def test_an_execution_past_its_timeout_is_timed_out(account):
    version = _deploy(account, "slow", ORDER, ExecutionTimeout=3600)
    arn = _start(account, "slow", version, {"order": "o-1", "wait": 7200})
    account.run_until_idle()
    described = _describe(account, arn)
    assert described["Status"] == "TIMED_OUT"
    assert (described["EndTimestamp"] - described["StartTimestamp"]).total_seconds() == 3600
    assert "ExecutionTimeout of 3600 s" in described["Error"]["ErrorMessage"]


def test_history_is_unreadable_after_the_retention_period(account):
    lam = account.client("lambda")
    version = _deploy(account, "retained", ORDER, RetentionPeriodInDays=1)
    arn = _start(account, "retained", version, {"order": "r-1"})
    account.run_until_idle()
    account.run_for(86400 - 120)
    assert lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    account.run_for(240)
    for read in (lam.get_durable_execution, lam.get_durable_execution_history):
        with pytest.raises(ClientError) as gone:
            read(DurableExecutionArn=arn)
        assert _code(gone.value) == "ResourceNotFoundException"
    listed = lam.list_durable_executions_by_function(FunctionName="retained", Qualifier=version)
    assert listed["DurableExecutions"] == []


def test_list_filters_by_status_and_name(account):
    lam = account.client("lambda")
    version = _deploy(account, "listed", ORDER)
    done = _start(account, "listed", version, {"order": "l-1", "wait": 1}, DurableExecutionName="first")
    account.run_for(60)
    waiting = _start(
        account, "listed", version, {"order": "l-2", "wait": 86400}, DurableExecutionName="second"
    )
    account.run_for(60)

    def names(**filters):
        rows = lam.list_durable_executions_by_function(FunctionName="listed", Qualifier=version, **filters)
        return [row["DurableExecutionName"] for row in rows["DurableExecutions"]]

    assert names() == ["first", "second"]
    assert names(Statuses=["RUNNING"]) == ["second"]
    assert names(Statuses=["SUCCEEDED", "FAILED"]) == ["first"]
    assert names(DurableExecutionName="second") == ["second"]
    assert names(DurableExecutionName="second", Statuses=["SUCCEEDED"]) == []
    assert names(ReverseOrder=True) == ["second", "first"]
    lam.stop_durable_execution(DurableExecutionArn=waiting)
    assert {_describe(account, arn)["Status"] for arn in (done, waiting)} == {"SUCCEEDED", "STOPPED"}


def test_a_handler_without_the_decorator_fails_the_execution_naming_it(account):
    version = _deploy(account, "undecorated", NOT_DECORATED)
    arn = _start(account, "undecorated", version, {})
    account.run_until_idle()
    described = _describe(account, arn)
    assert described["Status"] == "FAILED"
    assert "@durable_execution" in described["Error"]["ErrorMessage"]


# -- callbacks and the history's defaults ----------------------------------------------------------------------
def test_a_closed_callback_answers_callback_timeout_exception(account):
    lam = account.client("lambda")
    version = _deploy(account, "approvals", CALLBACK)
    arn = _start(account, "approvals", version, {"beat": 30})
    account.run_for(60)
    started = [
        e
        for e in lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        if "Callback" in e["EventType"]
    ]
    callback_id = started[0]["CallbackStartedDetails"]["CallbackId"]
    lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"yes"')
    account.run_until_idle()
    assert json.loads(_describe(account, arn)["Result"]) == '"yes"'  # the SDK hands back the callback's text
    for send in (
        lambda: lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"again"'),
        lambda: lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id),
    ):
        with pytest.raises(ClientError) as closed:
            send()
        assert _code(closed.value) == "CallbackTimeoutException"
        assert closed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as unknown:
        lam.send_durable_execution_callback_success(CallbackId="bm90LWEtY2FsbGJhY2s=", Result=b"1")
    assert _code(unknown.value) == "ResourceNotFoundException"


def test_a_missed_heartbeat_times_the_callback_out_as_callback_heartbeat(account):
    lam = account.client("lambda")
    version = _deploy(account, "heartbeats", CALLBACK)
    arn = _start(account, "heartbeats", version, {"beat": 5})
    account.run_for(3600)
    described = _describe(account, arn)
    assert described["Status"] == "FAILED"
    assert described["Error"]["ErrorType"].endswith("CallbackTimeoutError")
    events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    timed_out = [e for e in events if e["EventType"] == "CallbackTimedOut"]
    assert timed_out[0]["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Heartbeat"
    assert (timed_out[0]["EventTimestamp"] - events[0]["EventTimestamp"]).total_seconds() == 300


def test_history_includes_execution_data_unless_asked_not_to(account):
    lam = account.client("lambda")
    version = _deploy(account, "data", ORDER)
    arn = _start(account, "data", version, {"order": "d-1", "wait": 1})
    account.run_until_idle()
    by_default = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    trimmed = lam.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=False)["Events"]
    assert by_default[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"order": "d-1", "wait": 1}'
    assert "Payload" not in trimmed[0]["ExecutionStartedDetails"]["Input"]
    succeeded = [e for e in by_default if e["EventType"] == "StepSucceeded"][0]
    assert succeeded["StepSucceededDetails"]["Result"]["Payload"] == '"receipt-d-1"'
