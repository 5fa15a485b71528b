import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


class InvalidOrder(Exception):
    """The message does not hold an order we can process; retrying will not change that."""


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            save(parse(record["body"]))
        except Exception as error:  # noqa: BLE001 - any failure sends this one message back to the queue
            logger.warning("message %s failed: %s: %s", record["messageId"], type(error).__name__, error)
            failures.append({"itemIdentifier": record["messageId"]})
    logger.info("batch of %d: %d failed", len(event["Records"]), len(failures))
    # only the listed messages stay on the queue; the others are deleted by the event source mapping
    return {"batchItemFailures": failures}


def whole_number(value) -> bool:
    # bool is a subclass of int in Python: True is not a quantity
    return isinstance(value, int) and not isinstance(value, bool)


def parse(body: str) -> dict:
    try:
        order = json.loads(body)
    except ValueError:
        raise InvalidOrder("the body is not JSON") from None
    if not isinstance(order, dict):
        raise InvalidOrder("the body is not a JSON object")
    order_id, quantity, price = order.get("order_id"), order.get("quantity"), order.get("price_cents")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidOrder("order_id must be a non-empty string")
    if not whole_number(quantity) or quantity < 1:
        raise InvalidOrder("quantity must be a whole number of at least 1")
    if not whole_number(price) or price < 0:
        raise InvalidOrder("price_cents must be a whole number of at least 0")
    return {"order_id": order_id, "quantity": quantity, "price_cents": price}


def save(order: dict) -> None:
    # keyed by order_id: a message delivered twice writes the same item twice, which is harmless
    table.put_item(Item={**order, "total_cents": order["quantity"] * order["price_cents"]})
