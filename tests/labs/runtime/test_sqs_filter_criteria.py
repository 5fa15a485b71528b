"""FilterCriteria on SQS event source mappings: what matches is sent, what does not is deleted unseen."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from labs.runtime import Cloud

START = float(int(time.time()))  # near the real time: CloudWatch Logs (moto) refuses events far from it
RECORDER = """
import json
def handler(event, context):
    print(json.dumps([r["body"] for r in event["Records"]]))
"""


@pytest.fixture
def cloud():
    with Cloud(seed=3, start_time=START) as simulated:
        yield simulated


def make_queue(cloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def left_on(cloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def bodies(cloud, name: str) -> list[str]:
    events = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return sorted(body for e in events if e["message"].startswith("[") for body in json.loads(e["message"]))


def with_filters(cloud, deploy, queue: str, *patterns: dict) -> tuple[str, str]:
    url, arn = make_queue(cloud, queue)
    name = deploy(RECORDER)
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(p)} for p in patterns]},
    )
    return url, name


def send(cloud, url: str, *messages: str) -> None:
    for message in messages:
        cloud.client("sqs").send_message(QueueUrl=url, MessageBody=message)


def test_a_json_body_pattern_matches_json_bodies_and_drops_the_rest(cloud, deploy):
    url, name = with_filters(cloud, deploy, "orders", {"body": {"total": [{"numeric": [">=", 100]}]}})
    send(cloud, url, '{"total": 150}', '{"total": 20}', "total 500 as plain text", '{"total": 100}')
    cloud.run_until_idle()
    assert bodies(cloud, name) == ['{"total": 100}', '{"total": 150}']
    assert left_on(cloud, url) == 0  # filtered-out messages are deleted, not left to be redriven
    [filtered] = cloud.trace.of_kind("sqs_filtered_out")
    assert len(filtered["message_ids"]) == 2
    assert cloud.trace.of_kind("sqs_batch")[0]["filtered_out"] == 2


def test_a_plain_string_pattern_matches_plain_bodies_only(cloud, deploy):
    url, name = with_filters(cloud, deploy, "plain", {"body": [{"prefix": "ERROR"}]})
    send(cloud, url, "ERROR disk full", "INFO all good", '{"ERROR": true}')
    cloud.run_until_idle()
    assert bodies(cloud, name) == ["ERROR disk full"]
    assert left_on(cloud, url) == 0


def test_filters_are_ored_and_can_look_at_attributes(cloud, deploy):
    url, name = with_filters(
        cloud,
        deploy,
        "either",
        {"body": {"kind": ["refund"]}},
        {"attributes": {"ApproximateReceiveCount": [{"anything-but": "1"}]}, "body": {"kind": ["sale"]}},
    )
    send(cloud, url, '{"kind": "refund"}', '{"kind": "sale"}', '{"kind": "other"}')
    cloud.run_until_idle()
    assert bodies(cloud, name) == ['{"kind": "refund"}']  # a sale is received once: count "1" is excluded


def test_when_nothing_matches_the_function_is_never_invoked(cloud, deploy):
    url, _ = with_filters(cloud, deploy, "quiet", {"body": {"kind": ["never"]}})
    send(cloud, url, '{"kind": "a"}', "b")
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == [] and left_on(cloud, url) == 0


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ('{"body": {"total": [{"numeric": [">", "ten"]}]}}', "$.body.total[0].numeric[1]"),
        ('{"body": ', "not valid JSON"),
        ('["body"]', "must be a JSON object"),
    ],
)
def test_an_invalid_sqs_filter_is_refused(cloud, deploy, pattern, problem):
    _, arn = make_queue(cloud, "refused")
    name = deploy(RECORDER)
    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, FilterCriteria={"Filters": [{"Pattern": pattern}]}
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith("Invalid filter pattern definition. FilterCriteria.Filters[0].Pattern")
    assert problem in error["Message"]


def test_updating_with_empty_criteria_removes_the_filters(cloud, deploy):
    url, name = with_filters(cloud, deploy, "later", {"body": {"kind": ["a"]}})
    send(cloud, url, '{"kind": "b"}')
    cloud.run_until_idle()
    [uuid] = [m["UUID"] for m in cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]]
    cloud.client("lambda").update_event_source_mapping(UUID=uuid, FilterCriteria={})
    send(cloud, url, '{"kind": "c"}')
    cloud.run_until_idle()
    assert bodies(cloud, name) == ['{"kind": "c"}']  # "b" was deleted while the filter stood
