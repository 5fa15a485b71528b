"""Scenarios: a YAML/JSON list of steps run against a deployed stack, then the trace and the final state.

A step is a one-key mapping, ``{action: {field: value, ...}}`` (``run-until-idle`` may be a bare string,
``advance-time`` takes the seconds). Resource fields (``bucket``, ``queue``, ``topic``, ``function``,
``state-machine``, ``table``) accept a logical id of the stack; any string may hold ``${LogicalId}`` or
``${LogicalId.Attribute}`` (the physical id or attribute) and ``${Outputs.Name}``. Steps go through the
account's boto3 clients, as a test script against a real deployment would.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any, TextIO

import yaml

from labs.runtime.cloudformation.yaml_reading import load_yaml
from labs.runtime.core.errors import LabsRuntimeError

__all__ = ["ScenarioError", "load_scenario", "print_final_state", "print_trace", "run_scenario"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:]+)(?:\.([A-Za-z0-9_.]+))?\}")


class ScenarioError(LabsRuntimeError):
    """A scenario that cannot run: carries the file, the step index (``steps[2]``) and the field at fault."""


def load_scenario(text: str, file: str = "scenario") -> list[tuple[str, Any]]:
    """The steps as (action, arguments); raises ``ScenarioError`` naming the step and field at fault."""
    try:
        steps = load_yaml(text)
    except yaml.YAMLError as error:
        raise ScenarioError(f"{file}: not YAML or JSON: {error}") from None
    if not isinstance(steps, list):
        raise ScenarioError(
            f"{file}: a scenario is a list of steps, e.g. [{{send-message: {{queue: Q, body: hi}}}}]"
        )
    parsed = []
    for index, step in enumerate(steps):
        if isinstance(step, str):
            step = {step: None}
        if not isinstance(step, dict) or len(step) != 1:
            raise ScenarioError(
                f"{file}: steps[{index}]: a step is a mapping with one action, e.g. {{advance-time: 60}}"
            )
        ((action, arguments),) = step.items()
        if action not in _STEPS:
            raise ScenarioError(
                f"{file}: steps[{index}]: unknown action {action!r} (known: {', '.join(_STEPS)})"
            )
        parsed.append((action, arguments))
    return parsed


class _Step:
    def __init__(self, cloud: Any, stack: Any, file: str, index: int, action: str, arguments: Any) -> None:
        self.cloud, self.stack, self.where, self.action = (
            cloud,
            stack,
            f"{file}: steps[{index}] ({action})",
            action,
        )
        self.arguments = arguments if arguments is not None else {}

    def error(self, message: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {message}")

    def fields(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(self.arguments, dict):
            raise self.error(f"expected a mapping with {', '.join(required + optional)}")
        unknown = sorted(set(self.arguments) - set(required) - set(optional))
        if unknown:
            raise self.error(f"field {unknown[0]!r} is not known (fields: {', '.join(required + optional)})")
        for name in required:
            if name not in self.arguments:
                raise self.error(f"field {name!r} is required")
        return {name: self.substitute(value, name) for name, value in self.arguments.items()}

    def substitute(self, value: Any, field: str) -> Any:
        if isinstance(value, dict):
            return {key: self.substitute(item, field) for key, item in value.items()}
        if isinstance(value, list):
            return [self.substitute(item, field) for item in value]
        if not isinstance(value, str):
            return value

        def replace(match: re.Match) -> str:
            name, attribute = match.groups()
            if name == "Outputs" and attribute in self.stack.outputs:
                return str(self.stack.outputs[attribute])
            resource = self.stack.resources.get(name)
            if resource is None:
                raise self.error(
                    f"field {field!r}: ${{{match.group(0)[2:-1]}}} names no resource or output of the stack"
                )
            if attribute is None:
                return resource.physical_id
            if attribute not in resource.attributes:
                raise self.error(f"field {field!r}: {name} has no attribute {attribute}")
            return str(resource.attributes[attribute])

        return _PLACEHOLDER.sub(replace, value)

    def resource(self, value: Any, field: str, attribute: str | None = None) -> str:
        """A physical name from a logical id (or the value itself when it is already a physical one)."""
        if not isinstance(value, str) or not value:
            raise self.error(f"field {field!r} must be a name")
        resource = self.stack.resources.get(value)
        if resource is None:
            return value
        return (
            str(resource.attributes.get(attribute, resource.physical_id))
            if attribute
            else resource.physical_id
        )

    def text(self, value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)


def _put_object(step: _Step) -> str:
    fields = step.fields(("bucket", "key"), ("body", "content-type"))
    params = {
        "Bucket": step.resource(fields["bucket"], "bucket"),
        "Key": str(fields["key"]),
        "Body": step.text(fields.get("body", "")).encode(),
    }
    if "content-type" in fields:
        params["ContentType"] = fields["content-type"]
    step.cloud.client("s3").put_object(**params)
    return f"s3://{params['Bucket']}/{params['Key']}"


def _send_message(step: _Step) -> str:
    fields = step.fields(("queue", "body"), ("attributes", "group-id", "deduplication-id", "delay-seconds"))
    params: dict[str, Any] = {
        "QueueUrl": step.resource(fields["queue"], "queue"),
        "MessageBody": step.text(fields["body"]),
    }
    if "attributes" in fields:
        params["MessageAttributes"] = _string_attributes(step, fields["attributes"])
    for name, key in (
        ("group-id", "MessageGroupId"),
        ("deduplication-id", "MessageDeduplicationId"),
        ("delay-seconds", "DelaySeconds"),
    ):
        if name in fields:
            params[key] = fields[name]
    if not params["QueueUrl"].startswith("https://"):
        params["QueueUrl"] = step.cloud.client("sqs").get_queue_url(QueueName=params["QueueUrl"])["QueueUrl"]
    return "MessageId " + step.cloud.client("sqs").send_message(**params)["MessageId"]


def _string_attributes(step: _Step, attributes: Any) -> dict:
    if not isinstance(attributes, dict):
        raise step.error("field 'attributes' must map names to values")
    return {
        name: {
            "DataType": "Number" if isinstance(value, int | float) else "String",
            "StringValue": str(value),
        }
        for name, value in attributes.items()
    }


def _publish(step: _Step) -> str:
    fields = step.fields(("topic", "message"), ("subject", "attributes", "group-id"))
    params: dict[str, Any] = {
        "TopicArn": step.resource(fields["topic"], "topic"),
        "Message": step.text(fields["message"]),
    }
    if "subject" in fields:
        params["Subject"] = fields["subject"]
    if "attributes" in fields:
        params["MessageAttributes"] = _string_attributes(step, fields["attributes"])
    if "group-id" in fields:
        params["MessageGroupId"] = fields["group-id"]
    return "MessageId " + step.cloud.client("sns").publish(**params)["MessageId"]


def _put_events(step: _Step) -> str:
    entry_fields = ("source", "detail-type", "detail", "event-bus", "resources")
    arguments = step.arguments if isinstance(step.arguments, dict) else {}
    entries = (
        step.fields(("entries",))["entries"]
        if "entries" in arguments
        else [step.fields(("source", "detail-type"), entry_fields[2:])]
    )
    if not isinstance(entries, list) or not entries:
        raise step.error("field 'entries' must be a non-empty list")
    request = []
    for position, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not {"source", "detail-type"} <= set(entry)
            or set(entry) - set(entry_fields)
        ):
            raise step.error(
                f"field 'entries[{position}]' needs source and detail-type (fields: {', '.join(entry_fields)})"
            )
        item = {
            "Source": entry["source"],
            "DetailType": entry["detail-type"],
            "Detail": step.text(entry.get("detail", {})),
        }
        if "event-bus" in entry:
            item["EventBusName"] = step.resource(entry["event-bus"], "event-bus", "Arn")
        if "resources" in entry:
            item["Resources"] = entry["resources"]
        request.append(item)
    response = step.cloud.client("events").put_events(Entries=request)
    return f"{len(request) - response['FailedEntryCount']} accepted, {response['FailedEntryCount']} failed"


def _invoke(step: _Step) -> str:
    fields = step.fields(("function",), ("payload", "invocation-type", "qualifier"))
    qualifier = (
        {"Qualifier": str(fields["qualifier"])} if fields.get("qualifier") else {}
    )  # a version or alias
    response = step.cloud.client("lambda").invoke(
        FunctionName=step.resource(fields["function"], "function"),
        Payload=step.text(fields.get("payload", {})).encode(),
        InvocationType=fields.get("invocation-type", "RequestResponse"),
        **qualifier,
    )
    payload = response["Payload"].read().decode("utf-8", "replace")
    error = f" FunctionError={response['FunctionError']}" if response.get("FunctionError") else ""
    durable = (
        f" DurableExecutionArn={response['DurableExecutionArn']}"
        if response.get("DurableExecutionArn")
        else ""
    )
    return f"StatusCode {response['StatusCode']}{error}{durable} {payload}".rstrip()


def _start_execution(step: _Step) -> str:
    fields = step.fields(("state-machine",), ("input", "name"))
    params = {
        "stateMachineArn": step.resource(fields["state-machine"], "state-machine"),
        "input": step.text(fields.get("input", {})),
    }
    if "name" in fields:
        params["name"] = fields["name"]
    return step.cloud.client("stepfunctions").start_execution(**params)["executionArn"]


def _call_api(step: _Step) -> str:
    """An HTTP request to the stack's API (``api``, ``stage``), or to a Lambda function URL
    (``function-url``: an ``AWS::Lambda::Url``'s logical id, SAM's ``<Function>Url``, or the URL itself;
    a stack whose only HTTP endpoint is one function URL needs neither)."""
    fields = step.fields(("path",), ("method", "body", "headers", "api", "stage", "function-url"))
    http_request = step.cloud.http_request
    apis = [
        r
        for r in step.stack.resources.values()
        if r.type in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
    ]
    urls = [r for r in step.stack.resources.values() if r.type == "AWS::Lambda::Url"]
    if "function-url" in fields or ("api" not in fields and not apis and len(urls) == 1):
        chosen = fields.get("function-url") or urls[0].logical_id
        base = step.resource(chosen, "function-url", "FunctionUrl")
        if ".lambda-url." not in base:
            raise step.error(f"field 'function-url': {chosen!r} is no function URL of the stack")
        url = base.rstrip("/") + "/" + fields["path"].lstrip("/")
    else:
        api = (
            step.resource(fields["api"], "api")
            if "api" in fields
            else (apis[0].physical_id if apis else None)
        )
        if api is None:
            raise step.error("field 'api' is required: the stack has no API")
        stage = fields["stage"] if "stage" in fields else _stage_of(step, api)
        url = f"https://{api}.execute-api.{step.cloud.region}.amazonaws.com{'/' + stage if stage else ''}{fields['path']}"
    body = fields.get("body")
    response = http_request(
        fields.get("method", "GET"),
        url,
        headers=fields.get("headers") or {},
        body=b"" if body is None else step.text(body).encode(),
    )
    return str(response)


def _stage_of(step: _Step, api: str) -> str:
    """The stage a `call-api` step without ``stage`` calls: the one stage the stack gave the API (SAM's
    ``StageName``, ``Prod`` by default, or a template's own), an HTTP API's ``$default`` stage (no path
    prefix), or the API's only stage; several leave the choice to the step."""
    declared = [
        r.properties.get("StageName")
        for r in step.stack.resources.values()
        if r.type in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
        and api in (r.properties.get("RestApiId"), r.properties.get("ApiId"))
    ]
    try:
        stages = [s["stageName"] for s in step.cloud.client("apigateway").get_stages(restApiId=api)["item"]]
    except Exception:  # noqa: BLE001 - not a REST API: its HTTP API stages
        stages = [s["StageName"] for s in step.cloud.client("apigatewayv2").get_stages(ApiId=api)["Items"]]
    if "$default" in stages:
        return ""
    declared = [name for name in declared if name in stages]
    if len(set(declared)) == 1:
        return declared[0]
    if len(stages) == 1:
        return stages[0]
    raise step.error(
        f"field 'stage' is required: API {api} has the stages {', '.join(sorted(stages)) or 'none'}"
    )


def _advance_time(step: _Step) -> str:
    seconds = step.arguments.get("seconds") if isinstance(step.arguments, dict) else step.arguments
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise step.error("field 'seconds' must be a number of seconds >= 0 (advance-time: 60)")
    return f"{step.cloud.run_for(seconds)} events ran"


def _run_until_idle(step: _Step) -> str:
    if step.arguments not in ({}, None):
        raise step.error("takes no fields")
    return f"{step.cloud.run_until_idle()} events ran"


_STEPS: dict[str, Callable[[_Step], str]] = {
    "put-object": _put_object,
    "send-message": _send_message,
    "publish": _publish,
    "put-events": _put_events,
    "invoke": _invoke,
    "start-execution": _start_execution,
    "call-api": _call_api,
    "advance-time": _advance_time,
    "run-until-idle": _run_until_idle,
}


def run_scenario(
    cloud: Any, stack: Any, steps: list[tuple[str, Any]], out: TextIO, file: str = "scenario"
) -> None:
    """Run the steps in order (then run the simulation until idle), writing one line per step."""
    for index, (action, arguments) in enumerate(steps):
        step = _Step(cloud, stack, file, index, action, arguments)
        try:
            result = _STEPS[action](step)
        except ScenarioError:
            raise
        except Exception as error:  # noqa: BLE001 - an AWS error answering the step is the step's failure
            message = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
            raise step.error(message) from None
        print(f"steps[{index}] {action}: {result}", file=out)
    cloud.run_until_idle()


def print_trace(cloud: Any, out: TextIO) -> None:
    timeline = getattr(cloud.trace, "timeline", None)
    if callable(timeline):
        print(timeline(), file=out)
        return
    for record in cloud.trace:
        moment = datetime.datetime.fromtimestamp(record["time"], datetime.UTC).strftime("%H:%M:%S.%f")[:-3]
        cause = f" <-{record['cause']}" if record.get("cause") is not None else ""
        details = " ".join(
            f"{key}={_short(value)}"
            for key, value in record.items()
            if key not in ("seq", "kind", "time", "cause", "logs") and value not in (None, "", [], {})
        )
        print(f"{record['seq']:>4} {moment} {record['kind']:<16}{cause} {details}", file=out)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def print_final_state(cloud: Any, out: TextIO) -> None:
    """Queues (messages, without receiving them), tables (items) and the SES / SNS SMS outboxes."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    account, region = cloud.account_id, cloud.region
    queues = sqs_backends[account][region].queues if account in sqs_backends else {}
    for name, queue in sorted(queues.items()):
        messages = list(queue._messages)  # peeked in moto's backend: receiving would change the queue's state
        print(f"queue {name}: {len(messages)} message(s)", file=out)
        for message in messages:
            print(f"  {_short(message.body)}", file=out)
    dynamodb = cloud.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        items = dynamodb.scan(TableName=table)["Items"]
        print(f"table {table}: {len(items)} item(s)", file=out)
        for item in items:
            print(f"  {_short(item)}", file=out)
    if account in ses_backends:
        for message in ses_backends[account][region].sent_messages:
            print(
                f"ses sent: from {getattr(message, 'source', '?')} subject {_short(getattr(message, 'subject', ''))}",
                file=out,
            )
    if account in sns_backends:
        for phone, text in sns_backends[account][region].sms_messages.values():
            print(f"sns sms to {phone}: {_short(text)}", file=out)
