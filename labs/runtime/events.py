"""Sample events, shaped as AWS documents them (like ``sam local generate-event``).

Each generator returns a plain dict. Shapes follow the Lambda developer guide's pages for each event source
(https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html, with-sqs.html, with-sns.html, with-ddb.html,
services-apigateway.html, with-kinesis.html and EventBridge's event structure reference).
"""

from __future__ import annotations

import base64

__all__ = ["EVENTS", "generate_event"]

_REGION, _ACCOUNT = "us-east-1", "123456789012"
_TIME = "2024-01-01T12:00:00.000Z"


def _s3(event_name: str) -> dict:
    obj = {"key": "test/key", "sequencer": "0A1B2C3D4E5F678901"}
    if event_name.startswith("ObjectCreated"):
        obj.update(size=1024, eTag="0123456789abcdef0123456789abcdef")
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": _REGION,
                "eventTime": _TIME,
                "eventName": event_name,
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": "EXAMPLE123456789",
                    "x-amz-id-2": "EXAMPLE123/abcdefghijklmno",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "testConfigRule",
                    "bucket": {
                        "name": "example-bucket",
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": "arn:aws:s3:::example-bucket",
                    },
                    "object": obj,
                },
            }
        ]
    }


def _sqs() -> dict:
    return {
        "Records": [
            {
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                "body": "Test message.",
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:my-queue",
                "awsRegion": _REGION,
            }
        ]
    }


def _sns() -> dict:
    topic = f"arn:aws:sns:{_REGION}:{_ACCOUNT}:sns-lambda"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:21be56ed-a058-49f5-8c98-aedd2564c486",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2019-01-02T12:45:07.000Z",
                    "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "Message": "Hello from SNS!",
                    "MessageAttributes": {"Test": {"Type": "String", "Value": "TestString"}},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}",
                    "TopicArn": topic,
                    "Subject": "TestInvoke",
                },
            }
        ]
    }


def _dynamodb_update() -> dict:
    return {
        "Records": [
            {
                "eventID": "2",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": _REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": 1704110400,
                    "Keys": {"Id": {"N": "101"}},
                    "NewImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
                    "OldImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                    "SequenceNumber": "222",
                    "SizeBytes": 59,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{_REGION}:{_ACCOUNT}:table/ExampleTable/stream/2024-01-01T00:00:00.000",
            }
        ]
    }


def _apigateway_rest() -> dict:
    return {
        "resource": "/{proxy+}",
        "path": "/hello/world",
        "httpMethod": "POST",
        "headers": {
            "Accept": "*/*",
            "Content-Type": "application/json",
            "Host": "1234567890.execute-api.us-east-1.amazonaws.com",
        },
        "multiValueHeaders": {"Accept": ["*/*"], "Content-Type": ["application/json"]},
        "queryStringParameters": {"name": "me"},
        "multiValueQueryStringParameters": {"name": ["me"]},
        "pathParameters": {"proxy": "hello/world"},
        "stageVariables": None,
        "requestContext": {
            "accountId": _ACCOUNT,
            "resourceId": "123456",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTimeEpoch": 1704110400000,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "Custom User Agent String"},
            "path": "/prod/hello/world",
            "resourcePath": "/{proxy+}",
            "httpMethod": "POST",
            "apiId": "1234567890",
            "protocol": "HTTP/1.1",
        },
        "body": '{"test":"body"}',
        "isBase64Encoded": False,
    }


def _apigateway_http() -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/my/path",
        "rawQueryString": "parameter1=value1&parameter2=value2",
        "cookies": ["cookie1", "cookie2"],
        "headers": {"header1": "value1", "header2": "value1,value2"},
        "queryStringParameters": {"parameter1": "value1", "parameter2": "value2"},
        "requestContext": {
            "accountId": _ACCOUNT,
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {
                "method": "POST",
                "path": "/my/path",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "agent",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2024:12:00:00 +0000",
            "timeEpoch": 1704110400000,
        },
        "body": '{"hello":"world"}',
        "isBase64Encoded": False,
    }


def _eventbridge(detail_type: str, source: str, detail: dict, resources: list[str]) -> dict:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": detail_type,
        "source": source,
        "account": _ACCOUNT,
        "time": "2024-01-01T12:00:00Z",
        "region": _REGION,
        "resources": resources,
        "detail": detail,
    }


def _kinesis() -> dict:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "1",
                    "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                    "data": base64.b64encode(b"Hello, this is a test.").decode(),
                    "approximateArrivalTimestamp": 1545084650.987,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{_ACCOUNT}:role/lambda-role",
                "awsRegion": _REGION,
                "eventSourceARN": f"arn:aws:kinesis:{_REGION}:{_ACCOUNT}:stream/lambda-stream",
            }
        ]
    }


EVENTS = {
    ("s3", "put"): lambda: _s3("ObjectCreated:Put"),
    ("s3", "delete"): lambda: _s3("ObjectRemoved:Delete"),
    ("sqs", "receive-message"): _sqs,
    ("sns", "notification"): _sns,
    ("dynamodb", "update"): _dynamodb_update,
    ("apigateway", "aws-proxy"): _apigateway_rest,
    ("apigateway", "http-api-proxy"): _apigateway_http,
    ("eventbridge", "scheduled"): lambda: _eventbridge(
        "Scheduled Event", "aws.events", {}, [f"arn:aws:events:{_REGION}:{_ACCOUNT}:rule/my-schedule"]
    ),
    ("eventbridge", "custom"): lambda: _eventbridge(
        "OrderPlaced", "com.example.orders", {"orderId": "1234"}, []
    ),
    ("kinesis", "get-records"): _kinesis,
}


def generate_event(service: str, event: str) -> dict:
    """The sample event for ``service`` and ``event``; raises ``KeyError`` naming the valid choices."""
    try:
        return EVENTS[(service, event)]()
    except KeyError:
        choices = ", ".join(f"{s} {e}" for s, e in EVENTS)
        raise KeyError(f"no sample event '{service} {event}'; choose one of: {choices}") from None
