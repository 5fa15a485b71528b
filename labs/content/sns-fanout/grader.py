"""SNS fan-out: the student's SAM template (template.yaml, with consumers.py as its code) is deployed once;
each check publishes its own orders to OrdersTopic and runs the simulation for half an hour of simulated
time (enough for MAX_RECEIVES receives of a poison message 60 s apart, and a bound when a queue has no DLQ).

Who received what is read on the host, from the account and the trace: the ProcessedTable item each
consumer writes per order (with a count of deliveries), the consumers' dead-letter queues, and the trace
(sns_filtered_out, sns_delivery, delivery_failed with its reason, invocations). An order that reached a
queue it is not for fails its check even if the function drops it: filtering belongs on the subscription.
Consumers are found through their functions (PaymentsFunction, ShippingFunction, FraudReviewFunction) and
their SQS event source mappings, so a queue SAM generates (SqsSubscription) counts as a hand-written one."""

import json
from dataclasses import dataclass, field

from courses.facts import fact
from labs.grading.checks import CheckFailed, check

TOPIC, TABLE = "OrdersTopic", "ProcessedTable"
CONSUMERS = {
    "payments": "PaymentsFunction",
    "shipping": "ShippingFunction",
    "fraud-review": "FraudReviewFunction",
}
RUN_FOR_S = 1800
# Lambda's advice for a queue that feeds a function; the lessons state the same number from facts.yaml.
MAX_RECEIVES = int(fact("sqs.lambda_max_receive_count_min"))
FRAUD_THRESHOLD = 1000
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}


@dataclass
class Consumer:
    label: str
    logical_id: str
    function_name: str
    role_arn: str
    mapping: dict | None  # the function's SQS event source mapping
    queue_arn: str = ""
    queue_url: str = ""
    queue_attributes: dict = field(default_factory=dict)
    subscriptions: list = field(
        default_factory=list
    )  # attributes of each subscription of the topic to the queue

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[-1] or "(no queue)"

    @property
    def filter_policy(self) -> str:
        policies = [s.get("FilterPolicy") for s in self.subscriptions if s.get("FilterPolicy")]
        return policies[0] if policies else ""


@dataclass
class Order:
    order_id: str
    body: str
    kind: str | None
    published: set  # trace seqs recorded while publishing it (its API call)

    def describe(self) -> str:
        kind = f"kind={self.kind}" if self.kind else "no kind attribute"
        return f"order {self.order_id} ({kind}, body {self.body})"


@dataclass
class Run:
    orders: list
    entries: list
    deliveries: dict  # (consumer label, order_id) -> deliveries recorded in ProcessedTable


# -- the deployment ------------------------------------------------------------------------------------------
def setup(lab):
    stack = lab.deploy_template("template.yaml")
    missing = [lid for lid in (TOPIC, TABLE, *CONSUMERS.values()) if lid not in stack.resources]
    lab.require(
        not missing,
        f"template.yaml has no {', '.join(missing)}: keep the logical ids the instructions name (the grader "
        "publishes to OrdersTopic and reads what PaymentsFunction, ShippingFunction and FraudReviewFunction "
        "recorded in ProcessedTable).",
    )
    lab.topic_arn = stack.physical_id(TOPIC)
    lab.table = stack.physical_id(TABLE)
    subscriptions = _subscriptions(lab)
    lab.consumers = {
        label: _consumer(lab, label, logical_id, stack.physical_id(logical_id), subscriptions)
        for label, logical_id in CONSUMERS.items()
    }


def _subscriptions(lab) -> dict[str, list[dict]]:
    sns = lab.client("sns")
    found: dict[str, list[dict]] = {}
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=lab.topic_arn):
        for subscription in page["Subscriptions"]:
            attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
            found.setdefault(subscription["Endpoint"], []).append(attributes["Attributes"])
    return found


