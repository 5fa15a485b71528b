"""The durable functions ``test_durable_reference`` runs on AWS's local testing SDK and on the runtime.

Each is the source of a small handler module written against AWS's durable execution SDK
(https://docs.aws.amazon.com/lambda/latest/dg/durable-execution-sdk.html); ``HEAD`` is prepended to each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEAD = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import (
    CallbackConfig, CompletionConfig, Duration, JitterStrategy, ParallelConfig, StepConfig,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
"""


@dataclass(frozen=True)
class Answer:
    """How the test answers the execution's callback once it has suspended (name None: the latest)."""

    name: str | None
    succeed: bool
    body: object  # Result bytes, or the ErrorObject dict of a failure


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    status: str
    payload: dict = field(default_factory=dict)
    expect_result: object = None
    answer: Answer | None = None
    targets: dict = field(default_factory=dict)  # function name -> (source, durable?)
    concurrent: bool = False  # branches run on threads: the history is compared as a multiset
    invoke_race: bool = False  # a chained invoke's end races the caller's InvocationCompleted
    execution_timeout: int = 30 * 86400


STEPS = """
@durable_step
def add(step_context, a, b):
    return a + b

@durable_execution
def handler(event, context):
    x = context.step(add(1, 2), name="add")
    y = context.step(add(x, event["n"]), name="add-more")
    return {"x": x, "y": y, "list": [1, "two", None], "text": "d\\u00e9j\\u00e0"}
"""

RETRY_SUCCEEDS = """
@durable_step
def flaky(step_context):
    if step_context.attempt < 3:
        raise ValueError(f"attempt {step_context.attempt} failed")
    return step_context.attempt

@durable_execution
def handler(event, context):
    strategy = RetryStrategyConfig(max_attempts=5, initial_delay=Duration.from_seconds(2), jitter_strategy=JitterStrategy.NONE)
    return context.step(flaky(), name="flaky", config=StepConfig(retry_strategy=create_retry_strategy(strategy)))
"""

RETRY_GIVES_UP = """
class PaymentDeclined(Exception):
    pass

@durable_step
def charge(step_context):
    raise PaymentDeclined(f"declined on attempt {step_context.attempt}")

@durable_execution
def handler(event, context):
    strategy = RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_minutes(1), jitter_strategy=JitterStrategy.NONE)
    context.step(charge(), name="charge", config=StepConfig(retry_strategy=create_retry_strategy(strategy)))
    return "unreachable"
"""

WAITS = """
@durable_execution
def handler(event, context):
    context.wait(Duration.from_seconds(30), name="short")
    context.wait(Duration.from_days(3), name="three-days")
    context.wait(Duration.from_hours(2))
    return "rested"
"""

CHILD = """
@durable_step
def double(step_context, n):
    return n * 2

def prepare(ctx):
    a = ctx.step(double(2), name="double")
    ctx.wait(Duration.from_minutes(5), name="settle")
    return a + 1

@durable_execution
def handler(event, context):
    inner = context.run_in_child_context(prepare, name="prepare")
    return context.step(double(inner), name="final")
"""

PARALLEL = """
@durable_step
def shout(step_context, label):
    return label.upper()

def branch(label):
    return lambda ctx: ctx.step(shout(label), name="shout-" + label)

@durable_execution
def handler(event, context):
    return context.parallel([branch(label) for label in ("a", "b", "c")], name="fan-out").get_results()
"""

MAP = """
def square(ctx, item, index, items):
    if item == 3:
        ctx.wait(Duration.from_seconds(10), name="slow")
    return item * item

@durable_execution
def handler(event, context):
    return context.map(event["items"], square, name="squares").get_results()
"""

CALLBACK = """
@durable_execution
def handler(event, context):
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_hours(2)))
    return {"answer": callback.result()}
"""

CALLBACK_CAUGHT = """
@durable_execution
def handler(event, context):
    callback = context.create_callback(name="approval")
    try:
        return callback.result()
    except Exception as error:
        return {"error": type(error).__name__, "message": str(error)}
"""

WAIT_FOR_CALLBACK = """
from aws_durable_execution_sdk_python.config import WaitForCallbackConfig

def submit(callback_id, ctx):
    print("ticket for", callback_id)

@durable_execution
def handler(event, context):
    config = WaitForCallbackConfig(timeout=Duration.from_days(1))
    return context.wait_for_callback(submit, name="ticket", config=config)
"""

CALLBACK_TIMES_OUT = """
@durable_execution
def handler(event, context):
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_seconds(2)))
    return callback.result()
"""

CONDITION = """
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig, WaitForConditionDecision

def check(state, ctx):
    return {"polls": state["polls"] + 1}

def strategy(state, attempts):
    if state["polls"] >= 3:
        return WaitForConditionDecision.stop_polling()
    return WaitForConditionDecision.continue_waiting(Duration.from_minutes(10))

@durable_execution
def handler(event, context):
    config = WaitForConditionConfig(wait_strategy=strategy, initial_state={"polls": 0})
    return context.wait_for_condition(check, config, name="poll")
"""

FAILS = """
class OrderRejected(Exception):
    pass

@durable_step
def check(step_context, amount):
    return amount > 100

@durable_execution
def handler(event, context):
    if context.step(check(event["amount"]), name="check"):
        raise OrderRejected(f"amount {event['amount']} is over the limit")
    return "accepted"
"""

