"""Order workflow: the student's state machine is run against the shop's functions (written here, trusted)
in scenarios: a good order, an order out of stock, a payment service that fails twice then recovers, one
that stays down (compensation), and a declined card (an error that retrying cannot fix)."""

import contextlib
import datetime as dt
import json
import re

from labs.grading.checks import CheckFailed, check

FILE = "order-workflow.json"
FUNCTIONS = {
    "reserve-stock": "shop.reserve_stock",
    "charge-payment": "shop.charge_payment",
    "release-stock": "shop.release_stock",
    "ship-order": "shop.ship_order",
    "send-receipt": "shop.send_receipt",
}

# The shop's functions. Deterministic: stock and payment outcomes follow from the order (SKUs starting
# with OOS- are out of stock; the card token decides how the payment service behaves), and payment
# attempts are counted in DynamoDB so "fails twice, then succeeds" holds whatever environment runs them.
SHOP = """
import boto3

dynamodb = boto3.client("dynamodb")


class InvalidOrder(Exception):
    pass


class PaymentServiceUnavailable(Exception):
    pass


class PaymentDeclined(Exception):
    pass


def _need(event, *keys):
    if not isinstance(event, dict):
        raise InvalidOrder(f"expected a JSON object, got {type(event).__name__}")
    missing = [key for key in keys if key not in event]
    if missing:
        raise InvalidOrder(f"the input lacks {missing}; it has {sorted(event)}")


def reserve_stock(event, context):
    _need(event, "order_id", "items")
    missing = [item["sku"] for item in event["items"] if item["sku"].startswith("OOS-")]
    if missing:
        print(f"order {event['order_id']}: out of stock: {missing}")
        return {"in_stock": False, "reservation_id": None, "missing": missing}
    reservation_id = f"res-{event['order_id']}"
    dynamodb.put_item(
        TableName="reservations",
        Item={"reservation_id": {"S": reservation_id}, "status": {"S": "reserved"}},
    )
    return {"in_stock": True, "reservation_id": reservation_id}


def charge_payment(event, context):
    _need(event, "order_id", "total", "card")
    attempts = dynamodb.update_item(
        TableName="payment-attempts",
        Key={"order_id": {"S": event["order_id"]}},
        UpdateExpression="ADD attempts :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]["attempts"]["N"]
    print(f"order {event['order_id']}: payment attempt {attempts} with {event['card']}")
    if event["card"] == "tok_declined":
        raise PaymentDeclined("the card was declined by the issuer")
    if event["card"] == "tok_down" or (event["card"] == "tok_flaky" and int(attempts) <= 2):
        raise PaymentServiceUnavailable("the payment provider did not answer; try again later")
    return {"payment_id": f"pay-{event['order_id']}", "amount": event["total"]}


def release_stock(event, context):
    _need(event, "reservation_id")
    dynamodb.update_item(
        TableName="reservations",
        Key={"reservation_id": {"S": event["reservation_id"]}},
        UpdateExpression="SET #s = :released",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":released": {"S": "released"}},
    )
    return {"released": event["reservation_id"]}


def ship_order(event, context):
    _need(event, "order_id", "items")
    return {"tracking_number": f"TRK-{event['order_id']}"}


def send_receipt(event, context):
    _need(event, "order_id", "email")
    return {"receipt_sent_to": event["email"]}
"""


def setup(lab):
    dynamodb = lab.client("dynamodb")
    for table, key in (("reservations", "reservation_id"), ("payment-attempts", "order_id")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    role = lab.role(["dynamodb:PutItem", "dynamodb:UpdateItem"])
    for name, handler in FUNCTIONS.items():
        lab.deploy_function(name, handler=handler, files={"shop.py": SHOP}, role_arn=role)
    lab.machine_role = lab.role(["lambda:InvokeFunction"], service="states")
    lab.definition = _definition(lab)


def _definition(lab) -> str:
    """The student's ASL with ${AccountId} and ${Region} substituted (as SAM's DefinitionSubstitutions do)."""
    text = lab.files[FILE]
    lab.json_file(FILE)  # a syntax error fails every check with its line and column
    values = {"AccountId": lab.cloud.account_id, "Region": lab.cloud.region}
    unknown = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if unknown:
        raise CheckFailed(
            f"{FILE} uses ${{{unknown[0]}}}; the only substitutions are ${{AccountId}} and ${{Region}}"
        )
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], text)


