import json
import os
import uuid

import boto3
from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from botocore.exceptions import ClientError

dynamodb = boto3.client("dynamodb")
lambda_client = boto3.client("lambda")
INVENTORY = os.environ["INVENTORY_TABLE"]
ORDERS = os.environ["ORDERS_TABLE"]
PAYMENTS = os.environ["PAYMENTS_FUNCTION"]


class OutOfStock(Exception):
    """The order asks for more than the warehouse holds."""


class PaymentFailed(Exception):
    """The payments service refused the charge."""


@durable_step
def reserve_stock(step_context: StepContext, order: dict) -> dict:
    for item in order["items"]:
        try:
            dynamodb.update_item(
                TableName=INVENTORY,
                Key={"sku": {"S": item["sku"]}},
                UpdateExpression="SET stock = stock - :quantity",
                ConditionExpression="stock >= :quantity",
                ExpressionAttributeValues={":quantity": {"N": str(item["quantity"])}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise OutOfStock(f"order {order['order_id']}: not enough stock of {item['sku']}") from None
            raise
    dynamodb.put_item(
        TableName=ORDERS, Item={"order_id": {"S": order["order_id"]}, "status": {"S": "RESERVED"}}
    )
    return {"reserved": True}


@durable_step
def charge_card(step_context: StepContext, order: dict, idempotency_key: str) -> dict:
    request = {
        "idempotency_key": idempotency_key,
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
    # a fresh idempotency key for this order, so the payments service never charges it twice
    idempotency_key = str(uuid.uuid4())
    context.step(reserve_stock(event), name="reserve-stock")
    charge = context.step(charge_card(event, idempotency_key), name="charge-card")
    # TODO: the warehouse dispatches paid orders one day after payment: hold the order here
    context.step(dispatch(event["order_id"]), name="dispatch")
    return {"order_id": event["order_id"], "status": "DISPATCHED", "charge_id": charge["charge_id"]}
