import os
import uuid

import boto3

dynamodb = boto3.resource("dynamodb")
ledger = dynamodb.Table(os.environ["LEDGER_TABLE"])
receipts = dynamodb.Table(os.environ["RECEIPTS_TABLE"])


class InvalidPayment(Exception):
    """The payment cannot be charged as it is."""


def lambda_handler(event, context):
    payment_id = event.get("payment_id")
    amount = event.get("amount_cents")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidPayment(f"payment {payment_id}: amount_cents must be a positive whole number")
    # charge the card: the provider gives every charge a new id
    charge_id = str(uuid.uuid4())
    ledger.put_item(Item={"charge_id": charge_id, "payment_id": payment_id, "amount_cents": amount})
    # then send the receipt
    receipts.put_item(Item={"payment_id": payment_id, "charge_id": charge_id, "amount_cents": amount})
    return {"payment_id": payment_id, "charge_id": charge_id}
