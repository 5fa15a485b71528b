"""Fault injection: each armed fault happens once per arming, shows in the trace as injected, then is gone."""

import json

import pytest
from botocore.config import Config

from .test_routing_s3_sns import RECORDER, allow, events_seen, function_arn, queue, receive

SIDE_EFFECT = """
import boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody="ran")
    return "ok"
"""


def test_throttle_fail_and_time_out_without_running_the_handler(cloud, deploy, invoke):
    url, _ = queue(cloud, "side-effects")
    name = deploy(SIDE_EFFECT, actions=["sqs:SendMessage"], Timeout=3)
    cloud.faults.throttle(name)
    cloud.faults.fail(name, error_type="DownstreamUnavailable", message="payments are down")
    cloud.faults.time_out(name)
    no_retries = cloud.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(no_retries.exceptions.TooManyRequestsException):
        no_retries.invoke(FunctionName=name, Payload=json.dumps({"queue": url}))
    response, payload, logs = invoke(name, {"queue": url})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "DownstreamUnavailable" and payload["errorMessage"] == "payments are down"
    assert "injected fault" in logs and logs.splitlines()[0].startswith("START RequestId:")
    response, payload, logs = invoke(name, {"queue": url})
    assert (
        payload["errorType"] == "Sandbox.Timedout"
        and "Task timed out after 3.00 seconds" in payload["errorMessage"]
    )
    assert receive(cloud, url) == []  # none of the three ran the handler
    response, payload, _ = invoke(name, {"queue": url})
    assert payload == "ok" and len(receive(cloud, url)) == 1
    assert [f["fault"] for f in cloud.trace.of_kind("fault_injected")] == ["throttle", "error", "timeout"]


def test_an_injected_async_failure_is_retried_like_a_real_one(cloud, deploy):
    name = deploy(RECORDER)
    cloud.faults.fail(name, times=2)
    cloud.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    ran = cloud.run_pending()
    assert [bool(r.function_error) for r in ran] == [True, True, False]
    assert events_seen(ran) == [{"n": 1}]


def drain(cloud, url):
    sqs = cloud.client("sqs")
    messages = receive(cloud, url)
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in messages]


def test_duplicate_and_delayed_deliveries(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, arn = queue(cloud, "q", allow_from=topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    cloud.faults.duplicate_delivery(arn)
    sns.publish(TopicArn=topic, Message="once")
    cloud.run_until_idle()
    assert drain(cloud, url) == ["once", "once"]  # at-least-once delivery
    cloud.faults.delay_delivery(arn, 120)
    sns.publish(TopicArn=topic, Message="late")
    cloud.run_for(60)
    assert drain(cloud, url) == []
    cloud.run_for(61)
    assert drain(cloud, url) == ["late"]
    assert {f["fault"] for f in cloud.trace.of_kind("fault_injected")} == {
        "duplicate_delivery",
        "delayed_delivery",
    }


def test_a_service_error_reaches_the_handler_as_the_aws_error(cloud, deploy, invoke):
    code = """
    import boto3
    def handler(event, context):
        table = boto3.resource("dynamodb").Table("orders")
        try:
            table.put_item(Item={"id": "1"})
        except Exception as error:
            return type(error).__name__ + ": " + error.response["Error"]["Code"]
        return "stored"
    """
    cloud.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = deploy(code, actions=["dynamodb:PutItem"])
    cloud.faults.service_error("dynamodb", "PutItem", code="ConditionalCheckFailedException", status=400)
    assert invoke(name)[1] == "ConditionalCheckFailedException: ConditionalCheckFailedException"
    assert invoke(name)[1] == "stored"
    # a throttling error is retried by the SDK inside the handler, as on AWS: the handler never sees it
    cloud.faults.service_error(
        "dynamodb", "PutItem", code="ProvisionedThroughputExceededException", status=400
    )
    assert invoke(name)[1] == "stored"
    assert [f["code"] for f in cloud.trace.of_kind("fault_injected")][
        -1
    ] == "ProvisionedThroughputExceededException"
    cloud.faults.service_error("dynamodb", "PutItem")
    assert "Item" not in cloud.client("dynamodb").get_item(
        TableName="orders", Key={"id": {"S": "2"}}
    )  # host unaffected
    cloud.client("dynamodb").put_item(
        TableName="orders", Item={"id": {"S": "2"}}
    )  # the grader's own call works


def test_bad_arming_is_refused(cloud):
    with pytest.raises(ValueError, match="times"):
        cloud.faults.fail("f", times=0)
    with pytest.raises(ValueError, match="delay"):
        cloud.faults.delay_delivery("arn:aws:sqs:us-east-1:1:q", 0)


def test_s3_notification_to_lambda_can_be_duplicated(cloud, deploy):
    name = deploy(RECORDER)
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="dup-bkt")
    allow(cloud, name, "s3.amazonaws.com", "arn:aws:s3:::dup-bkt")
    arn = function_arn(cloud, name)
    s3.put_bucket_notification_configuration(
        Bucket="dup-bkt",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    cloud.faults.duplicate_delivery(arn)
    s3.put_object(Bucket="dup-bkt", Key="k", Body=b"1")
    seen = events_seen(cloud.run_pending())
    assert len(seen) == 2 and json.dumps(seen[0]) == json.dumps(seen[1])


def test_an_injected_throttle_reaches_every_invocation_model(cloud, deploy):
    """One throttle mechanism for all: a poller's batch meets an armed throttle like a direct call does."""
    name = deploy(RECORDER)
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    cloud.faults.throttle(name)
    sqs.send_message(QueueUrl=url, MessageBody='{"n": 1}')
    cloud.run_until_idle()
    (throttle,) = cloud.trace.of_kind("throttle")
    assert throttle["injected"] is True and throttle["reason"] == "injected"
    handled = [e for e in cloud.trace.of_kind("invocation") if e["function_arn"].endswith(f":{name}")]
    assert len(handled) == 1 and handled[0]["time"] >= throttle["time"] + 30  # after the visibility timeout