def _consumer(lab, label: str, logical_id: str, name: str, subscriptions: dict) -> Consumer:
    aws_lambda, sqs = lab.client("lambda"), lab.client("sqs")
    role = aws_lambda.get_function(FunctionName=name)["Configuration"]["Role"]
    mappings = aws_lambda.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    mapping = next((m for m in mappings if m["EventSourceArn"].startswith("arn:aws:sqs:")), None)
    consumer = Consumer(label, logical_id, name, role, mapping)
    if mapping is not None:
        consumer.queue_arn = mapping["EventSourceArn"]
        consumer.queue_url = sqs.get_queue_url(QueueName=consumer.queue_name)["QueueUrl"]
        consumer.queue_attributes = sqs.get_queue_attributes(
            QueueUrl=consumer.queue_url, AttributeNames=["All"]
        )["Attributes"]
        consumer.subscriptions = subscriptions.get(consumer.queue_arn, [])
    return consumer


# -- publishing and reading the outcome ----------------------------------------------------------------------
def order(order_id: str, total, kind: str | None = "physical", **extra) -> tuple[str, str | None]:
    body = {"order_id": order_id, "total": total, **extra} if order_id else {"total": total, **extra}
    return json.dumps(body), kind


def publish(lab, orders: list[tuple[str, str | None]]) -> Run:
    """Publish each (body, kind) to the topic, run for half an hour of simulated time, read the table."""
    sns, trace = lab.client("sns"), lab.cloud.trace
    first = len(trace)
    published = []
    for body, kind in orders:
        before = len(trace)
        attributes = {"kind": {"DataType": "String", "StringValue": kind}} if kind else {}
        sns.publish(TopicArn=lab.topic_arn, Message=body, MessageAttributes=attributes)
        parsed = json.loads(body)
        published.append(Order(parsed.get("order_id", ""), body, kind, {e["seq"] for e in trace[before:]}))
    lab.cloud.run_for(RUN_FOR_S)
    labels = {consumer.function_name: label for label, consumer in lab.consumers.items()}
    deliveries = {}
    pages = lab.client("dynamodb").get_paginator("scan").paginate(TableName=lab.table, ConsistentRead=True)
    for page in pages:
        for item in page["Items"]:
            label = labels.get(item.get("consumer", {}).get("S"))
            count = int(item.get("deliveries", {}).get("N", "1"))
            deliveries[(label, item.get("order_id", {}).get("S"))] = count
    return Run(published, trace[first:], deliveries)


def require_routing(
    lab, run: Run, expected: dict[str, set[str]], judged: tuple[str, ...] = tuple(CONSUMERS)
) -> None:
    """Each order (by id) reached exactly those of the ``judged`` consumers that ``expected`` names, once."""
    for placed in run.orders:
        if placed.order_id not in expected:
            continue  # a poison message: judged by its dead-letter queue
        for label in judged:
            consumer = lab.consumers[label]
            count = run.deliveries.get((label, placed.order_id), 0)
            copies = len(_sns_deliveries(run, consumer, placed))  # what SNS put on the queue
            if label in expected[placed.order_id]:
                if count == 0:
                    raise CheckFailed(_why_missing(lab, run, consumer, placed))
                lab.require(
                    count == 1,
                    f"{consumer.logical_id} recorded {placed.describe()} {count} times: a good message was "
                    "processed again, because its batch went back to the queue. Give the SQS event "
                    "FunctionResponseTypes: [ReportBatchItemFailures] so only the failed message returns.",
                )
            elif count or copies:
                # judged by what reached the queue: an order dropped in the code was still delivered and paid for
                raise CheckFailed(_why_unwanted(consumer, placed))


def _sns_deliveries(run: Run, consumer: Consumer, placed: Order) -> list[dict]:
    """The sns_delivery entries of this published order to the consumer's queue."""
    subscriptions = {s.get("SubscriptionArn") for s in consumer.subscriptions}
    return [
        e
        for e in run.entries
        if e["kind"] == "sns_delivery"
        and e.get("cause") in placed.published
        and e["subscription"] in subscriptions
    ]


