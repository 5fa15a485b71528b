"""Durable orders: the student's handler is deployed as a Lambda durable function (DurableConfig, a published
version, invoked asynchronously with an execution name) beside a payments service written here (trusted): a
plain function that records every request it receives and every charge it makes, and that honours an
idempotency key as card processors do. Orders run on the simulated clock, so the one-day hold costs no wall
time; interruptions are injected with ``cloud.faults.interrupt_durable`` (the execution environment dies
after a step's code ran and before its result was checkpointed, so the step runs again on replay).

AWS facts the checks rest on:
- Code outside a durable operation runs again on every replay; steps are at-least-once per retry by
  default, so a step with a side effect must be idempotent:
  https://docs.aws.amazon.com/lambda/latest/dg/durable-execution-idempotency.html,
  https://docs.aws.amazon.com/lambda/latest/dg/durable-best-practices.html
- A wait suspends the function without compute charges:
  https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
- A durable function is invoked through a qualified ARN (a version):
  https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html
- The execution role needs lambda:CheckpointDurableExecution and lambda:GetDurableExecutionState:
  https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html
"""

import json
from pathlib import Path

from botocore.exceptions import ClientError

from labs.grading.checks import CheckFailed, check
from labs.runtime.awslambda.packaging import zip_files

FUNCTION = "process-order"
PAYMENTS = "payments"
INVENTORY, ORDERS = "Inventory", "Orders"
CHARGES, PAYMENT_REQUESTS = "Charges", "PaymentRequests"  # the payments service's own tables
ONE_DAY_S = 86400
STOCK = {"MUG-BLUE": 100, "LAMP-1": 1, "BOOK-2": 20, "PEN-5": 50, "GLOBE-9": 1, "CUP-7": 10}
# compute the function may use for one order; a durable wait costs none (time.sleep would run for the day)
MAX_COMPUTE_MS = 5000

# The payments service (trusted, deployed here): payments.py beside this file.
PAYMENTS_CODE = (Path(__file__).parent / "payments.py").read_text(encoding="utf-8")


def setup(lab):
    dynamodb = lab.client("dynamodb")
    for table, key in ((INVENTORY, "sku"), (ORDERS, "order_id"), (CHARGES, "idempotency_key")):
        create_table(dynamodb, table, key)
    create_table(dynamodb, PAYMENT_REQUESTS, "request_id")
    for sku, stock in STOCK.items():
        dynamodb.put_item(TableName=INVENTORY, Item={"sku": {"S": sku}, "stock": {"N": str(stock)}})
    lab.deploy_function(
        PAYMENTS,
        handler="payments.handler",
        files={"payments.py": PAYMENTS_CODE},
        role_arn=lab.role(
            policy=table_policy(lab, ["dynamodb:PutItem", "dynamodb:GetItem"], CHARGES, PAYMENT_REQUESTS)
        ),
        environment={"CHARGES_TABLE": CHARGES, "REQUESTS_TABLE": PAYMENT_REQUESTS},
    )
    deploy_orders_function(lab)


def create_table(dynamodb, name: str, key: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def table_arn(lab, table: str) -> str:
    return f"arn:aws:dynamodb:{lab.cloud.region}:{lab.cloud.account_id}:table/{table}"


def table_policy(lab, actions: list[str], *tables: str) -> dict:
    resources = [table_arn(lab, table) for table in tables]
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
    }


def deploy_orders_function(lab) -> None:
    """The student's app.py as a durable function, with the role the instructions describe, and version 1
    published (a durable function is invoked through a qualified ARN)."""
    region, account = lab.cloud.region, lab.cloud.account_id
    function_arn = f"arn:aws:lambda:{region}:{account}:function:{FUNCTION}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"],
                "Resource": f"{function_arn}:*",
            },
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:{region}:{account}:function:{PAYMENTS}",
            },
            {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": [table_arn(lab, INVENTORY), table_arn(lab, ORDERS)],
            },
        ],
    }
    code = {name: text for name, text in lab.files.items() if name.endswith(".py")}
    lam = lab.client("lambda")
    try:
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.13",
            Role=lab.role(policy=policy),
            Handler="app.handler",
            Code={"ZipFile": zip_files(code)},
            Timeout=10,
            Environment={
                "Variables": {
                    "INVENTORY_TABLE": INVENTORY,
                    "ORDERS_TABLE": ORDERS,
                    "PAYMENTS_FUNCTION": PAYMENTS,
                }
            },
            DurableConfig={"ExecutionTimeout": 7 * ONE_DAY_S, "RetentionPeriodInDays": 7},
        )
        lab.durable_version = lam.publish_version(FunctionName=FUNCTION)["Version"]
    except ClientError as error:
        raise CheckFailed(
            f"The function could not be created: {error.response['Error']['Message']}"
        ) from None


