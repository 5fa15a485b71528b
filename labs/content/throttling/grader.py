"""Throttled: operations pause ``fulfil-order`` for warehouse maintenance by setting its reserved concurrency
to 0, which throttles every invocation of it. The grader plays the API (synchronous calls to ``place-order``,
whose answer is what the customer sees) and the operations team (reserved concurrency 0 for a window of
simulated time, then removed), and counts what the warehouse shipped.

What the runtime models, and this lab relies on: a synchronous Invoke of a function with no concurrency left
answers 429 TooManyRequestsException; an SQS event source mapping still receives batches for it, which are
throttled and come back after the visibility timeout, each receive counting towards maxReceiveCount."""

import json

from botocore.exceptions import ClientError

from courses.facts import fact
from labs.grading.checks import CheckFailed, check

PLACE, FULFIL = "place-order", "fulfil-order"
QUEUE, DLQ, TABLE = "orders", "orders-dlq", "shipments"
FULFIL_TIMEOUT_S = 30
# Lambda's advice for a queue that feeds a function, from the course's facts.yaml (the lessons state the same).
MIN_RECEIVES = int(fact("sqs.lambda_max_receive_count_min"))
VISIBILITY_FACTOR = int(fact("sqs.lambda_visibility_timeout_factor"))
MAINTENANCE_S, LONGEST_MAINTENANCE_S = 10 * 60, 30 * 60
MAPPING_FIELDS = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes")


