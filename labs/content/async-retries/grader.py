"""Payments: the student's handler, its asynchronous invoke configuration (config.json) and its execution
role's policy (policy.json). Payments are sent with InvocationType=Event, as an upstream service would, and
the simulation runs Lambda's retries in simulated time; the verdicts come from the trace, the tables and
the invocation records that reach the ``payment-failures`` queue."""

import json

from botocore.exceptions import ClientError

from labs.grading.checks import CheckFailed, check

FUNCTION = "charge-payment"
FAILURE_QUEUE = "payment-failures"
RETRIES, MAX_AGE_S = 1, 900
# an invocation record as Lambda sends it to a destination
RECORD_KEYS = (
    "version",
    "timestamp",
    "requestContext",
    "requestPayload",
    "responseContext",
    "responsePayload",
)
CONFIG_FIELDS = {
    "MaximumRetryAttempts": (0, 2),
    "MaximumEventAgeInSeconds": (60, 21600),
}


def setup(lab):
    dynamodb = lab.client("dynamodb")
    for table, key in (("ledger", "charge_id"), ("receipts", "payment_id")):
        create_table(dynamodb, table, key)
    lab.client("sqs").create_queue(QueueName=FAILURE_QUEUE)
    policy = substituted(lab, lab.json_file("policy.json"))
    try:
        role_arn = lab.role(policy=policy)
    except ClientError as error:
        raise CheckFailed(f"policy.json was refused by IAM: {error.response['Error']['Message']}") from None
    lab.deploy_function(
        FUNCTION,
        handler="app.lambda_handler",
        files={"app.py": lab.files["app.py"]},
        role_arn=role_arn,
        environment={"LEDGER_TABLE": "ledger", "RECEIPTS_TABLE": "receipts"},
    )
    config = substituted(lab, lab.json_file("config.json"))
    validate_config(config)
    try:
        lab.client("lambda").put_function_event_invoke_config(FunctionName=FUNCTION, **config)
    except ClientError as error:
        raise CheckFailed(f"config.json was refused: {error.response['Error']['Message']}") from None


