"""The payments service of the durable-orders lab (trusted; deployed by grader.py as the function
``payments``): one charge per idempotency key, as a card processor's idempotent requests give. Every request
is logged, so the grader sees which keys an order was charged with."""

import os

import boto3
from botocore.exceptions import ClientError

dynamodb = boto3.client("dynamodb")


class InvalidPaymentRequest(Exception):
    pass


class IdempotencyKeyReused(Exception):
    pass


def handler(event, context):
    event = event if isinstance(event, dict) else {}
    key, order_id = event.get("idempotency_key"), event.get("order_id")
    amount, card = event.get("amount_cents"), event.get("card")
    dynamodb.put_item(
        TableName=os.environ["REQUESTS_TABLE"],
        Item={
            "request_id": {"S": context.aws_request_id},
            "idempotency_key": {"S": str(key)},
            "order_id": {"S": str(order_id)},
            "amount_cents": {"S": str(amount)},
        },
    )
    if not isinstance(key, str) or not 1 <= len(key) <= 255:
        raise InvalidPaymentRequest("idempotency_key must be a string of 1 to 255 characters")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidPaymentRequest("order_id must be a non-empty string")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidPaymentRequest(f"amount_cents must be a positive whole number, not {amount!r}")
    if not isinstance(card, str) or not card:
        raise InvalidPaymentRequest("card must be a card token such as tok_visa")
    charge = {
        "idempotency_key": {"S": key},
        "charge_id": {"S": "ch_" + context.aws_request_id.replace("-", "")[:16]},
        "order_id": {"S": order_id},
        "amount_cents": {"N": str(amount)},
    }
    try:
        dynamodb.put_item(
            TableName=os.environ["CHARGES_TABLE"],
            Item=charge,
            ConditionExpression="attribute_not_exists(idempotency_key)",
        )
        print(f"charged {amount} cents for order {order_id} (key {key})")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        charge = dynamodb.get_item(
            TableName=os.environ["CHARGES_TABLE"], Key={"idempotency_key": {"S": key}}, ConsistentRead=True
        )["Item"]
        if charge["order_id"]["S"] != order_id or int(charge["amount_cents"]["N"]) != amount:
            raise IdempotencyKeyReused(
                f"idempotency key {key!r} already charged order {charge['order_id']['S']}; "
                "a key belongs to one charge"
            ) from None
        print(f"key {key} was charged before: returning the original charge, not charging again")
    return {
        "charge_id": charge["charge_id"]["S"],
        "amount_cents": int(charge["amount_cents"]["N"]),
        "status": "captured",
    }
