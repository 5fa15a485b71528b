"""A durable function's handler receives the event it was invoked with: the SDK reads it from the EXECUTION
operation, which it finds by the execution id that ends the durable execution's ARN
(``.../durable-execution/NAME/ID``; https://docs.aws.amazon.com/lambda/latest/dg/durable-basic-concepts.html),
on the first invocation and on every replay."""

import json

from tests.labs.runtime.conftest import durable_role, make_zip

HANDLER = """
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python.config import Duration


@durable_execution
def handler(event, context):
    first = context.step(lambda _: event["order_id"], name="read-event")
    context.wait(Duration.from_seconds(60), name="pause")
    return {"first": first, "after_replay": event["order_id"], "items": len(event["items"])}
"""


def test_the_handler_gets_its_event_first_and_on_replay(cloud):
    role = durable_role(cloud)
    cloud.client("lambda").create_function(
        FunctionName="orders",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": HANDLER})},
        Timeout=120,  # a synchronous invoke waits at most the function timeout (durable-invoking.html)
        DurableConfig={"ExecutionTimeout": 3600},
    )
    name = "orders"
    lam = cloud.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    event = {"order_id": "o-1", "items": [1, 2]}
    response = lam.invoke(FunctionName=name, Qualifier=version, Payload=json.dumps(event).encode())
    assert json.loads(response["Payload"].read()) == {"first": "o-1", "after_replay": "o-1", "items": 2}
    arn = response["DurableExecutionArn"]
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "SUCCEEDED" and json.loads(described["InputPayload"]) == event
    replays = [entry for entry in cloud.trace.of_kind("durable_invocation") if entry["execution_arn"] == arn]
    assert [entry["replay"] for entry in replays] == [False, True]