def _why_missing(lab, run: Run, consumer: Consumer, placed: Order) -> str:
    what = f"{placed.describe()} never reached {consumer.logical_id}"
    if consumer.mapping is None:
        return (
            f"{what}: the function has no SQS event, so nothing reads its queue. Give it an Events entry of "
            "Type SQS with the queue's ARN."
        )
    if not consumer.subscriptions:
        return (
            f"{what}: its queue {consumer.queue_name} is not subscribed to {TOPIC}. Add an "
            "AWS::SNS::Subscription (Protocol sqs, Endpoint the queue's ARN), or an SNS event with "
            "SqsSubscription on the function."
        )
    caused = [e for e in run.entries if e.get("cause") in placed.published]
    subscription_arns = {s.get("SubscriptionArn") for s in consumer.subscriptions}
    if any(e["kind"] == "sns_filtered_out" and e["subscription"] in subscription_arns for e in caused):
        return (
            f"{what}: the subscription's filter policy {consumer.filter_policy or '(none)'} rejected it "
            "(sns_filtered_out in the trace). " + _rule(consumer.label)
        )
    deliveries = {e["seq"] for e in _sns_deliveries(run, consumer, placed)}
    failed = [e for e in run.entries if e["kind"] == "delivery_failed" and e.get("cause") in deliveries]
    if failed:
        return (
            f"{what}: SNS could not deliver it to the queue {consumer.queue_name}. The trace's delivery_failed "
            f"says: {failed[0]['error']}. A hand-written AWS::SNS::Subscription needs an "
            "AWS::SQS::QueuePolicy on that queue (SAM's SNS event with SqsSubscription: true writes one itself)."
        )
    errors = [
        e
        for e in run.entries
        if e["kind"] == "invocation"
        and e.get("function_arn", "").endswith(f":{consumer.function_name}")
        and (e.get("function_error") or "failed:" in (e.get("logs") or ""))
    ]
    if errors:
        logs = [line for e in errors for line in (e.get("logs") or "").splitlines() if "failed:" in line]
        logs.sort(key=lambda line: placed.order_id not in line)  # this order's own failure first
        return (
            f"{placed.describe()} reached {consumer.queue_name}, but {consumer.logical_id} failed on it"
            + (f" ({logs[0].strip()})" if logs else "")
            + ". Its invocations in the trace show the logs."
        )
    return (
        f"{placed.describe()} reached {consumer.queue_name}, but {consumer.logical_id} did not record it in "
        f"{TABLE}. Look at the sqs_batch and invocation entries of the trace."
    )


def _why_unwanted(consumer: Consumer, placed: Order) -> str:
    policy = f"its filter policy is {consumer.filter_policy}" if consumer.filter_policy else "it has none"
    return (
        f"{consumer.queue_name} received {placed.describe()}, which is not for {consumer.logical_id}: "
        f"the queue's subscription to {TOPIC} decides what reaches it, and {policy}. " + _rule(consumer.label)
    )


def _rule(label: str) -> str:
    if label == "shipping":
        return (
            "Shipping takes exactly the orders whose kind message attribute is physical: FilterPolicy "
            "{kind: [physical]} (the default FilterPolicyScope, MessageAttributes)."
        )
    if label == "fraud-review":
        return (
            f"Fraud review takes the orders whose total (in the JSON body) is {FRAUD_THRESHOLD} or more: "
            "FilterPolicyScope: MessageBody and a numeric condition on total."
        )
    return "Payments takes every order: its subscription needs no filter policy."


def expected_consumers(body: str, kind: str | None) -> set[str]:
    """Who must process an order, by the rules of the instructions."""
    total = json.loads(body).get("total")
    wanted = {"payments"}
    if kind == "physical":
        wanted.add("shipping")
    if isinstance(total, int | float) and not isinstance(total, bool) and total >= FRAUD_THRESHOLD:
        wanted.add("fraud-review")
    return wanted


