"""Durable functions compared with AWS's own local implementation, case by case.

Each function of the corpus below (our own, written against AWS's durable execution SDK) runs twice: on AWS's
local testing SDK (``aws-durable-execution-sdk-python-testing``: ``DurableFunctionTestRunner`` runs the handler
in this process against its in-memory durable service, waits skipped) and on a ``Cloud`` (created, published,
invoked qualified with InvocationType Event, run on the simulated clock, read with GetDurableExecution and
GetDurableExecutionHistory). The two must agree on the final status, the result (as JSON), the error type and
message, the operations (their deterministic ids, types, subtypes, names, statuses and parents) and the history
(event types, names, subtypes, parents, payloads and errors, in order).

Known differences, each checked against AWS's documentation and kept visible here (``_essentials`` says where
each one is set aside):

- ``StepSucceededDetails.RetryDetails`` is "Required: Yes" (API_StepSucceededDetails.html); the reference leaves
  it out of a step that succeeded without a retry. The runtime always gives it.
- ``CallbackStartedDetails`` has ``Timeout`` and ``HeartbeatTimeout`` (API_CallbackStartedDetails.html); the
  reference leaves both out. The runtime gives them.
- A wait-for-condition check that asks for another poll is a ``StepSucceeded`` event on both sides; the reference
  leaves its state (the checkpointed Payload) out of the event's Result, the runtime keeps it.
- The reference marks the error of a ``CallbackTimedOut`` or ``ContextFailed`` event ``Truncated: true`` though
  nothing was cut (EventError.Truncated: "Indicates if the error payload was truncated due to size limits"); the
  runtime says ``false``.
- Retry delays with the SDK's default full jitter are random on both sides; the corpus uses
  ``JitterStrategy.NONE`` so that the delays compare.
- ``ChainedInvokeStartedDetails.DurableExecutionArn`` (API_ChainedInvokeStartedDetails.html: the ARN pattern
  ``arn:...:function:NAME:VERSION/durable-execution/NAME/ID``): the reference gives an internal id, not an ARN.
- When a chained invoke of a plain function finishes is a race on AWS (the backend invokes the target while the
  caller suspends: https://aws.github.io/aws-durable-execution-docs/sdk-reference/operations/invoke); the
  reference happens to finish it before the caller's ``InvocationCompleted``, the runtime after. The invoke
  cases compare the history without the ``InvocationCompleted`` events, and their number apart.
- The reference waits for a callback timeout in real time (its skip-time clock skips waits and retries only), so
  the timeout case uses a 2-second timeout.
"""

from __future__ import annotations

import json
import logging
import types
from dataclasses import dataclass, field

import pytest
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from labs.runtime import Cloud
from tests.labs.runtime.conftest import durable_role, make_zip
from tests.labs.runtime.durable_corpus import CASES, HEAD, Case

EXECUTION_NAME = (
    "execution-name"  # the reference names every execution so; the runtime is given the same name
)
EXECUTION_EVENTS = {"ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut"}


@dataclass
class Outcome:
    """What one side ran to: status, result (parsed), error (type, message), operations, history."""

    status: str
    result: object
    error: tuple | None
    operations: dict
    events: list = field(default_factory=list)


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("app")
    exec(compile(HEAD + source, "<corpus>", "exec"), module.__dict__)  # noqa: S102 - our own corpus
    return module


def _parsed(text):
    return json.loads(text) if text is not None else None


# -- the reference: AWS's local testing SDK -------------------------------------------------------------------
def run_reference(case: Case) -> Outcome:
    with DurableFunctionTestRunner(_module(case.source).handler, skip_time=True) as runner:
        for name, (source, durable) in case.targets.items():
            handler = _module(source).handler
            if durable:
                runner.register_durable_function(name, handler)
            else:
                runner.register_function(name, handler)
        arn = runner.run_async(input=json.dumps(case.payload), execution_timeout=case.execution_timeout)
        if case.answer is not None:
            callback_id = runner.wait_for_callback(arn, name=case.answer.name, timeout=30)
            if case.answer.succeed:
                runner.send_callback_success(callback_id, result=case.answer.body)
            else:
                runner.send_callback_failure(callback_id, error=ErrorObject.from_dict(case.answer.body))
        result = runner.wait_for_result(arn, timeout=60)
        events = runner.get_execution_history(arn, include_execution_data=True).events
    error = (result.error.type, result.error.message) if result.error else None
    operations = {
        op.operation_id: (op.operation_type.value, op.sub_type, op.name, op.status.value, op.parent_id)
        for op in result.get_all_operations()
    }
    return Outcome(
        result.execution_status.value,
        _parsed(result.result),
        error,
        operations,
        [event.to_dict() for event in events],
    )


# -- the runtime: a Cloud -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def account():
    logging.getLogger("aws_durable_execution_sdk_python_testing").setLevel(logging.CRITICAL)
    with Cloud(seed=21) as cloud:
        durable_role(cloud)
        yield cloud


def _deploy(cloud, name: str, source: str, durable: bool, timeout: int) -> str:
    lam = cloud.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=f"arn:aws:iam::{cloud.account_id}:role/durable",
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": HEAD + source})},
        Timeout=30,
        **({"DurableConfig": {"ExecutionTimeout": timeout, "RetentionPeriodInDays": 1}} if durable else {}),
    )
    return lam.publish_version(FunctionName=name)["Version"]


