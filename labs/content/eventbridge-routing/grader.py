"""EventBridge routing: four event patterns, each validated like PutRule validates it (an invalid pattern
fails with the reason and its JSON path) and matched with labs.runtime.eventbridge against events: the
examples of the instructions (visible), boundary cases (after the deadline) and events the student has
never seen (hidden). Pure matching: no account is needed, so a grading takes milliseconds."""

import json

from labs.grading.checks import CheckFailed, check
from labs.runtime.eventbridge import InvalidEventPatternError, compile_pattern

RULES = ("big-orders", "failed-payments", "eu-shipments", "vip-orders")


def _event(source, detail_type, detail, region="us-east-1"):
    """An event as EventBridge delivers it to a rule: the envelope plus the producer's detail."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "111122223333",
        "time": "2026-11-22T10:15:02Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }


def _order(total, **detail):
    return _event("com.example.orders", "OrderPlaced", {"order_id": "o-42", "total": total, **detail})


def _payment(status, source="com.example.payments", **detail):
    return _event(source, "PaymentProcessed", {"payment_id": "p-7", "status": status, **detail})


def _shipment(source, region, detail_type="ShipmentCreated"):
    return _event(source, detail_type, {"shipment_id": "s-3", "weight_kg": 2.5}, region=region)


def _customer_order(email, tier=None, customer_id="C-100"):
    customer = {"id": customer_id, "email": email}
    if tier is not None:
        customer["tier"] = tier
    return _order(80, customer=customer)


# (what the event is, the event, whether the rule must match it). The examples are in the instructions.
EXAMPLES = {
    "big-orders": [
        ("an order of 129.5", _order(129.5), False),
        ("an order of 750", _order(750), True),
        ("a cancelled order of 900", _event("com.example.orders", "OrderCancelled", {"total": 900}), False),
        (
            "an order of 800 from com.example.returns",
            _event("com.example.returns", "OrderPlaced", {"total": 800}),
            False,
        ),
    ],
    "failed-payments": [
        ("a SUCCEEDED payment", _payment("SUCCEEDED"), False),
        (
            "a FAILED payment with error_code card_declined",
            _payment("FAILED", error_code="card_declined"),
            True,
        ),
        ("a PENDING payment without error_code", _payment("PENDING"), False),
        (
            "a DECLINED payment with error_code do_not_honor",
            _payment("DECLINED", error_code="do_not_honor"),
            True,
        ),
    ],
    "eu-shipments": [
        (
            "a shipment from com.example.warehouse in eu-west-1",
            _shipment("com.example.warehouse", "eu-west-1"),
            True,
        ),
        (
            "a shipment from com.example.warehouse in us-east-1",
            _shipment("com.example.warehouse", "us-east-1"),
            False,
        ),
        (
            "a shipment from com.example.shop in eu-central-1",
            _shipment("com.example.shop", "eu-central-1"),
            True,
        ),
        (
            "a shipment from com.partner.logistics in eu-west-1",
            _shipment("com.partner.logistics", "eu-west-1"),
            False,
        ),
    ],
    "vip-orders": [
        ("a gold customer, ana@mail.test", _customer_order("ana@mail.test", tier="gold"), True),
        ("a GOLD customer, bo@mail.test", _customer_order("bo@mail.test", tier="GOLD"), True),
        (
            "a silver customer with id C-1",
            _customer_order("cy@mail.test", tier="silver", customer_id="C-1"),
            False,
        ),
        (
            "a silver customer with id VIP-7",
            _customer_order("di@mail.test", tier="silver", customer_id="VIP-7"),
            True,
        ),
        ("a gold customer, qa@example.com", _customer_order("qa@example.com", tier="gold"), False),
    ],
}
BOUNDARIES = {
    "big-orders": [
        ("an order of exactly 500", _order(500), True),
        ("an order of 499.99", _order(499.99), False),
    ],
    "failed-payments": [
        (
            "a TIMED_OUT payment with error_code gateway_timeout",
            _payment("TIMED_OUT", error_code="gateway_timeout"),
            True,
        ),
        ("a SUCCEEDED payment with error_code retried", _payment("SUCCEEDED", error_code="retried"), False),
    ],
    "eu-shipments": [
        ("a shipment in eu-west-3", _shipment("com.example.warehouse", "eu-west-3"), True),
        ("a shipment in eu-north-1", _shipment("com.example.warehouse", "eu-north-1"), False),
    ],
    "vip-orders": [
        ("a Gold customer", _customer_order("el@mail.test", tier="Gold"), True),
        ("a golden customer", _customer_order("fa@mail.test", tier="golden"), False),
        # the id must start with "VIP-", dash included: VIP7 and VIPER-1 are not VIP ids
        (
            "a silver customer with id VIP7",
            _customer_order("ka@mail.test", tier="silver", customer_id="VIP7"),
            False,
        ),
        (
            "a customer with id VIPER-1, no tier",
            _customer_order("lu@mail.test", customer_id="VIPER-1"),
            False,
        ),
    ],
}
UNSEEN = {
    "big-orders": [
        ("an order whose total is the string '900'", _order("900"), False),
        ("an order of 1,000,000", _order(1_000_000), True),
        ("an order without a total", _event("com.example.orders", "OrderPlaced", {"order_id": "o-1"}), False),
    ],
    "failed-payments": [
        ("a FAILED payment without error_code", _payment("FAILED"), False),
        (
            "a FAILED payment from com.example.orders",
            _payment("FAILED", source="com.example.orders", error_code="x"),
            False,
        ),
        (
            "a REVERSED payment with error_code chargeback",
            _payment("REVERSED", error_code="chargeback"),
            True,
        ),
    ],
    "eu-shipments": [
        (
            "a shipment from com.examples.fake in eu-west-1",
            _shipment("com.examples.fake", "eu-west-1"),
            False,
        ),
        (
            "a ShipmentCreatedV2 in eu-west-1",
            _shipment("com.example.warehouse", "eu-west-1", "ShipmentCreatedV2"),
            False,
        ),
        (
            "a shipment from com.example.returns in eu-west-3",
            _shipment("com.example.returns", "eu-west-3"),
            True,
        ),
    ],
    "vip-orders": [
        (
            "a customer with id vip-9 (lower case), no tier",
            _customer_order("gi@mail.test", customer_id="vip-9"),
            False,
        ),
        ("a customer with id VIP-1, no tier", _customer_order("ha@mail.test", customer_id="VIP-1"), True),
        ("a VIP-3 customer, ops@example.com", _customer_order("ops@example.com", customer_id="VIP-3"), False),
        (
            "a gold customer's cancelled order",
            _event(
                "com.example.orders",
                "OrderCancelled",
                {"customer": {"tier": "gold", "email": "jo@mail.test"}},
            ),
            False,
        ),
        ("a gold customer at example.org", _customer_order("iv@example.org", tier="gold"), True),
    ],
}


def _pattern(lab, rule):
    """The rule's compiled pattern; a JSON or pattern error fails the check naming the file and JSON path."""
    name = f"{rule}.json"
    pattern = lab.json_file(name)
    try:
        return compile_pattern(pattern)
    except InvalidEventPatternError as error:
        raise CheckFailed(f"{name}: {error}") from None


