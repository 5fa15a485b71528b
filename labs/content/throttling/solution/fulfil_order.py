import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            ship(json.loads(record["body"]))
        except Exception as error:  # noqa: BLE001 - only this message goes back to the queue
            logger.warning("message %s failed: %s", record["messageId"], error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def ship(order):
    if not order.get("items"):
        raise ValueError(f"order {order.get('order_id')} has no items")
    # the warehouse counts every shipment: shipping an order twice sends two parcels
    table.update_item(
        Key={"order_id": order["order_id"]},
        UpdateExpression="ADD shipments :one",
        ExpressionAttributeValues={":one": 1},
    )