INVOKE = """
@durable_execution
def handler(event, context):
    return context.invoke("ref-pricing", {"qty": 4}, name="price")
"""

PRICING = """
def handler(event, context):
    return {"price": event["qty"] * 3}
"""

INVOKE_DURABLE = """
@durable_execution
def handler(event, context):
    return context.invoke("ref-doubler:1", {"n": 21}, name="double")
"""

DOUBLER = """
@durable_execution
def handler(event, context):
    context.wait(Duration.from_hours(1), name="nap")
    return {"doubled": event["n"] * 2}
"""

LARGE = """
@durable_step
def blob(step_context, size):
    return "x" * size

@durable_execution
def handler(event, context):
    big = context.step(blob(200_000), name="blob")
    huge = context.run_in_child_context(lambda ctx: ctx.step(blob(300_000), name="inner"), name="huge")
    return {"big": len(big), "huge": len(huge), "tail": huge[-5:]}
"""

PARALLEL_FAILURE = """
@durable_step
def shout(step_context, label):
    if label == "b":
        raise RuntimeError("branch b broke")
    return label.upper()

def branch(label):
    once = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
    return lambda ctx: ctx.step(shout(label), name="shout-" + label, config=once)

@durable_execution
def handler(event, context):
    # every branch runs to its end, so what the batch records does not depend on which thread is faster
    everything = ParallelConfig(completion_config=CompletionConfig.all_completed())
    result = context.parallel([branch(label) for label in ("a", "b", "c")], name="fan-out", config=everything)
    return {"failed": result.has_failure, "results": None if result.has_failure else result.get_results()}
"""

CHILD_FAILURE = """
def search(ctx):
    ctx.wait(Duration.from_seconds(5), name="pause")
    raise LookupError("nothing found")

@durable_execution
def handler(event, context):
    return context.run_in_child_context(search, name="search")
"""

SUBMITTER_FAILURE = """
from aws_durable_execution_sdk_python.config import WaitForCallbackConfig

def submit(callback_id, ctx):
    raise ConnectionError("ticket system down")

@durable_execution
def handler(event, context):
    strategy = RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(3), jitter_strategy=JitterStrategy.NONE)
    config = WaitForCallbackConfig(timeout=Duration.from_days(1), retry_strategy=create_retry_strategy(strategy))
    return context.wait_for_callback(submit, name="ticket", config=config)
"""

CASES = [
    Case("steps", STEPS, "SUCCEEDED", {"n": 5}, {"x": 3, "y": 8, "list": [1, "two", None], "text": "déjà"}),
    Case("retry_succeeds", RETRY_SUCCEEDS, "SUCCEEDED", expect_result=3),
    Case("retry_gives_up", RETRY_GIVES_UP, "FAILED"),
    Case("waits_days", WAITS, "SUCCEEDED", expect_result="rested"),
    Case("child_context", CHILD, "SUCCEEDED", expect_result=10),
    Case("parallel", PARALLEL, "SUCCEEDED", expect_result=["A", "B", "C"], concurrent=True),
    Case(
        "parallel_failure",
        PARALLEL_FAILURE,
        "SUCCEEDED",
        expect_result={"failed": True, "results": None},
        concurrent=True,
    ),
    Case("child_failure", CHILD_FAILURE, "FAILED"),
    Case("map", MAP, "SUCCEEDED", {"items": [1, 2, 3, 4]}, [1, 4, 9, 16], concurrent=True),
    Case(
        "callback_success",
        CALLBACK,
        "SUCCEEDED",
        expect_result={"answer": '{"approved": true}'},
        answer=Answer("approval", True, b'{"approved": true}'),
    ),
    Case(
        "callback_failure",
        CALLBACK_CAUGHT,
        "SUCCEEDED",
        expect_result={"error": "CallbackExternalError", "message": "no budget"},
        answer=Answer("approval", False, {"ErrorType": "Rejected", "ErrorMessage": "no budget"}),
    ),
    Case(
        "wait_for_callback",
        WAIT_FOR_CALLBACK,
        "SUCCEEDED",
        expect_result='"resolved"',
        answer=Answer(None, True, b'"resolved"'),
    ),
    Case("submitter_failure", SUBMITTER_FAILURE, "FAILED"),
    Case("callback_timeout", CALLBACK_TIMES_OUT, "FAILED"),
    Case("wait_for_condition", CONDITION, "SUCCEEDED", expect_result={"polls": 3}),
    Case("execution_fails", FAILS, "FAILED", {"amount": 500}),
    Case(
        "invoke_plain",
        INVOKE,
        "SUCCEEDED",
        expect_result={"price": 12},
        targets={"ref-pricing": (PRICING, False)},
        invoke_race=True,
    ),
    Case(
        "invoke_durable",
        INVOKE_DURABLE,
        "SUCCEEDED",
        expect_result={"doubled": 42},
        targets={"ref-doubler": (DOUBLER, True)},
    ),
    Case("large_results", LARGE, "SUCCEEDED", expect_result={"big": 200000, "huge": 300000, "tail": "xxxxx"}),
]