# -- running orders and reading what happened ----------------------------------------------------------------
def order(order_id: str, *items: tuple[str, int, int], card: str = "tok_visa") -> dict:
    """An order event: items are (sku, quantity, unit price in cents)."""
    return {
        "order_id": order_id,
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity, _ in items],
        "total_cents": sum(quantity * price for _, quantity, price in items),
        "card": card,
    }


def start(lab, event: dict) -> str:
    """Start one durable execution (asynchronously, named after the order) and return its ARN."""
    try:
        response = lab.client("lambda").invoke(
            FunctionName=FUNCTION,
            Qualifier=lab.durable_version,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
            DurableExecutionName=event["order_id"],
        )
    except ClientError as error:
        raise CheckFailed(
            f"Lambda refused to start the order: {error.response['Error']['Message']}"
        ) from None
    return response["DurableExecutionArn"]


def run(lab, *events: dict) -> dict[str, dict]:
    """Start each order, run the simulation until nothing is left to do, and return each execution."""
    arns = {event["order_id"]: start(lab, event) for event in events}
    lab.cloud.run_until_idle()
    return {order_id: execution(lab, arn) for order_id, arn in arns.items()}


def execution(lab, arn: str) -> dict:
    lam = lab.client("lambda")
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    described["Events"] = lam.get_durable_execution_history(
        DurableExecutionArn=arn, IncludeExecutionData=True
    )["Events"]
    return described


def outcome(described: dict) -> str:
    """How an execution ended, in the student's words: status and error."""
    error = described.get("Error") or {}
    if error:
        return f"{described['Status']} ({error.get('ErrorType')}: {error.get('ErrorMessage')})"
    return described["Status"]


def result(described: dict):
    try:
        return json.loads(described.get("Result") or "null")
    except ValueError:
        return described.get("Result")


def where_it_failed(described: dict) -> str:
    """The last failed step of an execution, from its history, as a hint."""
    failed = [event for event in described["Events"] if event["EventType"] == "StepFailed"]
    if not failed:
        return "Read the function's logs: the error was raised outside any step."
    return f"The last step that failed is {failed[-1].get('Name')!r}: read the function's logs."


def require_succeeded(lab, order_id: str, described: dict, what: str) -> None:
    lab.require(
        described["Status"] == "SUCCEEDED",
        f"Order {order_id} ({what}) ended {outcome(described)}; expected SUCCEEDED. {where_it_failed(described)}",
    )


def charges(lab, order_id: str) -> list[dict]:
    """The charges the payments service made for an order (one item per idempotency key it charged)."""
    items = lab.client("dynamodb").scan(TableName=CHARGES, ConsistentRead=True)["Items"]
    return [
        {
            "charge_id": i["charge_id"]["S"],
            "amount_cents": int(i["amount_cents"]["N"]),
            "key": i["idempotency_key"]["S"],
        }
        for i in items
        if i["order_id"]["S"] == order_id
    ]


def payment_keys(lab, order_id: str) -> list[str]:
    """The idempotency key of every request the payments service received for an order (repeats included)."""
    items = lab.client("dynamodb").scan(TableName=PAYMENT_REQUESTS, ConsistentRead=True)["Items"]
    return [item["idempotency_key"]["S"] for item in items if item["order_id"]["S"] == order_id]


def stock(lab) -> dict[str, int]:
    items = lab.client("dynamodb").scan(TableName=INVENTORY, ConsistentRead=True)["Items"]
    return {item["sku"]["S"]: int(item["stock"]["N"]) for item in items if "stock" in item}


def order_status(lab, order_id: str) -> dict:
    item = lab.client("dynamodb").get_item(
        TableName=ORDERS, Key={"order_id": {"S": order_id}}, ConsistentRead=True
    )
    return {name: next(iter(value.values())) for name, value in item.get("Item", {}).items()}


def require_one_charge(lab, order_id: str, event: dict, cause: str) -> dict:
    made = charges(lab, order_id)
    lab.require(made, f"Order {order_id} was never charged: the payments service made no charge for it.")
    keys = payment_keys(lab, order_id)
    lab.require(
        len(made) == 1,
        f"The customer was charged {len(made)} times for order {order_id}: {cause} The payments service "
        f"received the idempotency keys {keys}: a different key on each attempt is a new charge. Derive the key "
        'from the order (for example f"{order_id}-charge"), or create it in a step of its own so a replay '
        "reads it from the checkpoint; never from uuid4() or the clock in the handler body.",
    )
    lab.require(
        made[0]["amount_cents"] == event["total_cents"],
        f"Order {order_id} was charged {made[0]['amount_cents']} cents; its total_cents is {event['total_cents']}.",
    )
    return made[0]