def _order(order_id, *, card="tok_ok", skus=("BK-1",)):
    return {
        "order_id": order_id,
        "items": [{"sku": sku, "qty": 1} for sku in skus],
        "total": 42.5,
        "card": card,
        "email": f"{order_id}@example.com",
    }


def _run(lab, order):
    return lab.run_state_machine(lab.definition, order, role_arn=lab.machine_role, name="order-workflow")


def start_execution(lab, value):
    """The "Start execution" box: the student's draft started with their own input, against the shop's
    functions (try card tok_flaky, tok_down or tok_declined, or an SKU starting with OOS-)."""
    return _run(lab, value)


def _where(execution) -> str:
    if execution["status"] == "SUCCEEDED":
        return f"it succeeded with output {json.dumps(execution['output'])[:400]}"
    cause = execution["cause"] or ""
    # a Lambda function's error arrives as its JSON error object: its message is what matters
    with contextlib.suppress(ValueError, AttributeError):
        cause = json.loads(cause).get("errorMessage", cause)
    return f"it ended {execution['status']} with error {execution['error']!r}: {cause[:300]}"


def _attempts(lab, order_id) -> int:
    item = lab.client("dynamodb").get_item(TableName="payment-attempts", Key={"order_id": {"S": order_id}})
    return int(item.get("Item", {}).get("attempts", {}).get("N", 0))


def _reservation(lab, order_id) -> str | None:
    item = lab.client("dynamodb").get_item(
        TableName="reservations", Key={"reservation_id": {"S": f"res-{order_id}"}}
    )
    return item.get("Item", {}).get("status", {}).get("S")


def _calls(execution, function) -> list[dt.datetime]:
    """When the execution scheduled ``function`` (by ARN or through lambda:invoke), in order."""
    times = []
    for event in execution["history"]:
        if event["type"] == "LambdaFunctionScheduled":
            resource = event["lambdaFunctionScheduledEventDetails"]["resource"]
        elif event["type"] == "TaskScheduled":
            resource = event["taskScheduledEventDetails"].get("parameters", "")
        else:
            continue
        if re.search(rf"(:function:|\"FunctionName\":\"){re.escape(function)}\b", resource):
            times.append(dt.datetime.fromisoformat(event["timestamp"]))
    return times


def _succeeds_with_fields(lab, order):
    execution = _run(lab, order)
    lab.require(
        execution["status"] == "SUCCEEDED",
        f"Order {order['order_id']} (card {order['card']}) should succeed, but {_where(execution)}.",
    )
    output = execution["output"] if isinstance(execution["output"], dict) else {}
    expected = {
        "order_id": order["order_id"],
        "payment_id": f"pay-{order['order_id']}",
        "tracking_number": f"TRK-{order['order_id']}",
    }
    wrong = {key: output.get(key) for key, value in expected.items() if output.get(key) != value}
    lab.require(
        not wrong,
        f"The output of a successful order must hold {json.dumps(expected)} at its top level; "
        f"it has {json.dumps(execution['output'])[:400]}. Shape it with ResultSelector/ResultPath or a final Pass.",
    )
    return execution


@check("happy_path", "A good order is reserved, charged, shipped, and its output says so", points=3)
def happy_path(lab):
    order = _order("o-100")
    _succeeds_with_fields(lab, order)
    lab.require(
        _reservation(lab, "o-100") == "reserved",
        "The stock of a successful order must stay reserved (release-stock is only for failed payments).",
    )


@check("out_of_stock", "An order out of stock fails with OutOfStock before any payment", points=2)
def out_of_stock(lab):
    execution = _run(lab, _order("o-200", skus=("BK-1", "OOS-7")))
    lab.require(
        execution["status"] == "FAILED" and execution["error"] == "OutOfStock",
        "An order with an out-of-stock item (reserve-stock returns in_stock false) should end in a Fail state "
        f'with "Error": "OutOfStock", but {_where(execution)}. Use a Choice on the reservation result.',
    )
    lab.require(
        not _calls(execution, "charge-payment") and _attempts(lab, "o-200") == 0,
        "The out-of-stock order was charged: decide with the Choice before the payment step.",
    )


