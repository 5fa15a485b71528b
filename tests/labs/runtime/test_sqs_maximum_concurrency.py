"""SQS event source mappings with ScalingConfig.MaximumConcurrency, against reserved concurrency.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html ("Configuring maximum concurrency
for Amazon SQS event sources": the poller does not invoke beyond the limit, so messages are not throttled back
to the queue) and https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html (2 to 1,000, SQS only,
an empty value removes it). Reserved concurrency below the poller's scale throttles received batches instead
(AWS knowledge-center article "lambda-sqs-scaling")."""

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labs.runtime import Cloud
from labs.runtime.cloudformation import TemplateError
from labs.runtime.cloudformation import deploy as deploy_template

START = float(int(time.time()))
CONSUMER = """
def handler(event, context):
    total = 0
    for _ in range(20000):  # some work, so the invocations of one instant overlap
        total += 1
    return {"batchItemFailures": []}
"""


@pytest.fixture
def cloud():
    with Cloud(seed=7, start_time=START) as simulated:
        yield simulated


def queue(cloud, name: str, *, dlq_arn: str | None = None, visibility_s: int = 60):
    sqs = cloud.client("sqs")
    attributes = {"VisibilityTimeout": str(visibility_s)}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def burst(cloud, url: str, count: int) -> None:
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(count)]
    for start in range(0, count, 10):
        cloud.client("sqs").send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])


def most_at_once(cloud) -> int:
    """The largest number of invocations whose [start, start + billed duration) overlap."""
    spans = [
        (e["time"], e["time"] + e.get("billed_duration_ms", 1) / 1000)
        for e in cloud.trace.of_kind("invocation")
    ]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


def test_maximum_concurrency_holds_the_poller_back_instead_of_throttling(cloud, deploy):
    dlq_url, dlq_arn = queue(cloud, "work-dlq")
    url, arn = queue(cloud, "work", dlq_arn=dlq_arn)
    name = deploy(CONSUMER)
    aws_lambda = cloud.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    mapping = aws_lambda.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
    burst(cloud, url, 8)
    cloud.run_until_idle()
    assert len(cloud.trace.of_kind("invocation")) == 8
    assert cloud.trace.of_kind("throttle") == []
    assert "Messages" not in cloud.client("sqs").receive_message(QueueUrl=dlq_url)
    waits = cloud.trace.of_kind("sqs_poller_at_maximum_concurrency")
    assert waits and all(w["maximum_concurrency"] == 2 and w["next_poll"] > w["time"] for w in waits)
    assert most_at_once(cloud) <= 2


def test_reserved_concurrency_alone_throttles_the_burst_into_the_dlq(cloud, deploy):
    dlq_url, dlq_arn = queue(cloud, "rc-dlq")
    url, arn = queue(cloud, "rc", dlq_arn=dlq_arn)
    name = deploy(CONSUMER)
    aws_lambda = cloud.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    aws_lambda.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    burst(cloud, url, 8)
    cloud.run_until_idle()
    throttles = cloud.trace.of_kind("throttle")
    assert throttles and {t["reason"] for t in throttles} == {
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    }
    moved = cloud.client("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert len(moved) == 8 - len(cloud.trace.of_kind("invocation")) > 0
    assert cloud.trace.of_kind("sqs_poller_at_maximum_concurrency") == []


def test_an_empty_scaling_config_removes_the_limit(cloud, deploy):
    url, arn = queue(cloud, "removed")
    name = deploy(CONSUMER)
    aws_lambda = cloud.client("lambda")
    uuid = aws_lambda.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )["UUID"]
    aws_lambda.update_event_source_mapping(UUID=uuid, ScalingConfig={})
    burst(cloud, url, 6)
    cloud.run_until_idle()
    assert cloud.trace.of_kind("sqs_poller_at_maximum_concurrency") == []
    assert most_at_once(cloud) == 6


@pytest.mark.parametrize(
    ("value", "bound"), [(1, "greater than or equal to 2"), (1001, "less than or equal to 1000")]
)
def test_out_of_range_values_are_refused_in_aws_words(cloud, deploy, value, bound):
    _, arn = queue(cloud, f"range-{value}")
    name = deploy(CONSUMER)
    unchecked = cloud.client("lambda", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as raised:
        unchecked.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, ScalingConfig={"MaximumConcurrency": value}
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"1 validation error detected: Value '{value}' at 'scalingConfig.maximumConcurrency' failed to "
        f"satisfy constraint: Member must have value {bound}"
    )
    assert cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


def test_update_is_checked_too(cloud, deploy):
    _, arn = queue(cloud, "update")
    name = deploy(CONSUMER)
    uuid = cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    unchecked = cloud.client("lambda", config=Config(parameter_validation=False))
    with pytest.raises(ClientError, match="less than or equal to 1000"):
        unchecked.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": 5000})


def test_scaling_config_is_refused_for_a_stream(cloud, deploy):
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    name = deploy(CONSUMER)
    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=name,
            StartingPosition="LATEST",
            ScalingConfig={"MaximumConcurrency": 5},
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "only for Amazon SQS event sources, not kinesis" in raised.value.response["Error"]["Message"]


SAM_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Work:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return None
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 1
            ScalingConfig:
              MaximumConcurrency: 3
"""


def test_sam_scaling_config_on_an_sqs_event_is_deployed_without_a_warning(cloud):
    stack = deploy_template(cloud, SAM_TEMPLATE)
    (mapping,) = cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert not [w for w in stack.warnings if "ScalingConfig" in str(w)]


def test_cloudformation_refuses_scaling_config_on_a_stream_mapping(cloud):
    template = """Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Reader:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(event, context):\\n    return None\\n"}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Clicks.Arn
      FunctionName: !Ref Reader
      StartingPosition: LATEST
      ScalingConfig: {MaximumConcurrency: 5}
"""
    with pytest.raises(TemplateError) as caught:
        deploy_template(cloud, template)
    assert caught.value.path == "Resources/Mapping"
    assert "ScalingConfig is supported only for Amazon SQS event sources, not kinesis" in str(caught.value)