def records_since(lab, since: int, kind: str) -> list[dict]:
    return [entry for entry in lab.cloud.trace[since:] if entry["kind"] == kind]


def retries_of(lab, arn: str, step: str) -> int:
    return sum(
        1
        for entry in lab.cloud.trace.of_kind("durable_operation")
        if entry.get("execution_arn") == arn and entry.get("name") == step and entry.get("action") == "RETRY"
    )


def compute_ms(lab, since: int) -> float:
    """Billed duration of the order function's invocations in the trace since ``since``."""
    return sum(
        entry.get("billed_duration_ms") or 0
        for entry in records_since(lab, since, "invocation")
        if f":function:{FUNCTION}" in str(entry.get("function_arn", ""))
    )


def require_interrupted(lab, since: int, step: str, order_id: str, described: dict) -> None:
    if records_since(lab, since, "fault_injected"):
        return
    require_succeeded(lab, order_id, described, f"to be interrupted after {step}")
    lab.require(
        False,
        f"The grader interrupts the function right after its {step!r} step ran, but no step of that name ran. "
        f"Run that part of the workflow in a step named {step!r}: context.step(..., name={step!r}).",
    )


def require_not_interrupted_away(lab, order_id: str, described: dict) -> None:
    """At-most-once semantics without retries turns an interruption into a failed order."""
    error = described.get("Error") or {}
    text = f"{error.get('ErrorType')} {error.get('ErrorMessage')}"
    lab.require(
        # the SDK's StepInterruptedError, surfaced as a StepError "... was previously interrupted"
        "StepInterrupted" not in text and "previously interrupted" not in text,
        f"Order {order_id} ended {outcome(described)}: the step was at-most-once, so after the interruption the "
        "SDK refused to run it again and the order failed, although the card may have been charged. Keep the "
        "default at-least-once semantics and make the step idempotent instead.",
    )


def event_names(described: dict) -> list[tuple[str, str]]:
    return [(event["EventType"], event.get("Name") or "") for event in described["Events"]]


# -- checks --------------------------------------------------------------------------------------------------
@check("completes_an_order", "Reserves, charges once, dispatches, and returns the charge", points=2)
def completes_an_order(lab):
    event = order("o-1001", ("MUG-BLUE", 2, 1250))
    before = stock(lab)
    described = run(lab, event)["o-1001"]
    require_succeeded(lab, "o-1001", described, "2 x MUG-BLUE, in stock")
    charge = require_one_charge(
        lab,
        "o-1001",
        event,
        "nothing was interrupted, so code outside a step charged again when the function was replayed.",
    )
    expected = {"order_id": "o-1001", "status": "DISPATCHED", "charge_id": charge["charge_id"]}
    lab.require(
        result(described) == expected,
        f"The execution's result is {json.dumps(result(described))}; expected {json.dumps(expected)} (the charge "
        "id comes from the payments service's answer, checkpointed by the charge-card step).",
    )
    left = stock(lab)["MUG-BLUE"]
    lab.require(
        left == before["MUG-BLUE"] - 2,
        f"MUG-BLUE went from {before['MUG-BLUE']} to {left} in {INVENTORY} for an order of 2.",
    )
    saved = order_status(lab, "o-1001")
    lab.require(
        saved.get("status") == "DISPATCHED" and saved.get("charge_id") == charge["charge_id"],
        f"The {ORDERS} item of o-1001 is {json.dumps(saved) if saved else 'missing'}; expected status DISPATCHED "
        f"and charge_id {charge['charge_id']}.",
    )


