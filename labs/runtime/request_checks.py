"""What a ``Cloud`` adds around moto for each API request: AWS's checks that moto does not make (or makes
differently), the rewrites moto needs, and the follow-ups to a stored configuration.

- Before moto: a long poll returns at once (the simulated clock stands still while real time would pass);
  S3 filter rule names in any case (AWS takes ``Prefix``, moto only ``prefix``).
- Refused with AWS's error before anything is stored: Lambda's memory and timeout limits, function code
  and layers that are not a zip, a zip bomb, over 250 MB unzipped, or past the account's code limit
  (``sandbox/codestore.py``; CodeStorageExceededException, as AWS answers past its code storage quota), EventBridge
  patterns and schedules (``eventbridge_bus.validate_rule_request``), SNS filter policies and message sizes
  per topic (``sns_topics``), DynamoDB
  expressions naming a ``:value`` they do not define and empty attribute values (moto raises a KeyError or
  StopIteration of its own for both, which would end a grading as an infrastructure error).
- After moto stored it: S3 validates notification destinations and refuses the configuration when one fails,
  keeping the previous one; scheduled rules go on the simulated clock; a function's dead-letter target is
  remembered (moto does not keep it); which API call sent each SQS message, for the trace.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from urllib.parse import parse_qs

from labs.runtime.core import wire
from labs.runtime.core.errors import InvalidCodeError
from labs.runtime.eventbridge import bus as eventbridge_bus
from labs.runtime.notifications import s3_events, sns_topics
from labs.runtime.notifications.filter_policies import InvalidFilterPolicyError, compile_filter_policy
from labs.runtime.sandbox.codestore import CodeTooLargeError

__all__ = ["after", "refuse", "remember_sent_messages", "rewrite"]

_FUNCTION_LIMITS = {"MemorySize": (128, 10240), "Timeout": (1, 900)}
# both operations share one URL; the wire parser names the older one
_NOTIFICATION_PUTS = ("PutBucketNotificationConfiguration", "PutBucketNotification")
_FUNCTION_WRITES = ("CreateFunction", "UpdateFunctionConfiguration")
# answers that show a function's configuration (moto leaves TenancyConfig out)
_TENANCY_ANSWERS = ("CreateFunction", "GetFunction", "GetFunctionConfiguration", "PublishVersion")
_CODE_FIELDS = {"CreateFunction": "Code", "PublishLayerVersion": "Content", "UpdateFunctionCode": None}
_DYNAMODB_ITEM_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan")
_EXPRESSIONS = ("ConditionExpression", "UpdateExpression", "KeyConditionExpression", "FilterExpression")
_SNS_SIZE_CHECKED = ("CreateTopic", "SetTopicAttributes", "Publish", "PublishBatch", "Subscribe")
_VALUE_NAME = re.compile(r":[A-Za-z0-9_]+")


def _json_object(body: bytes) -> dict | None:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def rewrite(parsed: wire.ParsedRequest, body: bytes) -> bytes:
    """The body moto should see."""
    if parsed.service == "sqs" and parsed.operation == "ReceiveMessage":
        request = _json_object(body)
        if request is not None:
            request["WaitTimeSeconds"] = 0  # waiting would cost real seconds and find nothing new
            return json.dumps(request).encode()
    if parsed.operation in _NOTIFICATION_PUTS:
        return re.sub(rb"<Name>(Prefix|Suffix)</Name>", lambda m: b"<Name>" + m[1].lower() + b"</Name>", body)
    return body


def refuse(cloud, parsed: wire.ParsedRequest, body: bytes) -> tuple[int, dict, bytes] | None:
    """AWS's error for a request it would refuse, or None."""
    if parsed.service == "lambda" and parsed.operation in _CODE_FIELDS:
        refused = _code_archive(cloud, parsed.operation, body)
        if refused is not None:
            return refused
    if parsed.service == "lambda" and parsed.operation in _FUNCTION_WRITES:
        return _function_limits(body) or _tenancy_config(parsed, body) or _durable_config(parsed, body)
    if parsed.service == "s3" and parsed.operation in _NOTIFICATION_PUTS:
        bucket = _bucket(cloud, parsed)
        cloud._notification_before = getattr(bucket, "notification_configuration", None)
    if parsed.service == "events" and parsed.operation == "PutRule":
        problem = eventbridge_bus.validate_rule_request(body)
        if problem:
            code, message = problem.split(":", 1)
            return wire.error_response("events", 400, code, message)
    if parsed.service == "sns" and parsed.operation in _SNS_SIZE_CHECKED:
        problem = sns_topics.check_request(cloud, parsed.operation, body)
        if problem:
            return wire.error_response("sns", 400, "InvalidParameter", problem)
    if parsed.service == "sns" and parsed.operation in ("Subscribe", "SetSubscriptionAttributes"):
        return _filter_policy(body)
    if parsed.service == "events" and parsed.operation == "TestEventPattern":
        # Answered with the matcher rules use (moto's differs), so a test and a rule never disagree.
        result, problem = eventbridge_bus.test_event_pattern_answer(body)
        if problem:
            code, message = problem.split(":", 1)
            return wire.error_response("events", 400, code, message)
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": "application/x-amz-json-1.1"}
        return 200, headers, json.dumps({"Result": result}).encode()
    if parsed.service == "dynamodb" and parsed.operation in _DYNAMODB_ITEM_OPERATIONS:
        return _dynamodb_request(body)
    return None


