"""S3 event notifications and SNS deliveries, routed by the runtime on the simulated clock."""

import json
from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import ClientError

RECORDER = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return "ok"
"""


def events_seen(invocations):
    return [
        json.loads(line[6:]) for i in invocations for line in i.logs.splitlines() if line.startswith("EVENT ")
    ]


def queue(cloud, name, allow_from=None, service="sns.amazonaws.com", **attributes):
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if allow_from:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": allow_from}},
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [statement]})})
    return url, arn


def receive(cloud, url):
    return cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def function_arn(cloud, name):
    return cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def allow(cloud, name, service, source_arn=None):
    extra = {"SourceArn": source_arn} if source_arn else {}
    cloud.client("lambda").add_permission(
        FunctionName=name,
        StatementId=service.split(".")[0],
        Action="lambda:InvokeFunction",
        Principal=service,
        **extra,
    )


# -- S3 ---------------------------------------------------------------------------------------------------------
def test_s3_notifies_a_function_with_aws_event_shape_and_url_encoded_keys(cloud, deploy):
    name = deploy(RECORDER)
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="uploads-bkt")
    allow(cloud, name, "s3.amazonaws.com", "arn:aws:s3:::uploads-bkt")
    rule = {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".txt"}]}}
    s3.put_bucket_notification_configuration(
        Bucket="uploads-bkt",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "uploads",
                    "LambdaFunctionArn": function_arn(cloud, name),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": rule,
                }
            ]
        },
    )
    s3.put_object(Bucket="uploads-bkt", Key="in/my report+é.txt", Body=b"hello")
    s3.put_object(Bucket="uploads-bkt", Key="in/my report+é.txt", Body=b"hello again")
    s3.put_object(Bucket="uploads-bkt", Key="in/photo.jpg", Body=b"x")  # suffix filtered out
    s3.put_object(Bucket="uploads-bkt", Key="out/a.txt", Body=b"x")  # prefix filtered out
    assert cloud.trace.of_kind("s3_notification") == []  # asynchronous: nothing until the simulation runs
    seen = events_seen(cloud.run_pending())
    assert len(seen) == 2
    record = seen[0]["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["eventVersion"] == "2.1" and record["awsRegion"] == cloud.region
    obj = record["s3"]["object"]
    assert obj["key"] == "in/my+report%2B%C3%A9.txt" and unquote_plus(obj["key"]) == "in/my report+é.txt"
    assert obj["size"] == 5 and len(obj["eTag"]) == 32
    assert record["s3"]["configurationId"] == "uploads"
    assert record["s3"]["bucket"] == {
        "name": "uploads-bkt",
        "ownerIdentity": {"principalId": "A3EXAMPLEOWNER"},
        "arn": "arn:aws:s3:::uploads-bkt",
    }
    second = seen[1]["Records"][0]["s3"]["object"]
    assert second["sequencer"] > obj["sequencer"]  # later event of the same key sorts later


def test_s3_refuses_a_destination_without_permission_and_keeps_the_old_configuration(cloud, deploy):
    name = deploy(RECORDER)
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="strict-bkt")
    url, arn = queue(cloud, "s3-events", allow_from="arn:aws:s3:::strict-bkt", service="s3.amazonaws.com")
    good = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]}]}
    s3.put_bucket_notification_configuration(Bucket="strict-bkt", NotificationConfiguration=good)
    bad = {
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": function_arn(cloud, name), "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_notification_configuration(Bucket="strict-bkt", NotificationConfiguration=bad)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert "Unable to validate the following destination configurations" in error["Message"]
    assert "s3.amazonaws.com" in error["Message"] and "add-permission" in error["Message"]
    kept = s3.get_bucket_notification_configuration(Bucket="strict-bkt")
    assert [c["QueueArn"] for c in kept["QueueConfigurations"]] == [arn]
    assert "LambdaFunctionConfigurations" not in kept
    s3.put_object(Bucket="strict-bkt", Key="a.txt", Body=b"1")
    s3.delete_object(Bucket="strict-bkt", Key="a.txt")
    cloud.run_until_idle()
    test_event, message = receive(cloud, url)
    assert (
        json.loads(test_event["Body"])["Event"] == "s3:TestEvent"
    )  # S3 sends one when a queue is configured
    record = json.loads(message["Body"])["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete" and "size" not in record["s3"]["object"]


def test_s3_to_eventbridge_sends_object_created_to_the_default_bus(cloud):
    s3, events = cloud.client("s3"), cloud.client("events")
    s3.create_bucket(Bucket="eb-bkt")
    s3.put_bucket_notification_configuration(
        Bucket="eb-bkt", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"object": {"key": [{"prefix": "q/"}]}},
    }
    events.put_rule(Name="questions", EventPattern=json.dumps(pattern))
    url, arn = queue(
        cloud,
        "questions",
        allow_from="arn:aws:events:us-east-1:" + cloud.account_id + ":rule/questions",
        service="events.amazonaws.com",
    )
    events.put_targets(Rule="questions", Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object(Bucket="eb-bkt", Key="q/why is the sky blue.txt", Body=b"?")
    s3.put_object(Bucket="eb-bkt", Key="other.txt", Body=b"!")
    cloud.run_until_idle()
    (message,) = receive(cloud, url)
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Object Created" and event["source"] == "aws.s3"
    assert event["resources"] == ["arn:aws:s3:::eb-bkt"]
    assert event["detail"]["object"]["key"] == "q/why is the sky blue.txt"  # not URL-encoded on EventBridge
    assert event["detail"]["reason"] == "PutObject" and event["detail"]["object"]["size"] == 1


# -- SNS --------------------------------------------------------------------------------------------------------
def test_sns_to_sqs_needs_the_queue_policy_and_sends_the_envelope(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    open_url, open_arn = queue(cloud, "allowed", allow_from=topic)
    closed_url, closed_arn = queue(cloud, "no-policy")
    for arn in (open_arn, closed_arn):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(
        TopicArn=topic,
        Message="order 1",
        Subject="New order",
        MessageAttributes={"priority": {"DataType": "Number", "StringValue": "3"}},
    )
    cloud.run_until_idle()
    (message,) = receive(cloud, open_url)
    envelope = json.loads(message["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Message"] == "order 1" and envelope["Subject"] == "New order"
    assert envelope["MessageAttributes"] == {"priority": {"Type": "Number", "Value": "3"}}
    assert {
        "MessageId",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    } <= set(envelope)
    assert receive(cloud, closed_url) == []
    (failure,) = cloud.trace.of_kind("delivery_failed")
    assert failure["target"] == closed_arn and "sns.amazonaws.com" in failure["error"]


def test_sns_filter_policies_raw_delivery_and_dead_letter_queue(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="events")["TopicArn"]
    raw_url, raw_arn = queue(cloud, "raw", allow_from=topic)
    body_url, body_arn = queue(cloud, "by-body", allow_from=topic)
    dlq_url, dlq_arn = queue(cloud, "sub-dlq", allow_from=topic)
    _, missing_arn = queue(cloud, "will-be-deleted", allow_from=topic)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=raw_arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"kind": ["refund"]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=body_arn,
        Attributes={
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"total": [{"numeric": [">", 100]}]}),
        },
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=missing_arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    cloud.client("sqs").delete_queue(
        QueueUrl=cloud.client("sqs").get_queue_url(QueueName="will-be-deleted")["QueueUrl"]
    )
    kind = {"kind": {"DataType": "String", "StringValue": "refund"}}
    sns.publish(TopicArn=topic, Message=json.dumps({"total": 250}), MessageAttributes=kind)
    sns.publish(TopicArn=topic, Message=json.dumps({"total": 20}))
    cloud.run_until_idle()
    (raw,) = receive(cloud, raw_url)
    assert raw["Body"] == '{"total": 250}'
    (by_body,) = receive(cloud, body_url)
    assert json.loads(json.loads(by_body["Body"])["Message"]) == {"total": 250}
    assert len(receive(cloud, dlq_url)) == 2  # both messages failed to reach the deleted queue
    assert len(cloud.trace.of_kind("sns_filtered_out")) == 2
    with pytest.raises(ClientError) as caught:
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=raw_arn,
            Attributes={"FilterPolicy": '{"a": [{"nope": 1}]}'},
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameter"
    assert "$.a[0].nope" in caught.value.response["Error"]["Message"]


def test_sns_invokes_lambda_asynchronously_and_records_email_in_the_outbox(cloud, deploy):
    name = deploy(RECORDER)
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn(cloud, name))
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    sns.publish(TopicArn=topic, Message="nothing yet")  # no permission for SNS yet: not delivered
    cloud.run_until_idle()
    allow(cloud, name, "sns.amazonaws.com", topic)
    sns.publish(
        TopicArn=topic,
        Message=json.dumps({"default": "fallback", "lambda": "for lambda"}),
        MessageStructure="json",
    )
    seen = events_seen(cloud.run_pending())
    assert len(seen) == 1
    record = seen[0]["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["Sns"]["Message"] == "for lambda" and record["Sns"]["TopicArn"] == topic
    assert {"SigningCertUrl", "UnsubscribeUrl", "MessageId", "Timestamp"} <= set(record["Sns"])
    mail = cloud.outbox("sns")
    assert [(m["to"], m["body"]) for m in mail] == [
        ("ops@example.com", "nothing yet"),
        ("ops@example.com", "fallback"),
    ]
    assert any("sns.amazonaws.com" in f["error"] for f in cloud.trace.of_kind("delivery_failed"))


def test_ses_messages_appear_in_the_outbox(cloud):
    ses = cloud.client("ses")
    ses.verify_email_identity(EmailAddress="shop@example.com")
    ses.send_email(
        Source="shop@example.com",
        Destination={"ToAddresses": ["ana@example.com"]},
        Message={"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "Shipped"}}},
    )
    (mail,) = cloud.outbox("ses")
    assert (mail["to"], mail["subject"], mail["body"]) == (["ana@example.com"], "Your order", "Shipped")