def setup(lab):
    design = lab.json_file("design.json")
    queue_settings, mapping = validate_design(design)
    lab.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs = lab.client("sqs")
    dlq_url = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
    redrive = {
        "deadLetterTargetArn": arn_of(lab, dlq_url),
        "maxReceiveCount": queue_settings["maxReceiveCount"],
    }
    url = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            "VisibilityTimeout": str(queue_settings["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    lab.deploy_function(
        FULFIL,
        handler="fulfil_order.lambda_handler",
        files={"fulfil_order.py": lab.files["fulfil_order.py"]},
        actions=[
            "dynamodb:UpdateItem",
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ],
        environment={"TABLE_NAME": TABLE},
        timeout_s=FULFIL_TIMEOUT_S,
    )
    lab.deploy_function(
        PLACE,
        handler="place_order.lambda_handler",
        files={"place_order.py": lab.files["place_order.py"]},
        actions=["lambda:InvokeFunction", "sqs:SendMessage", "sqs:GetQueueUrl"],
        environment={"FULFIL_FUNCTION": FULFIL, "QUEUE_URL": url},
        timeout_s=10,
    )
    if mapping is not None:
        try:
            lab.client("lambda").create_event_source_mapping(
                EventSourceArn=arn_of(lab, url), FunctionName=FULFIL, **mapping
            )
        except ClientError as error:
            raise CheckFailed(
                f"design.json: the event source mapping was refused: {error.response['Error']['Message']}"
            ) from None


def validate_design(design) -> tuple[dict, dict | None]:
    if not isinstance(design, dict) or set(design) != {"queue", "event_source_mapping"}:
        raise CheckFailed('design.json must hold an object with exactly "queue" and "event_source_mapping"')
    queue = design["queue"]
    if not isinstance(queue, dict) or set(queue) != {"VisibilityTimeout", "maxReceiveCount"}:
        raise CheckFailed('design.json: "queue" must hold exactly "VisibilityTimeout" and "maxReceiveCount"')
    for name, low, high in (("VisibilityTimeout", 0, 43200), ("maxReceiveCount", 1, 1000)):
        value = queue[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CheckFailed(
                f"design.json: queue.{name} must be a whole number from {low} to {high}, not {json.dumps(value)}"
            )
    mapping = design["event_source_mapping"]
    if mapping is None:
        return queue, None
    if not isinstance(mapping, dict):
        raise CheckFailed('design.json: "event_source_mapping" must be null or an object')
    for name in mapping:
        if name not in MAPPING_FIELDS:
            raise CheckFailed(
                f"design.json: event_source_mapping.{name} is not one of {', '.join(MAPPING_FIELDS)}"
            )
    return queue, mapping


def arn_of(lab, url: str) -> str:
    return lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


# -- the scenario --------------------------------------------------------------------------------------------
def place(lab, order_id: str, items: list | None = None) -> None:
    """The customer places an order through the API; an error here is an order the customer saw fail."""
    result = lab.invoke(PLACE, {"order_id": order_id, "items": ["book"] if items is None else items})
    if not result.ok:
        paused = (
            lab.client("lambda")
            .get_function_concurrency(FunctionName=FULFIL)
            .get("ReservedConcurrentExecutions")
        )
        during = " while fulfil-order was paused (reserved concurrency 0)" if paused == 0 else ""
        raise CheckFailed(
            f"place-order failed for order {order_id}{during}: {result.error.rstrip('.')}. The customer got an error and "
            "nobody will try again: Lambda does not retry a synchronous call that was throttled, and the order "
            "is gone. Accept the order into something that keeps it until fulfilment can run."
        )


def maintenance(lab, seconds: float, orders: list[str]) -> None:
    """Pause fulfilment, take ``orders`` during the pause, run the window, then resume and run to the end."""
    aws_lambda = lab.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=FULFIL, ReservedConcurrentExecutions=0)
    try:
        for order_id in orders:
            place(lab, order_id)
        lab.cloud.run_for(seconds)
    finally:  # the window ends even when this check failed, so the next check starts on a normal day
        aws_lambda.delete_function_concurrency(FunctionName=FULFIL)
    lab.cloud.run_until_idle()


def shipments(lab, order_id: str) -> int:
    item = lab.client("dynamodb").get_item(
        TableName=TABLE, Key={"order_id": {"S": order_id}}, ConsistentRead=True
    )
    return int((item.get("Item") or {}).get("shipments", {}).get("N", 0))


def dead_letters(lab) -> list[str]:
    """Order ids (or raw bodies) that reached the DLQ so far; read once and kept on the session."""
    found = getattr(lab, "dead_letters", [])
    for body in lab.take_messages(DLQ):
        try:
            found.append(json.loads(body).get("order_id", body))
        except (ValueError, AttributeError):
            found.append(body)
    lab.dead_letters = found
    return found


def require_shipped_once(lab, order_ids: list[str], context: str) -> None:
    lost = dead_letters(lab)
    for order_id in order_ids:
        count = shipments(lab, order_id)
        if count == 0 and order_id in lost:
            lab.require(
                False,
                f"Order {order_id} ended in {DLQ} {context}, without being shipped. While fulfil-order was paused "
                f"the mapping kept receiving it and every receive was throttled (see the throttle entries in the "
                "trace); each receive counts towards maxReceiveCount. Make the queue keep messages longer than "
                "the pause lasts.",
            )
        lab.require(
            count > 0,
            f"Order {order_id} was never shipped {context}. Follow it in the trace: where did the order go after "
            "place-order answered?",
        )
        lab.require(
            count == 1,
            f"Order {order_id} was shipped {count} times {context}: a batch that fails as a whole is received "
            "again, good orders included. Report only the failed messages (batchItemFailures).",
        )


# -- checks --------------------------------------------------------------------------------------------------
@check("ships_orders", "Ships every order once on a normal day", points=2)
def ships_orders(lab):
    orders = ["day-1", "day-2", "day-3"]
    for order_id in orders:
        place(lab, order_id)
    lab.cloud.run_until_idle()
    require_shipped_once(lab, orders, "on a normal day")


@check(
    "no_order_lost_in_maintenance",
    "Accepts orders during a 10-minute pause and ships them once after it",
    points=3,
)
def no_order_lost_in_maintenance(lab):
    orders = ["pause-1", "pause-2", "pause-3", "pause-4"]
    maintenance(lab, MAINTENANCE_S, orders)
    require_shipped_once(lab, orders, "after a 10-minute maintenance window")


@check(
    "queue_settings_follow_aws_advice", "Queue settings follow AWS's advice for Lambda consumers", points=1
)
def queue_settings_follow_aws_advice(lab):
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    visibility = int(attributes["VisibilityTimeout"])
    receives = json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]
    lab.require(
        visibility >= VISIBILITY_FACTOR * FULFIL_TIMEOUT_S,
        f"The queue's VisibilityTimeout is {visibility} s; AWS advises at least {VISIBILITY_FACTOR} times the function's timeout "
        f"({FULFIL_TIMEOUT_S} s), so a batch that is throttled or slow is not received again too soon.",
    )
    lab.require(
        int(receives) >= MIN_RECEIVES,
        f"maxReceiveCount is {receives}; AWS advises at least {MIN_RECEIVES}, so that throttled receives do not push good "
        "messages into the dead-letter queue.",
    )


@check(
    "poison_order_reaches_the_dlq",
    "An order that cannot be shipped ends in the DLQ; the others ship once",
    points=2,
)
def poison_order_reaches_the_dlq(lab):
    place(lab, "poison-good-1")
    place(lab, "poison-empty", items=[])
    place(lab, "poison-good-2")
    lab.cloud.run_until_idle()
    require_shipped_once(lab, ["poison-good-1", "poison-good-2"], "next to an order with no items")
    lab.require(
        "poison-empty" in dead_letters(lab),
        f"The order with no items never reached {DLQ}. A message that cannot be processed must fail (listed in "
        "batchItemFailures) until the redrive policy moves it to the dead-letter queue.",
    )


@check("longest_maintenance_window", "No order is lost in the longest maintenance window", points=2)
def longest_maintenance_window(lab):
    orders = ["long-1", "long-2"]
    maintenance(lab, LONGEST_MAINTENANCE_S, orders)
    require_shipped_once(lab, orders, "after a 30-minute maintenance window")