def create_table(dynamodb, name: str, key: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def substituted(lab, value):
    """Replace CloudFormation's pseudo parameters in every string (the account id changes with every run)."""
    if isinstance(value, str):
        return value.replace("${AWS::AccountId}", lab.cloud.account_id).replace(
            "${AWS::Region}", lab.cloud.region
        )
    if isinstance(value, list):
        return [substituted(lab, item) for item in value]
    if isinstance(value, dict):
        return {key: substituted(lab, item) for key, item in value.items()}
    return value


def validate_config(config) -> None:
    """What PutFunctionEventInvokeConfig accepts, with AWS's wording for values out of range."""
    if not isinstance(config, dict):
        raise CheckFailed("config.json must hold a JSON object")
    allowed = [*CONFIG_FIELDS, "DestinationConfig"]
    for name in config:
        if name not in allowed:
            raise CheckFailed(f"config.json: unknown field {name!r}; the fields are {', '.join(allowed)}")
    for name, (low, high) in CONFIG_FIELDS.items():
        value = config.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise CheckFailed(f"config.json: {name} must be a whole number, not {json.dumps(value)}")
        if not low <= value <= high:
            bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
            field = name[0].lower() + name[1:]
            raise CheckFailed(
                f"config.json: 1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                f"constraint: Member must have value {bound}"
            )
    destinations = config.get("DestinationConfig", {})
    if not isinstance(destinations, dict) or set(destinations) - {"OnSuccess", "OnFailure"}:
        raise CheckFailed('config.json: DestinationConfig holds "OnSuccess" and/or "OnFailure" objects')
    for which, target in destinations.items():
        if not isinstance(target, dict) or set(target) - {"Destination"}:
            raise CheckFailed(f'config.json: DestinationConfig.{which} must be {{"Destination": "<an ARN>"}}')
        arn = target.get("Destination")
        if arn is not None and (not isinstance(arn, str) or not arn.startswith("arn:")):
            raise CheckFailed(
                f"config.json: DestinationConfig.{which}.Destination must be an ARN, not {arn!r}"
            )


# -- sending payments and reading what happened --------------------------------------------------------------
def send(lab, payment: dict) -> str:
    """Invoke asynchronously (202) and return the request id Lambda gave the event."""
    response = lab.client("lambda").invoke(
        FunctionName=FUNCTION, InvocationType="Event", Payload=json.dumps(payment)
    )
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def attempts(lab, request_id: str) -> list[dict]:
    return [e for e in lab.cloud.trace if e["kind"] == "invocation" and e.get("request_id") == request_id]


def failure_records(lab) -> list[dict]:
    """Every record that reached the failure queue so far (read once, kept on the session)."""
    records = getattr(lab, "failure_records", [])
    for body in lab.take_messages(FAILURE_QUEUE):
        try:
            records.append(json.loads(body))
        except ValueError:
            records.append({"unreadable": body})
    lab.failure_records = records
    return records


def record_for(lab, request_id: str) -> dict | None:
    for record in failure_records(lab):
        if (record.get("requestContext") or {}).get("requestId") == request_id:
            return record
    return None


def why_no_record(lab, request_id: str) -> str:
    for entry in lab.cloud.trace:
        if entry.get("request_id") == request_id and entry["kind"] == "destination_failed":
            return (
                f"Lambda tried to deliver it and failed: {entry.get('error')}. Lambda sends the record with the "
                "function's execution role: allow sqs:SendMessage on the queue in policy.json."
            )
    config = lab.client("lambda").get_function_event_invoke_config(FunctionName=FUNCTION)
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if not destination:
        return (
            "config.json sets no OnFailure destination, so Lambda dropped the event after its last attempt."
        )
    return f"The OnFailure destination is {destination}; the queue's ARN is {queue_arn(lab)}."


def queue_arn(lab) -> str:
    return f"arn:aws:sqs:{lab.cloud.region}:{lab.cloud.account_id}:{FAILURE_QUEUE}"


def charges(lab, payment_id: str) -> int:
    items = lab.client("dynamodb").scan(TableName="ledger")["Items"]
    return sum(1 for item in items if (item.get("payment_id") or {}).get("S") == payment_id)


def run_bad_payment(lab, payment_id: str) -> tuple[str, dict]:
    payment = {"payment_id": payment_id, "amount_cents": -100}
    request_id = send(lab, payment)
    lab.cloud.run_pending()
    return request_id, payment


# -- checks --------------------------------------------------------------------------------------------------
@check("charges_a_valid_payment", "Charges a valid payment once and writes its receipt", points=1)
def charges_a_valid_payment(lab):
    request_id = send(lab, {"payment_id": "pay-ok", "amount_cents": 1250})
    lab.cloud.run_pending()
    tries = attempts(lab, request_id)
    lab.require(
        tries and not tries[0].get("function_error"),
        f"The valid payment pay-ok failed ({tries[0].get('error_type') if tries else 'never ran'}); read the logs.",
    )
    lab.require(charges(lab, "pay-ok") == 1, f"The valid payment was charged {charges(lab, 'pay-ok')} times.")
    receipt = lab.client("dynamodb").get_item(TableName="receipts", Key={"payment_id": {"S": "pay-ok"}})
    lab.require("Item" in receipt, "The valid payment has no receipt in the receipts table.")


@check("retry_settings", "Retries once, and never charges an event older than 15 minutes", points=2)
def retry_settings(lab):
    config = lab.client("lambda").get_function_event_invoke_config(FunctionName=FUNCTION)
    retries, age = config.get("MaximumRetryAttempts"), config.get("MaximumEventAgeInSeconds")
    lab.require(
        retries == RETRIES,
        f"MaximumRetryAttempts is {retries}; the provider allows two attempts per payment: the first and one retry.",
    )
    lab.require(
        age == MAX_AGE_S,
        f"MaximumEventAgeInSeconds is {age}; a payment older than 15 minutes must not be charged ({MAX_AGE_S} s).",
    )


@check(
    "failure_record_at_destination", "A failed payment's invocation record reaches payment-failures", points=3
)
def failure_record_at_destination(lab):
    request_id, payment = run_bad_payment(lab, "pay-invalid-1")
    record = record_for(lab, request_id)
    lab.require(
        record is not None,
        f"No invocation record for the failed payment reached {FAILURE_QUEUE}. {why_no_record(lab, request_id)}",
    )
    missing = [key for key in RECORD_KEYS if key not in record]
    lab.require(
        not missing, f"The message in {FAILURE_QUEUE} is not an invocation record (no {', '.join(missing)})."
    )
    context = record.get("requestContext") or {}
    lab.require(
        context.get("condition") == "RetriesExhausted",
        f"The record's condition is {context.get('condition')!r}; expected RetriesExhausted.",
    )
    lab.require(
        record.get("requestPayload") == payment,
        f"The record's requestPayload is {json.dumps(record.get('requestPayload'))}; expected the event itself.",
    )
    response = record.get("responsePayload") or {}
    lab.require(
        (record.get("responseContext") or {}).get("functionError") == "Unhandled"
        and response.get("errorType") == "InvalidPayment",
        f"The record's responsePayload is {json.dumps(response)[:300]}; the function should fail with its own "
        "InvalidPayment exception so the record says why.",
    )
    lab.require(
        str(context.get("functionArn", "")).endswith(f":function:{FUNCTION}:$LATEST"),
        f"The record's functionArn is {context.get('functionArn')!r}.",
    )


@check(
    "retries_on_schedule",
    "The failed payment is tried twice, one minute apart, with one request id",
    points=2,
)
def retries_on_schedule(lab):
    request_id, _ = run_bad_payment(lab, "pay-invalid-2")
    tries = attempts(lab, request_id)
    offsets = [round(entry["time"] - tries[0]["time"]) for entry in tries]
    lab.require(
        offsets == [0, 60],
        f"The payment was attempted {len(tries)} time(s), at {offsets} seconds; expected 2 attempts, at 0 and 60 "
        "seconds (the first try and one retry). MaximumRetryAttempts counts retries, not attempts.",
    )


@check("charges_once_when_retried", "A payment retried after a failure is charged once", points=3)
def charges_once_when_retried(lab):
    dynamodb = lab.client("dynamodb")
    dynamodb.delete_table(TableName="receipts")  # unavailable for the first attempt: the receipt fails
    payment = {"payment_id": "pay-retried", "amount_cents": 4200}
    request_id = send(lab, payment)
    lab.cloud.run_for(30)
    create_table(dynamodb, "receipts", "payment_id")
    lab.cloud.run_pending()
    tries = attempts(lab, request_id)
    lab.require(
        len(tries) == 2 and tries[0].get("function_error") and not tries[1].get("function_error"),
        f"The receipts table was missing for the first attempt and back for the retry; the payment was attempted "
        f"{len(tries)} time(s) ({[t.get('error_type') or 'ok' for t in tries]}). Expected a failure, then a "
        "successful retry a minute later.",
    )
    count = charges(lab, "pay-retried")
    lab.require(count > 0, "The retried payment was never charged (no ledger item has its payment_id).")
    lab.require(
        count == 1,
        f"The payment was charged {count} times: the retry charged it again. Lambda retries with the same event "
        "(and the same request id); derive the charge from the payment so a second attempt finds it done.",
    )
    receipt = dynamodb.get_item(TableName="receipts", Key={"payment_id": {"S": "pay-retried"}}).get("Item")
    lab.require(receipt is not None, "The retried payment has no receipt.")
    lab.require(
        record_for(lab, request_id) is None, "A payment that succeeded on its retry was recorded as failed."
    )


@check("duplicate_deliveries", "The same payment delivered twice is charged once", points=2)
def duplicate_deliveries(lab):
    payment = {"payment_id": "pay-duplicate", "amount_cents": 999}
    first, second = send(lab, payment), send(lab, payment)
    lab.cloud.run_pending()
    lab.require(first != second, "Two sends were given the same request id.")
    count = charges(lab, "pay-duplicate")
    lab.require(
        count == 1,
        f"The same payment, delivered twice (two request ids), was charged {count} times. An upstream may deliver "
        "an event more than once: key the charge on the payment, not on the request.",
    )


@check("failed_ledger_write_is_retried", "A payment whose ledger write fails is retried, not lost", points=2)
def failed_ledger_write_is_retried(lab):
    # the first attempt's ledger write is refused (not a conditional-check failure: nothing was charged)
    lab.cloud.faults.service_error(
        "dynamodb",
        "PutItem",
        code="AccessDeniedException",
        message="Injected failure: the ledger refused the write",
        status=400,
    )
    request_id = send(lab, {"payment_id": "pay-ledger-down", "amount_cents": 3100})
    lab.cloud.run_pending()
    tries = attempts(lab, request_id)
    count = charges(lab, "pay-ledger-down")
    lab.require(
        tries and tries[0].get("function_error"),
        "The ledger refused the first attempt's write (AccessDeniedException) and the function still succeeded: "
        f"the payment was charged {count} time(s) and never retried. Only ConditionalCheckFailedException means "
        "'already charged'; re-raise any other error so Lambda retries the payment.",
    )
    lab.require(
        len(tries) == 2 and not tries[1].get("function_error") and count == 1,
        f"After a failed ledger write the payment was attempted {len(tries)} time(s) and charged {count} time(s); "
        "expected the retry to charge it once.",
    )


@check("refuses_invalid_boundaries", "Refuses 0 cents and an empty payment id, charges 1 cent", points=2)
def refuses_invalid_boundaries(lab):
    for payment, why in (
        ({"payment_id": "pay-zero", "amount_cents": 0}, "0 is not a positive amount"),
        ({"payment_id": "", "amount_cents": 500}, "an empty payment_id cannot key a charge"),
    ):
        request_id = send(lab, payment)
        lab.cloud.run_pending()
        tries = attempts(lab, request_id)
        lab.require(
            tries and tries[0].get("error_type") == "InvalidPayment",
            f"The payment {json.dumps(payment)} was not refused with InvalidPayment "
            f"({tries[0].get('error_type') if tries else 'never ran'}): {why}.",
        )
        count = charges(lab, payment["payment_id"])
        lab.require(count == 0, f"The payment {json.dumps(payment)} was charged {count} time(s): {why}.")
    request_id = send(lab, {"payment_id": "pay-one-cent", "amount_cents": 1})
    lab.cloud.run_pending()
    tries = attempts(lab, request_id)
    lab.require(
        tries and not tries[0].get("function_error") and charges(lab, "pay-one-cent") == 1,
        "A payment of 1 cent, the smallest positive amount, was not charged once "
        f"({tries[0].get('error_type') if tries else 'never ran'}).",
    )
