"""A topic's MaximumMessageSize, as "Publishing large messages with Amazon SNS" documents it
(https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html): 256 KiB unless set, up to 1 MiB,
checked on the body plus attributes, and a large topic takes only Firehose, SQS and Lambda subscriptions."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.labs.runtime.test_routing_s3_sns import function_arn, queue, receive

KIB = 1024


def test_a_topic_is_256_kib_until_set_and_refuses_a_larger_message(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="plain")["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["MaximumMessageSize"] == "262144"
    sns.publish(TopicArn=topic, Message="x" * (256 * KIB))
    with pytest.raises(ClientError) as refused:
        sns.publish(TopicArn=topic, Message="x" * (256 * KIB + 1))
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "Message too long" in str(refused.value) and "262144" in str(refused.value)


def test_a_1_mib_topic_delivers_a_large_message_to_sqs_and_lambda(cloud, deploy):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="large", Attributes={"MaximumMessageSize": str(1024 * KIB)})["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["MaximumMessageSize"] == "1048576"
    url, arn = queue(cloud, "big", allow_from=topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    name = deploy("def handler(event, context):\n    print(len(event['Records'][0]['Sns']['Message']))\n")
    cloud.client("lambda").add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn(cloud, name))
    message = "y" * (700 * KIB)
    sns.publish(TopicArn=topic, Message=message)
    cloud.run_until_idle()
    (received,) = receive(cloud, url)
    assert received["Body"] == message
    (invocation,) = cloud.trace.of_kind("invocation")
    assert invocation["status"] == "done" and not invocation.get("error")
    assert str(700 * KIB) in invocation["logs"]


def test_message_attributes_count_toward_the_topic_maximum(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="small", Attributes={"MaximumMessageSize": "1024"})["TopicArn"]
    sns.publish(TopicArn=topic, Message="x" * 1000)
    attributes = {"note": {"DataType": "String", "StringValue": "z" * 40}}
    with pytest.raises(ClientError, match="Message too long"):
        sns.publish(TopicArn=topic, Message="x" * 1000, MessageAttributes=attributes)
    with pytest.raises(ClientError, match="Message too long"):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": "1", "Message": "ok"}, {"Id": "2", "Message": "x" * 2000}],
        )


@pytest.mark.parametrize("value", ["1023", "1048577", "large", "-5"])
def test_a_maximum_outside_1_kib_to_1_mib_is_refused_and_nothing_is_created(cloud, value):
    sns = cloud.client("sns")
    with pytest.raises(ClientError) as refused:
        sns.create_topic(Name="bad", Attributes={"MaximumMessageSize": value})
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "MaximumMessageSize must be an integer from 1024 to 1048576" in str(refused.value)
    assert sns.list_topics()["Topics"] == []
    topic = sns.create_topic(Name="good")["TopicArn"]
    with pytest.raises(ClientError, match="MaximumMessageSize must be an integer"):
        sns.set_topic_attributes(TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue=value)
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["MaximumMessageSize"] == "262144"


def test_a_large_topic_takes_only_firehose_sqs_and_lambda_subscriptions(cloud):
    sns = cloud.client("sns")
    large = sns.create_topic(Name="large", Attributes={"MaximumMessageSize": "524288"})["TopicArn"]
    with pytest.raises(ClientError, match="only firehose, lambda and sqs subscriptions, not email"):
        sns.subscribe(TopicArn=large, Protocol="email", Endpoint="ops@example.com")
    plain = sns.create_topic(Name="plain")["TopicArn"]
    sns.subscribe(TopicArn=plain, Protocol="email", Endpoint="ops@example.com")
    with pytest.raises(ClientError, match="this topic has email"):
        sns.set_topic_attributes(TopicArn=plain, AttributeName="MaximumMessageSize", AttributeValue="524288")
    sns.set_topic_attributes(TopicArn=plain, AttributeName="MaximumMessageSize", AttributeValue="200000")


def test_an_account_no_cloud_owns_keeps_motos_256_kib_limit():
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="t")["TopicArn"]
        with pytest.raises(ClientError, match="Message too long"):
            sns.publish(TopicArn=topic, Message="x" * (256 * KIB + 1))
