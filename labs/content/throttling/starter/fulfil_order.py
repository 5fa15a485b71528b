import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    ship(event)
    return {"order_id": event["order_id"], "status": "shipped"}


def ship(order):
    if not order.get("items"):
        raise ValueError(f"order {order.get('order_id')} has no items")
    # the warehouse counts every shipment: shipping an order twice sends two parcels
    table.update_item(
        Key={"order_id": order["order_id"]},
        UpdateExpression="ADD shipments :one",
        ExpressionAttributeValues={":one": 1},
    )
