import logging
import os

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.resource("dynamodb")
ledger = dynamodb.Table(os.environ["LEDGER_TABLE"])
receipts = dynamodb.Table(os.environ["RECEIPTS_TABLE"])


class InvalidPayment(Exception):
    """The payment cannot be charged as it is."""


def lambda_handler(event, context):
    payment_id = event.get("payment_id")
    amount = event.get("amount_cents")
    if not isinstance(payment_id, str) or not payment_id:
        raise InvalidPayment("payment_id must be a non-empty string")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidPayment(f"payment {payment_id}: amount_cents must be a positive whole number")
    # The charge id comes from the payment, not from the attempt: a retry (same request id) and a duplicate
    # delivery (a new request id) of the same payment both find the charge already made.
    charge_id = f"charge-{payment_id}"
    try:
        ledger.put_item(
            Item={"charge_id": charge_id, "payment_id": payment_id, "amount_cents": amount},
            ConditionExpression="attribute_not_exists(charge_id)",
        )
        logger.info("charged %s: %d cents", payment_id, amount)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        logger.info("payment %s was already charged; not charging again", payment_id)
    # writing the same receipt twice is harmless: same key, same content
    receipts.put_item(Item={"payment_id": payment_id, "charge_id": charge_id, "amount_cents": amount})
    return {"payment_id": payment_id, "charge_id": charge_id}
