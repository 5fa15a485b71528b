"""The three order consumers: payments, shipping and fraud review.

Each function reads its own queue through an SQS event source mapping and records, in the table named by
TABLE_NAME, that it handled the order (one item per consumer and order, with a count of deliveries).
A message that is not an order fails alone: it is listed in batchItemFailures, so with
FunctionResponseTypes: [ReportBatchItemFailures] only that message returns to the queue, and after the
queue's maxReceiveCount SQS moves it to the dead-letter queue.
"""

import json
import os

import boto3

dynamodb = boto3.client("dynamodb")


def order_of(record: dict) -> dict:
    """The order in an SQS record: the raw message (RawMessageDelivery: true) or the SNS envelope's
    Message (raw delivery off)."""
    body = json.loads(record["body"])
    if isinstance(body, dict) and body.get("Type") == "Notification" and "TopicArn" in body:
        body = json.loads(body["Message"])
    if not isinstance(body, dict):
        raise ValueError("the message is not a JSON object")
    order_id = body.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        raise ValueError("the order has no order_id")
    total = body.get("total")
    if isinstance(total, bool) or not isinstance(total, int | float) or total < 0:
        raise ValueError(f"order {order_id}: total must be a number of at least 0")
    return body


def record_processed(order: dict) -> None:
    dynamodb.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={
            "consumer": {"S": os.environ["AWS_LAMBDA_FUNCTION_NAME"]},
            "order_id": {"S": order["order_id"]},
        },
        UpdateExpression="ADD deliveries :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            record_processed(order_of(record))
        except Exception as error:
            print(f"message {record['messageId']} failed: {type(error).__name__}: {error}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