def check_orders(
    lab, orders: list[tuple[str, str | None]], judged: tuple[str, ...] = tuple(CONSUMERS)
) -> None:
    run = publish(lab, orders)
    expected = {json.loads(body)["order_id"]: expected_consumers(body, kind) for body, kind in orders}
    require_routing(lab, run, expected, judged)


# -- dead-letter queues --------------------------------------------------------------------------------------
def dead_letters(lab, consumer: Consumer) -> tuple[str, list[str]]:
    """(the DLQ's name, the bodies in it as published: an SNS envelope is unwrapped)."""
    redrive = json.loads(consumer.queue_attributes.get("RedrivePolicy") or "{}")
    arn = redrive.get("deadLetterTargetArn", "")
    if not arn:
        return "", []
    bodies = []
    for body in lab.take_messages(arn.rsplit(":", 1)[-1]):
        try:
            envelope = json.loads(body)
            if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
                body = envelope["Message"]
        except ValueError:
            pass
        bodies.append(body)
    return arn.rsplit(":", 1)[-1], bodies


def require_dead_lettered(lab, consumer: Consumer, poison: str) -> None:
    redrive = json.loads(consumer.queue_attributes.get("RedrivePolicy") or "{}")
    lab.require(
        redrive.get("deadLetterTargetArn"),
        f"The poison order {poison} never left {consumer.queue_name}: the queue has no RedrivePolicy, so "
        f"{consumer.logical_id} fails on it every time it becomes visible again, until the retention period "
        f"ends. Give the queue a dead-letter queue (RedrivePolicy with deadLetterTargetArn and maxReceiveCount "
        f"{MAX_RECEIVES}).",
    )
    lab.require(
        "ReportBatchItemFailures" in (consumer.mapping or {}).get("FunctionResponseTypes", []),
        f"The poison order {poison} was deleted from {consumer.queue_name} after its first receive instead of "
        f"reaching the dead-letter queue: {consumer.logical_id}'s SQS event has no FunctionResponseTypes: "
        "[ReportBatchItemFailures], so the mapping ignores the batchItemFailures consumers.py returns and "
        "deletes the whole batch as processed.",
    )
    name, bodies = dead_letters(lab, consumer)
    receives = int(redrive.get("maxReceiveCount", 0))
    lab.require(
        poison in bodies,
        f"The poison order {poison} is not in {name}, the dead-letter queue of {consumer.queue_name} "
        f"(maxReceiveCount {receives}). Look at the sqs_batch_result entries of the trace.",
    )
    lab.require(
        receives <= MAX_RECEIVES,
        f"{consumer.queue_name} moves a message to its DLQ after {receives} receives; the team asked for "
        f"{MAX_RECEIVES}.",
    )


# -- roles ---------------------------------------------------------------------------------------------------
def statements(lab, role_arn: str) -> list[tuple[str, dict]]:
    """(policy name, statement) for every statement of the role's inline and attached policies."""
    iam = lab.client("iam")
    role = role_arn.rsplit("/", 1)[-1]
    found = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        found += [(name, s) for s in _listed(_document(document).get("Statement"))]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        document = _document(version["PolicyVersion"]["Document"])
        found += [(attached["PolicyName"], s) for s in _listed(document.get("Statement"))]
    return found


def _document(document) -> dict:
    return json.loads(document) if isinstance(document, str) else document


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


# -- checks --------------------------------------------------------------------------------------------------
@check("payments_get_every_order", "Payments receives every order, once", points=2)
def payments_get_every_order(lab):
    # only payments is judged here: the other checks judge the filters
    check_orders(
        lab, [order("pay-1", 120), order("pay-2", 35.5, "digital"), order("pay-3", 1800)], ("payments",)
    )


@check("shipping_gets_physical_orders", "Shipping receives the physical orders and nothing else", points=2)
def shipping_gets_physical_orders(lab):
    check_orders(
        lab, [order("ship-1", 80), order("ship-2", 15, "digital"), order("ship-3", 240)], ("shipping",)
    )