@check("holds_a_day_without_compute", "Holds a paid order for a day with a durable wait", points=2)
def holds_a_day_without_compute(lab):
    event = order("o-2001", ("CUP-7", 1, 900))
    first = len(lab.cloud.trace)
    arn = start(lab, event)
    lab.cloud.run_for(ONE_DAY_S - 3600)
    early, saved = execution(lab, arn), order_status(lab, "o-2001")
    lab.require(
        early["Status"] in ("RUNNING", "SUCCEEDED"),
        f"Order o-2001 ended {outcome(early)} within its first day.",
    )
    lab.require(
        early["Status"] == "RUNNING" and saved.get("status") != "DISPATCHED",
        "Order o-2001 was dispatched within hours of being paid: the warehouse takes paid orders a day later. "
        "After the charge, hold the order with context.wait(Duration.from_days(1)): the function checkpoints, "
        "returns, and Lambda invokes it again when the day is over.",
    )
    lab.require(
        saved.get("status") == "PAID",
        f"23 hours into the hold, the {ORDERS} item of o-2001 is {json.dumps(saved) if saved else 'missing'}; "
        "expected status PAID (set it once the card is charged).",
    )
    lab.cloud.run_until_idle()
    described = execution(lab, arn)
    require_succeeded(lab, "o-2001", described, "1 x CUP-7, in stock")
    waits = [e for e in described["Events"] if e["EventType"] == "WaitStarted"]
    lab.require(
        waits,
        "The execution's history has no WaitStarted event: the day was not a durable wait. time.sleep keeps "
        "the function running (and billed) and cannot outlast the function's timeout of at most 15 minutes.",
    )
    seconds = [(e.get("WaitStartedDetails") or {}).get("Duration") for e in waits]
    lab.require(
        ONE_DAY_S in seconds, f"The execution waited {seconds} seconds; one day is {ONE_DAY_S} seconds."
    )
    names = event_names(described)
    charged, dispatched = ("StepSucceeded", "charge-card"), ("StepSucceeded", "dispatch")
    wait_started = names.index(("WaitStarted", waits[0].get("Name") or ""))
    lab.require(
        charged in names and names.index(charged) < wait_started,
        "The wait must start after the charge-card step succeeded (the hold is for paid orders).",
    )
    lab.require(
        dispatched in names and names.index(dispatched) > wait_started,
        "The history has no step named 'dispatch' after the wait: mark the order DISPATCHED in a step named "
        "dispatch once the day is over.",
    )
    elapsed = (described["EndTimestamp"] - described["StartTimestamp"]).total_seconds()
    lab.require(
        elapsed >= ONE_DAY_S, f"The execution took {elapsed:.0f} simulated seconds; expected a day or more."
    )
    used = compute_ms(lab, first)
    lab.require(
        used <= MAX_COMPUTE_MS,
        f"Lambda billed {used:.0f} ms of compute for one order: a durable wait suspends the function at no "
        "compute cost; only the steps' own work should be billed.",
    )


@check("charges_once_when_interrupted", "Charges once when interrupted after charging", points=3)
def charges_once_when_interrupted(lab):
    event = order("o-3001", ("MUG-BLUE", 1, 1250))
    first = len(lab.cloud.trace)
    lab.cloud.faults.interrupt_durable(FUNCTION, step="charge-card", times=1)
    described = run(lab, event)["o-3001"]
    require_interrupted(lab, first, "charge-card", "o-3001", described)
    require_not_interrupted_away(lab, "o-3001", described)
    require_succeeded(lab, "o-3001", described, "interrupted once after charge-card ran")
    charge = require_one_charge(
        lab,
        "o-3001",
        event,
        "the execution environment died after the charge-card step had charged the card and before its "
        "result was checkpointed; Lambda invoked the function again and the replay ran the step again, as "
        "steps are at-least-once. Make the charge idempotent.",
    )
    lab.require(
        (result(described) or {}).get("charge_id") == charge["charge_id"],
        f"The result {json.dumps(result(described))} does not name the one charge ({charge['charge_id']}).",
    )


@check("rejects_out_of_stock", "Fails an order it cannot reserve, without charging it", points=2)
def rejects_out_of_stock(lab):
    event = order("o-4001", ("LAMP-1", 3, 4500))
    before = stock(lab)
    described = run(lab, event)["o-4001"]
    lab.require(
        described["Status"] == "FAILED",
        f"Order o-4001 asks for 3 x LAMP-1 and 1 is in stock; the execution ended {outcome(described)}. "
        "Expected FAILED: an order that cannot be reserved fails, with an error that says why.",
    )
    error = described.get("Error") or {}
    lab.require(
        "LAMP-1" in str(error.get("ErrorMessage")),
        f"The execution failed with {error.get('ErrorType')}: {error.get('ErrorMessage')!r}; the error message "
        "must name the SKU that is short (LAMP-1), so whoever reads the failed execution knows why.",
    )
    keys = payment_keys(lab, "o-4001")
    lab.require(not keys, f"The payments service was asked to charge order o-4001 ({len(keys)} requests).")
    after = stock(lab)
    lab.require(after == before, f"{INVENTORY} changed for an order that failed: {before} became {after}.")