def _verdicts(lab, cases, *, show_events: bool):
    for rule, rule_cases in cases.items():
        compiled = _pattern(lab, rule)
        for description, event, expected in rule_cases:
            if compiled.matches(event) == expected:
                continue
            verb = "should match" if expected else "should not match"
            shown = f" The event: {json.dumps(event)}" if show_events else ""
            raise CheckFailed(
                f"{rule}.json {verb} {description}, but it {'does not' if expected else 'does'}.{shown}"
            )


def _examples(lab, rule):
    _verdicts(lab, {rule: EXAMPLES[rule]}, show_events=True)


@check("big_orders_examples", "big-orders.json: the examples", points=2)
def big_orders_examples(lab):
    _examples(lab, "big-orders")


@check("failed_payments_examples", "failed-payments.json: the examples", points=2)
def failed_payments_examples(lab):
    _examples(lab, "failed-payments")


@check("eu_shipments_examples", "eu-shipments.json: the examples", points=2)
def eu_shipments_examples(lab):
    _examples(lab, "eu-shipments")


@check("vip_orders_examples", "vip-orders.json: the examples", points=2)
def vip_orders_examples(lab):
    _examples(lab, "vip-orders")


@check("boundary_cases", "Every rule at its boundaries", points=2)
def boundary_cases(lab):
    _verdicts(lab, BOUNDARIES, show_events=True)


@check("unseen_events", "Every rule on events you have not seen", points=3)
def unseen_events(lab):
    _verdicts(lab, UNSEEN, show_events=False)