@check("transient_payment_retried", "A flaky payment is retried with growing waits and succeeds", points=3)
def transient_payment_retried(lab):
    execution = _succeeds_with_fields(lab, _order("o-300", card="tok_flaky"))
    calls = _calls(execution, "charge-payment")
    lab.require(
        len(calls) == 3,
        f"With card tok_flaky the payment service fails twice with PaymentServiceUnavailable and then "
        f"succeeds, so charge-payment should run 3 times; it ran {len(calls)} time(s).",
    )
    waits = [(later - earlier).total_seconds() for earlier, later in zip(calls, calls[1:], strict=False)]
    lab.require(
        waits[0] >= 1 and waits[1] > waits[0],
        f"The waits between payment attempts were {waits} seconds: wait at least 1 second before the first "
        "retry and back off (BackoffRate above 1), so a struggling service gets room to recover.",
    )


@check("payment_failure_compensates", "A payment that keeps failing releases the stock and fails", points=3)
def payment_failure_compensates(lab):
    execution = _run(lab, _order("o-400", card="tok_down"))
    lab.require(
        execution["status"] == "FAILED" and execution["error"] == "PaymentFailed",
        "With card tok_down the payment service never answers; after the retries the workflow should release "
        f'the stock and end in a Fail state with "Error": "PaymentFailed", but {_where(execution)}.',
    )
    attempts = _attempts(lab, "o-400")
    lab.require(
        3 <= attempts <= 4,
        f"charge-payment ran {attempts} time(s) for a service that stays down: retry it 2 or 3 times, then give up.",
    )
    lab.require(
        _reservation(lab, "o-400") == "released",
        "The reservation res-o-400 is still held: Catch the payment error and call release-stock with "
        '{"reservation_id": ...} before failing (a compensating step).',
    )


@check("fulfilment_in_parallel", "Shipping and the receipt run as branches of a Parallel state", points=1)
def fulfilment_in_parallel(lab):
    execution = _succeeds_with_fields(lab, _order("o-500"))
    parallel = [e for e in execution["history"] if e["type"] == "ParallelStateEntered"]
    lab.require(
        parallel, "No Parallel state ran: ship the order and send the receipt in two branches of one."
    )
    for function in ("ship-order", "send-receipt"):
        lab.require(_calls(execution, function), f"{function} was not called for a successful order.")
    states = lab.json_file(FILE).get("States", {})
    branches_text = [
        json.dumps(state.get("Branches", [])) for state in states.values() if state.get("Type") == "Parallel"
    ]
    lab.require(
        any("ship-order" in text and "send-receipt" in text for text in branches_text),
        "ship-order and send-receipt should be branches of the same Parallel state.",
    )


@check("declined_card_not_retried", "A declined card is not retried, and the stock is released", points=2)
def declined_card_not_retried(lab):
    execution = _run(lab, _order("o-600", card="tok_declined"))
    lab.require(
        execution["status"] == "FAILED" and execution["error"] == "PaymentFailed",
        f"A declined card should end with PaymentFailed, but {_where(execution)}.",
    )
    lab.require(
        _attempts(lab, "o-600") == 1,
        f"A declined card was charged {_attempts(lab, 'o-600')} times: retry only the transient error "
        "(PaymentServiceUnavailable), never PaymentDeclined.",
    )
    lab.require(_reservation(lab, "o-600") == "released", "The declined order's stock was not released.")


@check("other_orders", "Works for other orders and amounts", points=1)
def other_orders(lab):
    order = _order("o-7781", card="tok_flaky", skus=("BK-2", "MUG-9", "PEN-3"))
    order["total"] = 12.99
    _succeeds_with_fields(lab, order)
    lab.require(_reservation(lab, "o-7781") == "reserved", "Order o-7781's stock is not reserved.")