@check("reserves_once_when_interrupted", "Reserves stock once when interrupted after reserving", points=2)
def reserves_once_when_interrupted(lab):
    event = order("o-5001", ("BOOK-2", 2, 1999))
    before = stock(lab)["BOOK-2"]
    first = len(lab.cloud.trace)
    lab.cloud.faults.interrupt_durable(FUNCTION, step="reserve-stock", times=1)
    described = run(lab, event)["o-5001"]
    require_interrupted(lab, first, "reserve-stock", "o-5001", described)
    require_not_interrupted_away(lab, "o-5001", described)
    require_succeeded(lab, "o-5001", described, "interrupted once after reserve-stock ran")
    left = stock(lab)["BOOK-2"]
    lab.require(
        left == before - 2,
        f"BOOK-2 went from {before} to {left} for an order of 2: the environment died after the reserve-stock "
        "step had reserved the stock and before its result was checkpointed, and the replay reserved it again. "
        f"Make the reservation idempotent: for example put the order's {ORDERS} item with "
        "attribute_not_exists(order_id) in the same DynamoDB transaction, so a second run finds it done.",
    )
    require_one_charge(lab, "o-5001", event, "the reserve-stock step was interrupted, not the charge.")


@check("out_of_stock_not_retried", "Does not retry an order that is out of stock", points=1)
def out_of_stock_not_retried(lab):
    event = order("o-6001", ("GLOBE-9", 2, 3500))
    arn = start(lab, event)
    lab.cloud.run_until_idle()
    described = execution(lab, arn)
    lab.require(
        described["Status"] == "FAILED"
        and "GLOBE-9" in str((described.get("Error") or {}).get("ErrorMessage")),
        f"Order o-6001 asks for 2 x GLOBE-9 and 1 is in stock; it ended {outcome(described)}. Expected FAILED "
        "with an error that names GLOBE-9.",
    )
    retries = retries_of(lab, arn, "reserve-stock")
    elapsed = (described["EndTimestamp"] - described["StartTimestamp"]).total_seconds()
    lab.require(
        retries == 0,
        f"The reserve-stock step was retried {retries} times over {elapsed:.0f} simulated seconds before order "
        "o-6001 failed. A step that raises is retried with backoff by default, but stock that is not there "
        "will not appear in seconds. Return the shortage from the step and fail the execution outside it, or "
        "give the step a retry strategy that does not retry OutOfStock.",
    )


@check("other_orders", "Other orders: several items, all or nothing, conflicts retried", points=3)
def other_orders(lab):
    both = (("BOOK-2", 1, 1999), ("PEN-5", 3, 250))
    events = [
        order("o-7001", *both),
        order("o-7002", ("PEN-5", 2, 250), ("GLOBE-9", 5, 3500)),
        order("o-7003", *both, card="tok_mastercard"),
    ]
    before = stock(lab)
    # the first reservation meets a conflicting transaction: DynamoDB cancels it, which is no shortage
    lab.cloud.faults.service_error(
        "dynamodb",
        "TransactWriteItems",
        code="TransactionCanceledException",
        message="Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, TransactionConflict, None]",
        status=400,
    )
    done = run(lab, *events)
    for event in (events[0], events[2]):
        order_id = event["order_id"]
        require_succeeded(
            lab,
            order_id,
            done[order_id],
            "2 items, both in stock; the first reservation of these orders was cancelled by a conflicting "
            "transaction (TransactionConflict), which is no shortage: let the step fail so it is retried",
        )
        charge = require_one_charge(lab, order_id, event, "each order is charged once, with its own key.")
        lab.require(
            (result(done[order_id]) or {}).get("charge_id") == charge["charge_id"],
            f"The result of {order_id} is {json.dumps(result(done[order_id]))}; expected its own charge id.",
        )
    lab.require(
        done["o-7002"]["Status"] == "FAILED", f"Order o-7002 (GLOBE-9 short) ended {outcome(done['o-7002'])}."
    )
    lab.require(
        not payment_keys(lab, "o-7002"), "Order o-7002 could not be reserved, yet it reached payments."
    )
    after = stock(lab)
    leaked = before["PEN-5"] - 6 - after["PEN-5"]
    lab.require(
        leaked <= 0,
        f"Order o-7002 failed because GLOBE-9 is short, but {leaked} x PEN-5 stayed reserved for it: reserve "
        "all the items of an order or none of them (one DynamoDB TransactWriteItems call), and never retry a "
        "half-done reservation.",
    )
    expected = {**before, "BOOK-2": before["BOOK-2"] - 2, "PEN-5": before["PEN-5"] - 6}
    lab.require(after == expected, f"{INVENTORY} after the orders is {after}; expected {expected}.")
