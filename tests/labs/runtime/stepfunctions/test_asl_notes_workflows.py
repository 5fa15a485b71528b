"""The two workflows of the notes, run against real Lambda handlers in the sandbox: account opening
(Parallel checks, Choice, DynamoDB) and the session demo's photo processing (labels, error path)."""

import json

from tests.labs.runtime.stepfunctions.conftest import create, execute, sfn_role

ACCOUNT_OPENING = {
    "Comment": "Open an account after verifying the applicant",
    "StartAt": "VerifyApplicant",
    "States": {
        "VerifyApplicant": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "CheckName",
                    "States": {
                        "CheckName": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:check-name",
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "CheckAddress",
                    "States": {
                        "CheckAddress": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:check-address",
                            "End": True,
                        }
                    },
                },
            ],
            "ResultPath": "$.checks",
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.checks[0].valid", "BooleanEquals": True},
                        {"Variable": "$.checks[1].valid", "BooleanEquals": True},
                    ],
                    "Next": "OpenAccount",
                }
            ],
            "Default": "FlagForReview",
        },
        "OpenAccount": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "accounts", "Item": {"id": {"S.$": "$.applicant_id"}}},
            "End": True,
        },
        "FlagForReview": {
            "Type": "Fail",
            "Error": "VerificationFailed",
            "Cause": "Name or address could not be verified",
        },
    },
}


def test_the_account_opening_example_from_the_notes(cloud, deploy):
    deploy(
        'def handler(event, context):\n    return {"valid": bool(event.get("name", "").strip())}\n',
        FunctionName="check-name",
    )
    deploy(
        'def handler(event, context):\n    return {"valid": "street" in event.get("address", "")}\n',
        FunctionName="check-address",
    )
    cloud.client("dynamodb").create_table(
        TableName="accounts",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    machine_arn = create(
        cloud, ACCOUNT_OPENING, sfn_role(cloud, actions=("lambda:InvokeFunction", "dynamodb:PutItem"))
    )
    good, _ = execute(cloud, machine_arn, {"applicant_id": "a-1", "name": "Ana", "address": "1 Main street"})
    assert good["status"] == "SUCCEEDED"
    assert "Item" in cloud.client("dynamodb").get_item(TableName="accounts", Key={"id": {"S": "a-1"}})
    bad, _ = execute(cloud, machine_arn, {"applicant_id": "a-2", "name": "Bo", "address": "nowhere"})
    assert (bad["status"], bad["error"]) == ("FAILED", "VerificationFailed")


PHOTO_CODE = {
    "metadata.py": """
import boto3
from urllib.parse import unquote_plus

def handler(event, context):
    bucket, key = event["bucket"], unquote_plus(event["key"])
    head = boto3.client("s3").head_object(Bucket=bucket, Key=key)
    return {"bucket": bucket, "key": key, "size": head["ContentLength"], "format": key.rsplit(".", 1)[-1].lower()}
""",
    "thumbnail.py": """
import boto3

def handler(event, context):
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    thumb_key = "thumbnails/" + event["key"].rsplit("/", 1)[-1]
    s3.put_object(Bucket=event["bucket"], Key=thumb_key, Body=body[:64])
    return {"thumbnail": thumb_key}
""",
    "labels.py": """
import boto3

def handler(event, context):
    found = boto3.client("rekognition").detect_labels(
        Image={"S3Object": {"Bucket": event["bucket"], "Name": event["key"]}}, MaxLabels=5, MinConfidence=80)
    return [label["Name"] for label in found["Labels"]]
""",
}
PHOTO_WORKFLOW = {
    "Comment": "Photo processing: metadata, type check, thumbnail and labels in parallel, store; notify on failure",
    "StartAt": "ExtractMetadata",
    "States": {
        "ExtractMetadata": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "photo-metadata", "Payload.$": "$"},
            "ResultSelector": {"metadata.$": "$.Payload"},
            "OutputPath": "$.metadata",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}],
            "Next": "SupportedType",
        },
        "SupportedType": {
            "Type": "Choice",
            "Choices": [
                {
                    "Or": [
                        {"Variable": "$.format", "StringEquals": "jpg"},
                        {"Variable": "$.format", "StringEquals": "png"},
                    ],
                    "Next": "Process",
                }
            ],
            "Default": "UnsupportedImage",
        },
        "UnsupportedImage": {
            "Type": "Fail",
            "Error": "UnsupportedImage",
            "Cause": "Only JPEG and PNG photos are processed",
        },
        "Process": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Thumbnail",
                    "States": {
                        "Thumbnail": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:photo-thumbnail",
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "DetectLabels",
                    "States": {
                        "DetectLabels": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:photo-labels",
                            "End": True,
                        }
                    },
                },
            ],
            "ResultPath": "$.results",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}],
            "Next": "StoreMetadata",
        },
        "StoreMetadata": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "photos",
                "Item": {
                    "key": {"S.$": "$.key"},
                    "thumbnail": {"S.$": "$.results[0].thumbnail"},
                    "labels": {"S.$": "States.JsonToString($.results[1])"},
                },
            },
            "ResultPath": None,
            "End": True,
        },
        "NotifyFailure": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:photo-failures",
                "Message.$": "$.error",
            },
            "Next": "Failed",
        },
        "Failed": {"Type": "Fail", "Error": "PhotoProcessingFailed"},
    },
}


