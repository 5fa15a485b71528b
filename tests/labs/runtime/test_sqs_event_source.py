"""SQS event source mappings on the simulated clock: batches, partial batch failures, redrive to the DLQ."""

import json
import time

import pytest

from labs.runtime import Cloud

# Near the real time: CloudWatch Logs (moto) refuses log events far from it.
START = float(int(time.time()))
CONSUMER = """
import json
def handler(event, context):
    print(json.dumps([r["body"] for r in event["Records"]]))
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"].startswith("bad")]
    return {"batchItemFailures": failures}
"""
FAILS_ON_BAD = """
def handler(event, context):
    if any(r["body"].startswith("bad") for r in event["Records"]):
        raise RuntimeError("cannot process this batch")
"""


@pytest.fixture
def cloud():
    """Overrides conftest's account: this one starts at a known simulated time (``deploy`` uses it)."""
    with Cloud(seed=5, start_time=START) as simulated:
        yield simulated


def make_queue(cloud, name: str, visibility_s: int = 30, dlq_arn: str | None = None, max_receives: int = 2):
    sqs = cloud.client("sqs")
    attributes = {"VisibilityTimeout": str(visibility_s)}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def send(cloud, url: str, *bodies: str) -> None:
    for body in bodies:
        cloud.client("sqs").send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "t"}},
        )


def left_on(cloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def bodies_per_invocation(cloud, function_name: str) -> list[list[str]]:
    events = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function_name}")["events"]
    return [json.loads(e["message"]) for e in events if e["message"].startswith("[")]


def test_messages_arrive_in_batches_and_are_deleted(cloud, deploy):
    url, arn = make_queue(cloud, "orders")
    name = deploy(CONSUMER)
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=2)
    send(cloud, url, "a", "b", "c", "d", "e")  # moto must not try to invoke anything on send
    assert cloud.trace.of_kind("invocation") == []
    cloud.run_until_idle()
    assert sorted(sum(bodies_per_invocation(cloud, name), [])) == ["a", "b", "c", "d", "e"]
    assert [len(b) for b in bodies_per_invocation(cloud, name)] == [2, 2, 1]
    assert left_on(cloud, url) == 0


def test_the_event_has_lambdas_sqs_shape(cloud, deploy):
    url, arn = make_queue(cloud, "shape")
    name = deploy("import json\ndef handler(event, context):\n    print(json.dumps(event))\n")
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    send(cloud, url, "hello")
    cloud.run_until_idle()
    events = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    [record] = next(json.loads(e["message"]) for e in events if e["message"].startswith("{"))["Records"]
    assert record["body"] == "hello" and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "t",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert set(record) >= {"messageId", "receiptHandle", "md5OfBody"}


def test_partial_batch_failure_keeps_only_the_failed_message_until_the_dlq_takes_it(cloud, deploy):
    dlq_url, dlq_arn = make_queue(cloud, "orders-dlq")
    url, arn = make_queue(cloud, "orders", visibility_s=30, dlq_arn=dlq_arn, max_receives=2)
    name = deploy(CONSUMER)
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    send(cloud, url, "good-1", "bad-1", "good-2")
    cloud.run_until_idle()
    calls = bodies_per_invocation(cloud, name)
    assert sorted(calls[0]) == ["bad-1", "good-1", "good-2"]
    assert calls[1:] == [["bad-1"]]  # received again once, after the visibility timeout
    invocations = cloud.trace.of_kind("invocation")
    assert invocations[1]["time"] - invocations[0]["time"] == pytest.approx(30, abs=0.01)
    assert left_on(cloud, url) == 0
    [moved] = cloud.client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert moved["Body"] == "bad-1"


def test_without_batch_item_failures_an_error_retries_the_whole_batch(cloud, deploy):
    dlq_url, dlq_arn = make_queue(cloud, "dlq")
    url, arn = make_queue(cloud, "work", visibility_s=10, dlq_arn=dlq_arn, max_receives=3)
    name = deploy(FAILS_ON_BAD)
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    send(cloud, url, "fine", "bad")
    cloud.run_until_idle()
    assert len(cloud.trace.of_kind("invocation")) == 3  # received 3 times, then redriven
    assert left_on(cloud, url) == 0
    assert sorted(
        m["Body"]
        for m in cloud.client("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    ) == ["bad", "fine"]


def test_a_report_naming_an_unknown_message_fails_the_whole_batch(cloud, deploy):
    url, arn = make_queue(cloud, "odd", visibility_s=5)
    name = deploy(
        "def handler(event, context):\n    return {'batchItemFailures': [{'itemIdentifier': 'nope'}]}\n"
    )
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    send(cloud, url, "x")
    cloud.run_for(4)
    assert left_on(cloud, url) == 1 and cloud.trace.of_kind("sqs_batch_result")[0]["kept"]


def test_the_batching_window_waits_for_more_messages(cloud, deploy):
    url, arn = make_queue(cloud, "windowed")
    name = deploy(CONSUMER)
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, MaximumBatchingWindowInSeconds=20
    )
    send(cloud, url, "only")
    cloud.run_for(19)
    assert cloud.trace.of_kind("invocation") == []
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation")[0]["time"] == pytest.approx(START + 20)


def test_a_disabled_mapping_leaves_the_queue_alone(cloud, deploy):
    url, arn = make_queue(cloud, "paused")
    name = deploy(CONSUMER)
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, Enabled=False)
    send(cloud, url, "waiting")
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == [] and left_on(cloud, url) == 1


def test_a_throttled_function_leaves_the_batch_on_the_queue_and_each_receive_counts(cloud, deploy):
    dlq_url, dlq_arn = make_queue(cloud, "paused-dlq")
    url, arn = make_queue(cloud, "paused-work", visibility_s=60, dlq_arn=dlq_arn, max_receives=3)
    name = deploy(CONSUMER)
    aws_lambda = cloud.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    aws_lambda.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    send(cloud, url, "early", "late")
    cloud.run_for(150)  # received at 0, 60 and 120 s: throttled every time, never run
    assert cloud.trace.of_kind("invocation") == []
    assert [entry["reserved_concurrency"] for entry in cloud.trace.of_kind("throttle")] == [0, 0, 0]
    assert all(
        result["throttled"] and not result["deleted"] for result in cloud.trace.of_kind("sqs_batch_result")
    )
    assert left_on(cloud, url) == 2
    aws_lambda.delete_function_concurrency(FunctionName=name)  # too late: the next receive is the fourth
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == []
    moved = cloud.client("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in moved) == ["early", "late"]


def test_throttled_messages_are_processed_once_concurrency_returns_in_time(cloud, deploy):
    url, arn = make_queue(cloud, "resumed", visibility_s=60)
    name = deploy(CONSUMER)
    aws_lambda = cloud.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    aws_lambda.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    send(cloud, url, "waits")
    cloud.run_for(30)
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    cloud.run_until_idle()
    [invocation] = cloud.trace.of_kind("invocation")
    assert invocation["time"] == pytest.approx(START + 60, abs=0.01)  # when the visibility timeout ended
    assert bodies_per_invocation(cloud, name) == [["waits"]] and left_on(cloud, url) == 0
