import json
import logging
import os

import boto3
from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
lambda_client = boto3.client("lambda")
INVENTORY = os.environ["INVENTORY_TABLE"]
ORDERS = os.environ["ORDERS_TABLE"]
PAYMENTS = os.environ["PAYMENTS_FUNCTION"]


class OutOfStock(Exception):
    """The order asks for more than the warehouse holds."""


class PaymentFailed(Exception):
    """The payments service refused the charge."""


def quantities(order: dict) -> dict[str, int]:
    """Quantity per SKU (a transaction may touch each item once, so repeated SKUs are added up)."""
    wanted: dict[str, int] = {}
    for item in order["items"]:
        wanted[item["sku"]] = wanted.get(item["sku"], 0) + int(item["quantity"])
    return wanted


@durable_step
def reserve_stock(step_context: StepContext, order: dict) -> dict:
    """All items or none, once per order: the order's item is written in the same transaction, so a second
    run of this step (after an interruption) finds the reservation done instead of making another."""
    wanted = quantities(order)
    transaction = [
        {
            "Put": {
                "TableName": ORDERS,
                "Item": {"order_id": {"S": order["order_id"]}, "status": {"S": "RESERVED"}},
                "ConditionExpression": "attribute_not_exists(order_id)",
            }
        }
    ]
    for sku, quantity in wanted.items():
        transaction.append(
            {
                "Update": {
                    "TableName": INVENTORY,
                    "Key": {"sku": {"S": sku}},
                    "UpdateExpression": "SET stock = stock - :quantity",
                    "ConditionExpression": "stock >= :quantity",
                    "ExpressionAttributeValues": {":quantity": {"N": str(quantity)}},
                }
            }
        )
    try:
        dynamodb.transact_write_items(TransactItems=transaction)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            logger.info("order %s was reserved before: not reserving it again", order["order_id"])
            return {"reserved": True, "short": []}
        short = [
            sku
            for sku, reason in zip(wanted, reasons[1:], strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if (
            not short
        ):  # cancelled for another reason (a conflicting transaction): fail, so the step is retried
            raise
        # a business outcome, not an error: returned (and checkpointed) so the step is not retried
        return {"reserved": False, "short": short}
    return {"reserved": True, "short": []}


@durable_step
def charge_card(step_context: StepContext, order: dict) -> dict:
    """The idempotency key comes from the order, so every run of this step asks for the same charge and the
    payments service charges it once."""
    request = {
        "idempotency_key": f"{order['order_id']}-charge",
        "order_id": order["order_id"],
        "amount_cents": order["total_cents"],
        "card": order["card"],
    }
    response = lambda_client.invoke(FunctionName=PAYMENTS, Payload=json.dumps(request).encode())
    answer = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise PaymentFailed(f"{answer.get('errorType')}: {answer.get('errorMessage')}")
    dynamodb.update_item(
        TableName=ORDERS,
        Key={"order_id": {"S": order["order_id"]}},
        UpdateExpression="SET #status = :paid, charge_id = :charge",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":paid": {"S": "PAID"}, ":charge": {"S": answer["charge_id"]}},
    )
    logger.info("order %s charged: %s", order["order_id"], answer["charge_id"])
    return {"charge_id": answer["charge_id"], "amount_cents": answer["amount_cents"]}


@durable_step
def dispatch(step_context: StepContext, order_id: str) -> None:
    dynamodb.update_item(
        TableName=ORDERS,
        Key={"order_id": {"S": order_id}},
        UpdateExpression="SET #status = :dispatched",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":dispatched": {"S": "DISPATCHED"}},
    )


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    # Everything outside a step runs again on every replay: only the event and step results are used here.
    order_id = event["order_id"]
    reservation = context.step(reserve_stock(event), name="reserve-stock")
    if not reservation["reserved"]:
        raise OutOfStock(f"order {order_id}: not enough stock of {', '.join(reservation['short'])}")
    charge = context.step(charge_card(event), name="charge-card")
    # the warehouse dispatches paid orders a day later; the function is not running (nor billed) meanwhile
    context.wait(Duration.from_days(1), name="hold-before-dispatch")
    context.step(dispatch(order_id), name="dispatch")
    return {"order_id": order_id, "status": "DISPATCHED", "charge_id": charge["charge_id"]}
