"""The AWS query protocol as REST API integrations read and write it (``apigateway/query_protocol.py``).

Names from the services' query API references: SQS API_SendMessage.html (MessageAttribute.N.Name,
MessageAttribute.N.Value.StringValue / DataType), API_SendMessageBatch.html (SendMessageBatchRequestEntry.N.*),
API_ReceiveMessage.html (AttributeName.N, MessageAttributeName.N); SNS API_Publish.html
(MessageAttributes.entry.N.Name / Value.*), API_Subscribe.html (Attributes.entry.N.key / value)."""

import json
from urllib.parse import parse_qsl

import boto3
import pytest

from labs.runtime.apigateway.query_protocol import UnknownFields, form_parameters, wire_error, wire_output

SQS = boto3.client("sqs", region_name="us-east-1").meta.service_model
SNS = boto3.client("sns", region_name="us-east-1").meta.service_model


def parse(service: str, action: str, form: str) -> dict:
    model = SQS if service == "sqs" else SNS
    return form_parameters(service, model.operation_model(action), parse_qsl(form, keep_blank_values=True))


@pytest.mark.parametrize(
    ("service", "action", "form", "expected"),
    [
        (
            "sqs",
            "SendMessage",
            "Action=SendMessage&Version=2012-11-05&MessageBody=hi&DelaySeconds=5"
            "&MessageAttribute.1.Name=kind&MessageAttribute.1.Value.StringValue=book"
            "&MessageAttribute.1.Value.DataType=String&MessageAttribute.2.Name=n"
            "&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAE%3D",
            {
                "MessageBody": "hi",
                "DelaySeconds": 5,
                "MessageAttributes": {
                    "kind": {"StringValue": "book", "DataType": "String"},
                    "n": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                },
            },
        ),
        (
            "sqs",
            "SendMessageBatch",
            "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
            "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y"
            "&SendMessageBatchRequestEntry.2.MessageGroupId=g",
            {
                "Entries": [
                    {"Id": "a", "MessageBody": "x"},
                    {"Id": "b", "MessageBody": "y", "MessageGroupId": "g"},
                ]
            },
        ),
        (
            "sqs",
            "ReceiveMessage",
            "AttributeName.1=All&MessageAttributeName.1=kind&MessageAttributeName.2=n&MaxNumberOfMessages=10",
            {"AttributeNames": ["All"], "MessageAttributeNames": ["kind", "n"], "MaxNumberOfMessages": 10},
        ),
        (
            "sns",
            "Publish",
            "TopicArn=arn&Message=m&MessageAttributes.entry.1.Name=severity"
            "&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=high",
            {
                "TopicArn": "arn",
                "Message": "m",
                "MessageAttributes": {"severity": {"DataType": "String", "StringValue": "high"}},
            },
        ),
        (
            "sns",
            "Subscribe",
            "TopicArn=t&Protocol=sqs&Endpoint=e&Attributes.entry.1.key=RawMessageDelivery"
            "&Attributes.entry.1.value=true&ReturnSubscriptionArn=true",
            {
                "TopicArn": "t",
                "Protocol": "sqs",
                "Endpoint": "e",
                "Attributes": {"RawMessageDelivery": "true"},
                "ReturnSubscriptionArn": True,
            },
        ),
        ("sns", "ListTopics", "", {}),
    ],
)
def test_a_form_becomes_the_actions_nested_parameters(service, action, form, expected):
    assert parse(service, action, form) == expected


@pytest.mark.parametrize(
    ("service", "action", "form", "unknown"),
    [
        # the JSON protocol's name, not the query API's
        ("sqs", "SendMessage", "MessageBody=x&MessageAttributes.1.Name=k", ["MessageAttributes.1.Name"]),
        (
            "sqs",
            "SendMessage",
            "MessageBody=x&MessageAttribute.1.Name=k&MessageAttribute.1.Value.Strng=v",
            ["MessageAttribute.1.Value.Strng"],
        ),
        ("sqs", "SendMessage", "MessageBody=x&MessageAttribute.one.Name=k", ["MessageAttribute.one"]),
        (
            "sqs",
            "SendMessage",
            "MessageBody=x&MessageAttribute.1.Value.DataType=String",
            ["MessageAttribute.1.Name"],
        ),
        ("sqs", "SendMessage", "MessageBody=x&MessageBody.Extra=y", ["MessageBody.Extra"]),
        ("sqs", "SendMessage", "MessageBody.Extra=y&MessageBody=x", ["MessageBody", "MessageBody.Extra"]),
        # SNS's map is not flattened: entry.N
        ("sns", "Publish", "Message=m&MessageAttributes.1.Name=a", ["MessageAttributes.1"]),
        ("sns", "Publish", "Message=m&Subjekt=s&Colour=red", ["Subjekt", "Colour"]),
        ("sns", "ListTopics", "Marker=x", ["Marker"]),
    ],
)
def test_a_field_that_is_no_parameter_is_named(service, action, form, unknown):
    with pytest.raises(UnknownFields) as raised:
        parse(service, action, form)
    assert raised.value.fields == unknown and raised.value.action == action


def test_text_that_is_not_of_the_members_type_is_left_for_the_apis_validation():
    assert parse("sqs", "SendMessage", "MessageBody=x&DelaySeconds=soon") == {
        "MessageBody": "x",
        "DelaySeconds": "soon",
    }


def test_the_answer_has_every_output_member_null_when_absent_or_as_xml():
    operation = SQS.operation_model("SendMessage")
    _, text = wire_output("sqs", operation, {"MessageId": "m", "MD5OfMessageBody": "d"}, "r-1", xml=False)
    result = json.loads(text)["SendMessageResponse"]
    assert result["ResponseMetadata"] == {"RequestId": "r-1"}
    assert result["SendMessageResult"]["MessageId"] == "m"
    assert result["SendMessageResult"]["SequenceNumber"] is None
    content_type, xml = wire_output("sqs", operation, {"MessageId": "a<b"}, "r-1", xml=True)
    assert content_type == "text/xml" and "<MessageId>a&lt;b</MessageId>" in xml
    assert "SequenceNumber" not in xml


def test_errors_are_the_services_error_document():
    content_type, text = wire_error("InvalidParameterValue", "bad <value>", "r-2", xml=True)
    assert content_type == "text/xml"
    assert "<Code>InvalidParameterValue</Code><Message>bad &lt;value&gt;</Message>" in text
    _, text = wire_error("InternalError", "boom", "r-2", xml=False, sender=False)
    assert json.loads(text) == {
        "ErrorResponse": {
            "Error": {"Code": "InternalError", "Message": "boom", "Type": "Receiver"},
            "RequestId": "r-2",
        }
    }