def after(cloud, parsed: wire.ParsedRequest, body: bytes, response: tuple[int, dict, bytes]):
    """The answer after moto stored a configuration (AWS's error when a follow-up check fails)."""
    if parsed.service == "events":
        cloud.eventbridge_bus.sync_schedules()
    if parsed.service == "sns" and parsed.operation == "GetTopicAttributes":
        return sns_topics.describe_attributes(cloud, body, response)
    if parsed.service == "lambda" and parsed.operation in _FUNCTION_WRITES:
        _remember_dead_letter_config(cloud, parsed, body)
    if parsed.service == "lambda" and parsed.operation in _TENANCY_ANSWERS:
        return _with_tenancy_config(cloud, parsed, body, response)
    if parsed.service == "s3" and parsed.operation in _NOTIFICATION_PUTS:
        bucket = _bucket(cloud, parsed)
        problem = s3_events.validate_configuration(cloud, bucket) if bucket is not None else None
        if problem:
            bucket.notification_configuration = cloud._notification_before  # nothing half-written
            return wire.error_response("s3", 400, "InvalidArgument", problem)
    return response


def remember_sent_messages(cloud, response: tuple[int, dict, bytes], seq: int) -> None:
    """Which trace record sent each SQS message, so the batch a poller hands to a function links back."""
    answer = _json_object(response[2])
    if answer is None:
        return  # an XML answer (the query protocol): the batch's trace record then has no cause
    for sent in [answer, *(answer.get("Successful") or [])]:
        if isinstance(sent, dict) and sent.get("MessageId"):
            cloud.message_causes[sent["MessageId"]] = seq


def _tenancy_config(parsed: wire.ParsedRequest, body: bytes) -> tuple[int, dict, bytes] | None:
    """API_TenancyConfig.html: TenantIsolationMode is required and PER_TENANT is its only value."""
    config = (_json_object(body) or {}).get("TenancyConfig") if parsed.operation == "CreateFunction" else None
    if config is None:
        return None
    mode = config.get("TenantIsolationMode") if isinstance(config, dict) else None
    if mode == "PER_TENANT":
        return None
    message = (
        f"1 validation error detected: Value '{mode}' at 'tenancyConfig.tenantIsolationMode' failed to satisfy "
        "constraint: Member must satisfy enum value set: [PER_TENANT]"
    )
    return wire.error_response("lambda", 400, "ValidationException", message)


def _with_tenancy_config(cloud, parsed: wire.ParsedRequest, body: bytes, response):
    """moto does not keep TenancyConfig: set it on the new function (``copy.copy`` in PublishVersion carries
    it to each version) and add it to the answers that show a function's configuration."""
    answer = _json_object(response[2])
    if answer is None:
        return response
    configuration = answer.get("Configuration", answer) if parsed.operation == "GetFunction" else answer
    name = configuration.get("FunctionName")
    if not isinstance(name, str):
        return response
    function = cloud.lambda_.get_function(name, configuration.get("Version"))
    if parsed.operation == "CreateFunction":
        request = _json_object(body) or {}
        function.tenancy_config = request.get("TenancyConfig")
        function.durable_config = durable_defaults(request.get("DurableConfig"))
    kept = {"TenancyConfig": "tenancy_config", "DurableConfig": "durable_config"}
    shown = {key: getattr(function, attribute, None) for key, attribute in kept.items()}
    if not any(shown.values()):
        return response
    configuration.update({key: value for key, value in shown.items() if value})
    return response[0], response[1], json.dumps(answer).encode()


# durable-supported-runtimes.html: the managed runtimes that run durable functions
DURABLE_RUNTIMES = ("nodejs22.x", "nodejs24.x", "python3.13", "python3.14", "java17", "java21", "java25")


def durable_defaults(config) -> dict | None:
    """A function's DurableConfig as kept: RetentionPeriodInDays defaults to 14 (sam-property-function-
    durableconfig.html). The API does not document a default ExecutionTimeout (SAM and CloudFormation require
    it); labs.runtime uses 86,400 s (one day) when CreateFunction leaves it out."""
    if not isinstance(config, dict):
        return None
    return {"ExecutionTimeout": 86400, "RetentionPeriodInDays": 14, **config}


