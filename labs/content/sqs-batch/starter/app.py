import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        save(order)


def save(order):
    if "order_id" not in order:
        raise ValueError("order without an order_id")
    table.put_item(
        Item={
            "order_id": order["order_id"],
            "quantity": order["quantity"],
            "price_cents": order["price_cents"],
            "total_cents": order["quantity"] * order["price_cents"],
        }
    )
