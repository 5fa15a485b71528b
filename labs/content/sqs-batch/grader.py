"""Order queue: an SQS event source mapping (BatchSize 10, ReportBatchItemFailures) feeds the student's
function; the queue's redrive policy moves a message to the dead-letter queue after MAX_RECEIVES receives (Lambda's advice
for a queue that feeds a function, read from the course's facts.yaml like the lessons that state it). Each check
sends its own messages to its own queue pair and runs the simulation until the queue is drained; what a
message went through is read from the trace (batches, invocations, what the mapping deleted)."""

import json
from collections import Counter
from dataclasses import dataclass, field

from courses.facts import fact
from labs.grading.checks import check

FUNCTION = "order-consumer"
TABLE = "orders"
MAX_RECEIVES = int(fact("sqs.lambda_max_receive_count_min"))
VISIBILITY_TIMEOUT_S = 30


def setup(lab):
    lab.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lab.deploy_function(
        FUNCTION,
        handler="app.lambda_handler",
        actions=["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
        environment={"TABLE_NAME": TABLE},
        timeout_s=5,
    )


# -- running a queue -----------------------------------------------------------------------------------------
@dataclass
class Outcome:
    ids: dict  # body -> message id (the last one sent with that body)
    receives: Counter  # message id -> batches it was in
    invocations: list
    dead_letters: list  # bodies that reached the DLQ
    left: int  # messages still on the source queue
    kept: Counter = field(default_factory=Counter)  # message id -> times the mapping kept it after a batch

    @property
    def errors(self) -> list:
        return [entry for entry in self.invocations if entry.get("function_error")]


def order(order_id: str, quantity: int = 1, price_cents: int = 500) -> str:
    return json.dumps({"order_id": order_id, "quantity": quantity, "price_cents": price_cents})


def _queue(sqs, name: str, attributes: dict) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def run_queue(lab, bodies: list[str]) -> Outcome:
    """Send ``bodies`` to a new queue (with a DLQ), map it to the function, run until idle."""
    lab.queue_runs = getattr(lab, "queue_runs", 0) + 1
    sqs, aws_lambda = lab.client("sqs"), lab.client("lambda")
    name = f"orders-{lab.queue_runs}"
    dlq_url, dlq_arn = _queue(sqs, f"{name}-dlq", {})
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
    url, arn = _queue(sqs, name, {"VisibilityTimeout": str(VISIBILITY_TIMEOUT_S), "RedrivePolicy": redrive})
    ids = {}
    for body in bodies:  # sent before the mapping exists, so the first batch takes up to 10 of them at once
        ids[body] = sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
    mapping = aws_lambda.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=FUNCTION,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    first = len(lab.cloud.trace)
    lab.cloud.run_until_idle()
    aws_lambda.delete_event_source_mapping(UUID=mapping["UUID"])
    entries = lab.cloud.trace[first:]
    batches = [e for e in entries if e["kind"] == "sqs_batch" and e["event_source_arn"] == arn]
    causes = {batch["seq"] for batch in batches}
    results = [e for e in entries if e["kind"] == "sqs_batch_result" and e["cause"] in causes]
    dead = lab.take_messages(dlq_url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return Outcome(
        ids=ids,
        receives=Counter(message_id for batch in batches for message_id in batch["message_ids"]),
        invocations=[e for e in entries if e["kind"] == "invocation" and e["cause"] in causes],
        dead_letters=dead,
        left=int(attributes["ApproximateNumberOfMessages"])
        + int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        kept=Counter(message_id for result in results for message_id in result["kept"]),
    )


def saved_orders(lab) -> dict[str, dict]:
    """Every item of the orders table by order_id (one scan: cheaper than a read per order)."""
    pages = lab.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
    return {item["order_id"]["S"]: item for page in pages for item in page["Items"]}


def label(body: str) -> str:
    return body if len(body) <= 60 else body[:57] + "..."


# -- verdicts ------------------------------------------------------------------------------------------------
def require_processed_once(lab, outcome: Outcome, goods: list[str]) -> None:
    if outcome.errors:
        kinds = ", ".join(sorted({e.get("error_type") or "error" for e in outcome.errors}))
        lab.require(
            False,
            f"{len(outcome.errors)} of {len(outcome.invocations)} invocations failed ({kinds}). When the function "
            "raises, the whole batch goes back to the queue, good messages included: catch the error per "
            "message and list only that message in batchItemFailures.",
        )
    saved = saved_orders(lab)
    for body in goods:
        message_id = outcome.ids[body]
        times = outcome.receives[message_id]
        if times != 1:
            why = (
                "your function listed it in batchItemFailures"
                if outcome.kept[message_id]
                else "it was not deleted after its first batch"
            )
            lab.require(
                False,
                f"The good message {label(body)} was received {times} times: {why}. List only the messages that "
                "failed; every other message of the batch is deleted and must not come back.",
            )
        order_id = json.loads(body)["order_id"]
        item = saved.get(order_id)
        lab.require(
            item is not None,
            f"The good message {label(body)} was received once and deleted, but order {order_id} is not in the "
            f"{TABLE} table: a message that is not listed in batchItemFailures counts as processed, so save it "
            "before you move on (and never stop the loop early).",
        )
        expected = json.loads(body)["quantity"] * json.loads(body)["price_cents"]
        total = (item.get("total_cents") or {}).get("N")
        lab.require(
            total == str(expected),
            f"Order {order_id} was stored with total_cents {total}; expected quantity x price_cents = {expected}.",
        )
        lab.require(body not in outcome.dead_letters, f"The good message {label(body)} ended in the DLQ.")
    lab.require(outcome.left == 0, f"{outcome.left} message(s) were still on the queue after the run.")


def require_dead_lettered(lab, outcome: Outcome, poison: list[str]) -> None:
    saved = saved_orders(lab)
    for body in poison:
        message_id = outcome.ids[body]
        lab.require(
            body in outcome.dead_letters,
            f"The poison message {label(body)} did not reach the dead-letter queue (it was received "
            f"{outcome.receives[message_id]} times and then deleted). A message your function cannot process "
            "must be listed in batchItemFailures, every time, so that SQS moves it to the DLQ after "
            f"{MAX_RECEIVES} receives.",
        )
        lab.require(
            outcome.receives[message_id] == MAX_RECEIVES,
            f"The poison message {label(body)} was received {outcome.receives[message_id]} times; the redrive "
            f"policy moves it to the DLQ after {MAX_RECEIVES}.",
        )
        try:
            order_id = json.loads(body).get("order_id")
        except (ValueError, AttributeError):
            order_id = None
        if isinstance(order_id, str) and order_id:
            lab.require(
                order_id not in saved,
                f"The invalid order {label(body)} was stored in the {TABLE} table: validate before saving.",
            )


# -- checks --------------------------------------------------------------------------------------------------
@check("processes_good_orders", "Stores every good order, each message received once", points=2)
def processes_good_orders(lab):
    goods = [order(f"good-{n}", quantity=n, price_cents=250) for n in range(1, 5)]
    require_processed_once(lab, run_queue(lab, goods), goods)


@check(
    "reports_only_failed_messages",
    "Reports only the failed message; the rest of the batch is not retried",
    points=3,
)
def reports_only_failed_messages(lab):
    goods = [order("mixed-1"), order("mixed-2", 3, 199), order("mixed-3"), order("mixed-4", 2, 1000)]
    poison = json.dumps({"quantity": 1, "price_cents": 100})  # no order_id
    outcome = run_queue(lab, goods[:2] + [poison] + goods[2:])
    require_processed_once(lab, outcome, goods)
    lab.require(
        outcome.kept[outcome.ids[poison]] >= 1,
        "The message without an order_id was not listed in batchItemFailures; it was deleted as if processed.",
    )


@check(
    "poison_reaches_the_dlq",
    f"A poison message reaches the DLQ after {MAX_RECEIVES} receives, unchanged",
    points=2,
)
def poison_reaches_the_dlq(lab):
    poison = json.dumps({"order_id": "no-quantity", "price_cents": 100})
    good = order("beside-poison")
    outcome = run_queue(lab, [poison, good])
    require_dead_lettered(lab, outcome, [poison])
    require_processed_once(lab, outcome, [good])


@check("rejects_every_kind_of_poison", "Fails only the bad message, whatever is wrong with it", points=2)
def rejects_every_kind_of_poison(lab):
    poison = [
        "this is not JSON",
        json.dumps([1, 2, 3]),
        order("zero-quantity", quantity=0),
        order("negative-price", price_cents=-5),
        json.dumps({"order_id": "text-quantity", "quantity": "2", "price_cents": 100}),
        # order_id must be a non-empty string: neither empty nor a number
        json.dumps({"order_id": "", "quantity": 1, "price_cents": 100}),
        json.dumps({"order_id": 42, "quantity": 1, "price_cents": 100}),
    ]
    goods = [order("kinds-1"), order("kinds-2", 4, 25), order("kinds-3")]
    outcome = run_queue(lab, [goods[0], *poison[:3], goods[1], *poison[3:], goods[2]])
    require_processed_once(lab, outcome, goods)
    require_dead_lettered(lab, outcome, poison)


@check("unseen_batches", "Handles batches and orders you have not seen", points=2)
def unseen_batches(lab):
    poison = [
        "null",
        json.dumps({"order_id": "", "quantity": 1, "price_cents": 1}),
        json.dumps({"order_id": "bool-quantity", "quantity": True, "price_cents": 100}),
        json.dumps({"order_id": "decimal-quantity", "quantity": 1.5, "price_cents": 100}),
        json.dumps({"order_id": "missing-price", "quantity": 2}),
    ]
    goods = [order(f"unseen-{n}", quantity=n % 4 + 1, price_cents=n * 7) for n in range(14)]
    goods += [order("ünïcødé-订单-1", 2, 350), order("free-sample", 1, 0)]
    bodies = goods[:5] + poison[:2] + goods[5:11] + poison[2:] + goods[11:]  # 21 messages: three batches
    outcome = run_queue(lab, bodies)
    require_processed_once(lab, outcome, goods)
    require_dead_lettered(lab, outcome, poison)