def _durable_config(parsed: wire.ParsedRequest, body: bytes) -> tuple[int, dict, bytes] | None:
    """A DurableConfig on a runtime without durable execution is refused (durable-supported-runtimes.html)."""
    request = (_json_object(body) or {}) if parsed.operation == "CreateFunction" else {}
    if not request.get("DurableConfig") or request.get("Runtime") in DURABLE_RUNTIMES:
        return None
    message = (
        f"Durable functions are not available for the runtime {request.get('Runtime')!r}: use one of "
        f"{', '.join(DURABLE_RUNTIMES)} (https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html)."
    )
    return wire.error_response("lambda", 400, "InvalidParameterValueException", message)


def _code_archive(cloud, operation: str, body: bytes) -> tuple[int, dict, bytes] | None:
    """Check and count a new function or layer archive (``ZipFile``, or an S3 object) against the account."""
    request = _json_object(body) or {}
    field = _CODE_FIELDS[operation]
    code = request.get(field) if field else request
    if not isinstance(code, dict):
        return None  # moto answers a missing or malformed Code itself
    archive = None
    if isinstance(code.get("ZipFile"), str):
        try:
            archive = base64.b64decode(code["ZipFile"], validate=True)
        except (binascii.Error, ValueError):
            return None
    elif isinstance(code.get("S3Bucket"), str) and isinstance(code.get("S3Key"), str):
        archive = cloud._read_object(code["S3Bucket"], code["S3Key"])
    if archive is None:
        return None
    try:
        cloud.code.admit(archive)
    except CodeTooLargeError as error:
        return wire.error_response("lambda", 400, "CodeStorageExceededException", str(error))
    except InvalidCodeError as error:
        return wire.error_response("lambda", 400, "InvalidParameterValueException", str(error))
    return None


def _function_limits(body: bytes) -> tuple[int, dict, bytes] | None:
    config = _json_object(body) or {}
    for field, (low, high) in _FUNCTION_LIMITS.items():
        value = config.get(field)
        if isinstance(value, int) and not low <= value <= high:
            bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
            name = field[0].lower() + field[1:]
            message = f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must have value {bound}"
            return wire.error_response("lambda", 400, "ValidationException", message)
    return None


def _filter_policy(body: bytes) -> tuple[int, dict, bytes] | None:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    policy = form.get("AttributeValue") if form.get("AttributeName") == "FilterPolicy" else None
    scope = None
    for index in range(1, 20):
        if form.get(f"Attributes.entry.{index}.key") == "FilterPolicy":
            policy = form.get(f"Attributes.entry.{index}.value")
        if form.get(f"Attributes.entry.{index}.key") == "FilterPolicyScope":
            scope = form.get(f"Attributes.entry.{index}.value")
    if not policy:
        return None
    try:
        compile_filter_policy(policy, scope or "MessageAttributes")
    except InvalidFilterPolicyError as error:
        return wire.error_response("sns", 400, "InvalidParameter", str(error))
    return None


def _dynamodb_request(body: bytes) -> tuple[int, dict, bytes] | None:
    """DynamoDB's ValidationException for an expression that uses an undefined ``:value`` and for an
    attribute value that is not exactly one typed member (``{}``), the checks moto does not make."""
    request = _json_object(body) or {}
    values = request.get("ExpressionAttributeValues") or {}
    for field in _EXPRESSIONS:
        expression = request.get(field)
        for name in _VALUE_NAME.findall(expression) if isinstance(expression, str) else ():
            if name not in values:
                message = (
                    f"Invalid {field}: An expression attribute value used in expression is not defined; "
                    f"attribute value: {name}"
                )
                return wire.error_response("dynamodb", 400, "ValidationException", message)
    for group in ("Item", "Key", "ExpressionAttributeValues"):
        attributes = request.get(group)
        for value in attributes.values() if isinstance(attributes, dict) else ():
            if not isinstance(value, dict) or len(value) != 1:
                message = (
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                )
                return wire.error_response("dynamodb", 400, "ValidationException", message)
    return None


def _remember_dead_letter_config(cloud, parsed: wire.ParsedRequest, body: bytes) -> None:
    config = _json_object(body)
    if config is None or "DeadLetterConfig" not in config:
        return
    name = str(config.get("FunctionName") or parsed.params.get("FunctionName", ""))
    name = name.split(":function:", 1)[-1].split(":", 1)[0]
    cloud.lambda_.set_dead_letter_target(name, (config["DeadLetterConfig"] or {}).get("TargetArn"))


def _bucket(cloud, parsed: wire.ParsedRequest):
    from moto.s3.models import s3_backends

    name = parsed.resources[0].split(":::", 1)[-1].split("/", 1)[0]
    try:
        return s3_backends[cloud.account_id]["aws"].get_bucket(name)
    except Exception:  # noqa: BLE001 - no such bucket: moto answers that itself
        return None
