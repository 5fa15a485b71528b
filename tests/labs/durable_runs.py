"""Real durable executions for the timeline tests: a function deployed to a ``Cloud`` and run on the
simulated clock, its trace serialized as a grading stores it. One run is shared by the tests of a process
(a Cloud start and a few sandbox invocations take seconds)."""

from __future__ import annotations

import functools
import json

from labs.grading.session import json_safe
from labs.runtime import Cloud
from labs.runtime.awslambda.packaging import zip_files
from tests.labs.runtime.conftest import durable_role

# charge-card (interrupted once: its code runs again), a 1-day wait, a callback answered by the test, then a
# last step; a second execution ends with a step that fails for good.
ORDERS = """
import boto3
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy


@durable_step
def charge(step_context, order):
    boto3.client("sqs").send_message(QueueUrl=order["queue"], MessageBody="charge " + order["id"])
    return "receipt-" + order["id"]


@durable_step
def ship(step_context, order):
    if order.get("broken"):
        raise RuntimeError("no courier")
    return "shipped " + order["id"]


@durable_execution
def handler(event, context: DurableContext):
    print("handler starts for", event["id"])
    receipt = context.step(charge(event), name="charge-card")
    context.wait(Duration.from_days(1), name="cool-off")
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_hours(1)))
    boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody="callback " + callback.callback_id)
    approval = callback.result()
    once = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
    shipped = context.step(ship(event), name="ship", config=once)
    return {"receipt": receipt, "approval": approval, "shipped": shipped}
"""


def _deploy(cloud: Cloud, code: str = ORDERS) -> tuple[object, str]:
    role = durable_role(cloud, "orders", actions=("sqs:*",))
    lam = cloud.client("lambda")
    lam.create_function(
        FunctionName="orders",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_files({"app.py": code})},
        Timeout=30,
        DurableConfig={"ExecutionTimeout": 7 * 86400},
    )
    return lam, lam.publish_version(FunctionName="orders")["Version"]


def _answer_callbacks(cloud: Cloud, queue: str) -> list[str]:
    """Run until each execution waits for its callback, then answer it (as an approver would); returns the
    messages the function sent."""
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    cloud.run_for(86400 + 1800)  # past the 1-day wait, within the callback's 1-hour timeout
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    for message in messages:
        if message["Body"].startswith("callback "):
            callback_id = message["Body"].split()[1]
            lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"approved"')
    return [message["Body"] for message in messages]


@functools.cache
def orders_run() -> dict:
    """{"trace": serialized records, "statuses": {execution name: status}, "messages": what it sent}."""
    with Cloud(seed=1) as cloud:
        lam, version = _deploy(cloud)
        queue = cloud.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
        cloud.faults.interrupt_durable("orders", step="charge-card", times=1)
        arns = {}
        for name, order in (("order-1", {"id": "o-1"}), ("order-2", {"id": "o-2", "broken": True})):
            payload = json.dumps(dict(order, queue=queue)).encode()
            response = lam.invoke(
                FunctionName="orders",
                Qualifier=version,
                InvocationType="Event",
                Payload=payload,
                DurableExecutionName=name,
            )
            arns[name] = response["DurableExecutionArn"]
        messages = _answer_callbacks(cloud, queue)
        cloud.run_until_idle()
        statuses = {
            name: lam.get_durable_execution(DurableExecutionArn=arn)["Status"] for name, arn in arns.items()
        }
        trace = [json_safe(entry) for entry in cloud.trace]
    return {"trace": trace, "statuses": statuses, "messages": messages}


# a child context holding a step, a map over two items (child contexts too), a chained invoke of a plain function
NESTED = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step


@durable_step
def double(step_context, x):
    return 2 * x


def group(ctx: DurableContext):
    return ctx.step(double(21), name="double-in-child")


def item(ctx, value, index, items):
    return ctx.step(double(value), name=f"double-{index}")


@durable_execution
def handler(event, context: DurableContext):
    grouped = context.run_in_child_context(group, name="grouped")
    doubles = context.map([1, 2], item, name="doubles")
    price = context.invoke("price:1", {"sku": "x"}, name="get-price")
    return {"grouped": grouped, "doubles": doubles.get_results(), "price": price}
"""


@functools.cache
def nested_run() -> dict:
    """{"trace": serialized records, "status": the execution's status}."""
    with Cloud(seed=1) as cloud:
        lam, version = _deploy(cloud, NESTED)
        role = lam.get_function_configuration(FunctionName="orders")["Role"]
        price = "def handler(event, context):\n    return {'price': 7}\n"
        lam.create_function(
            FunctionName="price",
            Runtime="python3.13",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": price})},
        )
        lam.publish_version(FunctionName="price")
        response = lam.invoke(
            FunctionName="orders",
            Qualifier=version,
            InvocationType="Event",
            Payload=b"{}",
            DurableExecutionName="nested",
        )
        cloud.run_until_idle()
        status = lam.get_durable_execution(DurableExecutionArn=response["DurableExecutionArn"])["Status"]
        trace = [json_safe(entry) for entry in cloud.trace]
    return {"trace": trace, "status": status}


def graded_with_durable_trace(student, lab, *, hidden: bool = False):
    """A graded submission whose one check's trace is ``orders_run()``'s (a real Cloud ran the durable function):
    a visible failed check, or a hidden passed one."""
    from labs.models import Submission

    trace = orders_run()["trace"]
    check = {
        "id": "orders",
        "name": "Secret" if hidden else "An order is charged once",
        "points": 5,
        "earned": 5 if hidden else 0,
        "passed": hidden,
        "message": "" if hidden else "order-1 was charged twice",
        "visibility": "hidden" if hidden else "visible",
        "trace_range": [0, len(trace)],
        "execution_range": [0, 0],
    }
    score = check["earned"]
    return Submission.objects.create(
        user=student,
        lab=lab,
        files={"app.py": "def lambda_handler(event, context):\n    return 1\n"},
        status="graded",
        score=score,
        max_score=5,
        result={"score": score, "max_score": 5, "checks": [check], "trace": trace, "executions": []},
    )