@check(
    "fraud_review_gets_big_orders",
    "Fraud review receives the orders of 1000 or more, from the body",
    points=3,
)
def fraud_review_gets_big_orders(lab):
    check_orders(
        lab,
        [order("fraud-1", 1500), order("fraud-2", 250, "digital"), order("fraud-3", 4200, "digital")],
        ("fraud-review",),
    )


@check(
    "poison_orders_reach_a_dlq",
    "A poison order ends in each consumer's DLQ; the good one is processed once",
    points=3,
)
def poison_orders_reach_a_dlq(lab):
    poison, kind = order("", 2500)  # no order_id: every consumer fails on it, every consumer receives it
    good = order("beside-poison", 1200)
    run = publish(lab, [good, (poison, kind)])  # published together, so they share batches
    require_routing(lab, run, {"beside-poison": expected_consumers(*good)})
    for consumer in lab.consumers.values():
        require_dead_lettered(lab, consumer, poison)


@check("least_privilege_roles", "Each consumer's role grants only what consumers.py uses", points=2)
def least_privilege_roles(lab):
    for consumer in lab.consumers.values():
        for policy, statement in statements(lab, consumer.role_arn):
            if statement.get("Effect") != "Allow":
                continue
            actions = _listed(statement.get("Action"))
            resources = _listed(statement.get("Resource"))
            for action in actions:
                lab.require(
                    "*" not in action,
                    f"{consumer.logical_id}'s role allows {action} (policy {policy}): a wildcard action grants "
                    "far more than the consumer needs. consumers.py only calls dynamodb:UpdateItem on the table "
                    "(the DynamoDBWritePolicy policy template), and the SQS event adds the queue-polling "
                    "permissions itself.",
                )
                if action.lower().startswith("dynamodb:"):
                    lab.require(
                        action in WRITE_ACTIONS,
                        f"{consumer.logical_id}'s role allows {action} (policy {policy}), which consumers.py "
                        "never calls: use the DynamoDBWritePolicy policy template (PutItem, UpdateItem, "
                        "BatchWriteItem on the table) rather than one that reads or deletes.",
                    )
                    lab.require(
                        "*" not in resources,
                        f"{consumer.logical_id}'s role allows {action} on every resource (policy {policy}): "
                        f"name the table ({TABLE}) instead.",
                    )


@check(
    "least_privilege_queue_policies", "Each queue's policy lets only the topic send, and only send", points=2
)
def least_privilege_queue_policies(lab):
    """Least privilege covers resource policies too: SNS needs sqs:SendMessage on the queue, for the
    orders topic (aws:SourceArn), and nothing else (a decision of this lab: sqs:* would let anyone who
    can act as SNS read or purge the queue)."""
    for consumer in lab.consumers.values():
        document = _document(consumer.queue_attributes.get("Policy") or "{}")
        for statement in _listed(document.get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            for action in _listed(statement.get("Action")):
                lab.require(
                    action.lower() == "sqs:sendmessage",
                    f"{consumer.queue_name}'s queue policy allows {action}: SNS only needs sqs:SendMessage, "
                    "and a wider grant lets the principal read, delete or purge the orders.",
                )
            condition = json.dumps(statement.get("Condition") or {}).lower()
            lab.require(
                "aws:sourcearn" in condition,
                f"{consumer.queue_name}'s queue policy lets SNS send without an aws:SourceArn condition, so any "
                f"topic could send orders to it: add Condition ArnEquals aws:SourceArn: !Ref {TOPIC}.",
            )


@check("unseen_orders", "Routes orders you have not seen by the same rules", points=3)
def unseen_orders(lab):
    check_orders(
        lab,
        [
            order("edge-1", FRAUD_THRESHOLD),
            order("edge-2", 999.99),
            order("edge-3", 12, "service"),
            order("edge-4", 5000, None),
            order("edge-5", 0),
            order("edge-6", 1000000, "gift-card", currency="EUR"),
        ],
    )