def run_runtime(cloud, case: Case) -> Outcome:
    lam = cloud.client("lambda")
    for name, (source, durable) in case.targets.items():
        _deploy(cloud, name, source, durable, case.execution_timeout)
    function = f"ref-{case.name.replace('_', '-')}"
    version = _deploy(cloud, function, case.source, True, case.execution_timeout)
    arn = lam.invoke(
        FunctionName=function,
        Qualifier=version,
        InvocationType="Event",
        Payload=json.dumps(case.payload).encode(),
        DurableExecutionName=EXECUTION_NAME,
    )["DurableExecutionArn"]
    if case.answer is not None:
        cloud.run_for(60)  # the execution suspends on its callback
        assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
        events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        callback_id = [
            event["CallbackStartedDetails"]["CallbackId"]
            for event in events
            if event["EventType"] == "CallbackStarted" and case.answer.name in (None, event.get("Name"))
        ][-1]
        if case.answer.succeed:
            lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=case.answer.body)
        else:
            lam.send_durable_execution_callback_failure(CallbackId=callback_id, Error=case.answer.body)
    cloud.run_until_idle()
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    history = lam.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
    error = described.get("Error")
    operations = {
        op["Id"]: (op["Type"], op.get("SubType"), op.get("Name"), op["Status"], op.get("ParentId"))
        for op in cloud.durable.service.executions[arn].operations.values()
        if op["Type"] != "EXECUTION"
    }
    return Outcome(
        described["Status"],
        _parsed(described.get("Result")),
        (error["ErrorType"], error["ErrorMessage"]) if error else None,
        operations,
        history,
    )


# -- what is compared -----------------------------------------------------------------------------------------
def _essentials(event: dict) -> tuple:
    """An event without what differs by nature (timestamps, event ids, request ids, callback ids, the execution
    id) or by a known difference (module docstring): type, name, subtype, parent, operation id, the payload it
    carries (parsed) and its error (type and message)."""
    details = next((value for key, value in event.items() if key.endswith("Details")), None) or {}
    kind = event["EventType"]
    payload = (details.get("Result") or details.get("Input") or {}).get("Payload")
    if kind == "StepSucceeded" and "NextAttemptDelaySeconds" in (details.get("RetryDetails") or {}):
        payload = None  # a wait-for-condition's state between polls: the reference leaves it out
    error = (details.get("Error") or {}).get("Payload") or {}
    return (
        kind,
        event.get("Name"),
        event.get("SubType"),
        event.get("ParentId"),
        None if kind in EXECUTION_EVENTS else event.get("Id"),
        _parsed(payload) if payload else None,
        (error.get("ErrorType"), error.get("ErrorMessage")) if error else None,
        details.get("Duration") if kind == "WaitStarted" else None,
    )


def _history(outcome: Outcome, case: Case) -> list:
    rows = [_essentials(event) for event in outcome.events]
    if case.invoke_race:
        rows = [row for row in rows if row[0] != "InvocationCompleted"]
    return sorted(rows, key=repr) if case.concurrent else rows


@pytest.fixture(scope="module")
def outcomes(account):
    """Both sides' outcome of each case, run once per module."""
    return {}


def _both(account, outcomes, case: Case) -> tuple[Outcome, Outcome]:
    if case.name not in outcomes:
        outcomes[case.name] = (run_reference(case), run_runtime(account, case))
    return outcomes[case.name]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_outcome_as_the_reference(account, outcomes, case):
    reference, runtime = _both(account, outcomes, case)
    assert runtime.status == reference.status == case.status
    assert runtime.result == reference.result
    assert runtime.error == reference.error
    if case.expect_result is not None:
        assert runtime.result == case.expect_result


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_operations_as_the_reference(account, outcomes, case):
    reference, runtime = _both(account, outcomes, case)
    assert runtime.operations == reference.operations
    assert runtime.operations  # every case records operations


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_history_as_the_reference(account, outcomes, case):
    reference, runtime = _both(account, outcomes, case)
    assert _history(runtime, case) == _history(reference, case)
    invocations = [
        sum(e["EventType"] == "InvocationCompleted" for e in o.events) for o in (runtime, reference)
    ]
    assert invocations[0] == invocations[1]
    first = runtime.events[0]
    assert first["EventType"] == "ExecutionStarted" and first["Name"] == EXECUTION_NAME


def test_the_known_differences_are_still_there(account, outcomes):
    """The documented differences hold as described (if the reference changes, the docstring must too)."""
    case = next(case for case in CASES if case.name == "steps")
    reference, runtime = _both(account, outcomes, case)
    succeeded = [[e for e in o.events if e["EventType"] == "StepSucceeded"][0] for o in (runtime, reference)]
    assert succeeded[0]["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 1}
    assert "RetryDetails" not in succeeded[1]["StepSucceededDetails"]
    case = next(case for case in CASES if case.name == "callback_success")
    reference, runtime = _both(account, outcomes, case)
    started = [[e for e in o.events if e["EventType"] == "CallbackStarted"][0] for o in (runtime, reference)]
    assert started[0]["CallbackStartedDetails"]["Timeout"] == 7200
    assert "Timeout" not in started[1]["CallbackStartedDetails"]
    case = next(case for case in CASES if case.name == "invoke_durable")
    reference, runtime = _both(account, outcomes, case)
    chained = [e for e in runtime.events if e["EventType"] == "ChainedInvokeStarted"][0]
    child = chained["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
    assert child.startswith(f"arn:aws:lambda:{account.region}:{account.account_id}:function:ref-doubler:1/")
    assert chained["ChainedInvokeStartedDetails"]["ExecutedVersion"] == "1"
    described = account.client("lambda").get_durable_execution(DurableExecutionArn=child)
    assert described["Status"] == "SUCCEEDED" and json.loads(described["Result"]) == {"doubled": 42}