def test_the_photo_processing_workflow_from_the_session_demo(cloud, deploy):
    for name, module in (
        ("photo-metadata", "metadata"),
        ("photo-thumbnail", "thumbnail"),
        ("photo-labels", "labels"),
    ):
        deploy(
            PHOTO_CODE,
            handler=f"{module}.handler",
            FunctionName=name,
            actions=["s3:*", "rekognition:DetectLabels"],
        )
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="photos-in")
    s3.put_object(
        Bucket="photos-in", Key="uploads/cat on beach.jpg", Body=b"\xff\xd8\xff\xe0" + b"\x00" * 200
    )
    s3.put_object(Bucket="photos-in", Key="uploads/notes.jpg", Body=b"plain text, not a photo")
    cloud.client("dynamodb").create_table(
        TableName="photos",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="photo-failures")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    # as on AWS, the queue's policy must let the topic send to it
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
    }
    sqs.set_queue_attributes(
        QueueUrl=queue_url, Attributes={"Policy": json.dumps({"Statement": [statement]})}
    )
    role = sfn_role(cloud, actions=("lambda:InvokeFunction", "dynamodb:PutItem", "sns:Publish"))
    machine_arn = create(cloud, PHOTO_WORKFLOW, role)

    good, _ = execute(cloud, machine_arn, {"bucket": "photos-in", "key": "uploads/cat+on+beach.jpg"})
    assert good["status"] == "SUCCEEDED", good.get("cause")
    item = cloud.client("dynamodb").get_item(
        TableName="photos", Key={"key": {"S": "uploads/cat on beach.jpg"}}
    )["Item"]
    assert json.loads(item["labels"]["S"])[:3] == ["Cat", "Animal", "Pet"]
    assert item["thumbnail"] == {"S": "thumbnails/cat on beach.jpg"}

    unsupported, _ = execute(cloud, machine_arn, {"bucket": "photos-in", "key": "uploads/cat.gif"})
    assert (
        unsupported["error"] == "PhotoProcessingFailed"
    )  # head_object fails: no such key, caught and notified
    not_a_photo, _ = execute(cloud, machine_arn, {"bucket": "photos-in", "key": "uploads/notes.jpg"})
    assert not_a_photo["error"] == "PhotoProcessingFailed"
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    errors = [json.loads(message["Body"])["Error"] for message in messages]
    assert "InvalidImageFormatException" in " ".join(
        json.loads(message["Body"])["Cause"] for message in messages
    )
    assert len(errors) == 2
