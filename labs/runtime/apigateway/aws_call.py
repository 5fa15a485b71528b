"""A REST API integration of type ``AWS`` calling its service, and the service's answer as it is on the wire.

integrations-aws-services (the URI names a service action, ``arn:aws:apigateway:region:dynamodb:action/PutItem``,
or a path, ``...:sqs:path/account/queue``, ``...:s3:path/bucket/key``). The body the request template made is
the service's request: JSON for JSON-protocol services (DynamoDB, Step Functions, EventBridge), a form for
query-protocol ones (SQS, SNS: ``query_protocol.py`` reads it, nested parameters included), and for SQS also
its JSON protocol when the integration maps ``X-Amz-Target: AmazonSQS.<Action>``
(https://repost.aws/knowledge-center/api-gateway-rest-api-sqs-errors, sqs-making-api-requests-json.html).
``integration.request.querystring.*`` parameters add to it. The call is made with the integration's role.

The answer is the service's wire body: JSON-protocol services' JSON (timestamps as epoch seconds, blobs as
base64), query services' ``<Action>Response`` document as JSON, or XML when the integration maps an ``Accept``
header naming XML; errors as the service words them (``{"__type", "message"}``, or an ``ErrorResponse``).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from labs.runtime.apigateway.access import Refused, internal_error
from labs.runtime.apigateway.proxy import Call
from labs.runtime.apigateway.query_protocol import UnknownFields, form_parameters, wire_error, wire_output

__all__ = ["REST_SERVICES", "Backend", "aws_call", "method_parameter"]

_AWS_URI = re.compile(
    r"^arn:aws[\w-]*:apigateway:[\w-]+:(?P<service>[\w.-]+):(?P<kind>action|path)/(?P<rest>.*)$"
)
REST_SERVICES = {
    "sqs": "sqs",
    "sns": "sns",
    "dynamodb": "dynamodb",
    "states": "stepfunctions",
    "events": "events",
    "s3": "s3",
}


@dataclass
class Backend:
    """What the integration's backend answered: ``status`` (None for a mock without one), headers, body."""

    status: int | None
    header_list: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error_message: str | None = None  # a Lambda function error's errorMessage

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.header_list if key.lower() == name.lower()]


def method_parameter(call: Call, source: str) -> Any:
    """``method.request.querystring.x`` / ``header.x`` / ``path.x``, ``context.x``, ``stageVariables.x`` or a
    quoted static value (api-gateway-parameter-mapping-sources.html)."""
    source = str(source)
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source.removeprefix("stageVariables."))
    _, _, rest = source.partition("method.request.")
    group, _, name = rest.partition(".")
    if group == "querystring":
        return dict(call.query).get(name)
    if group == "header":
        return call.header(name)
    if group == "path":
        return call.path_parameters.get(name)
    return None


def _integration_failed(detail: str) -> Refused:
    refused = internal_error("REST", detail)
    refused.body = {"message": f"Internal server error: {detail}"}
    return refused


def aws_call(cloud: Any, call: Call, integration: Any, body: bytes, entry: dict) -> Backend:
    """Call the AWS action ``integration`` names with the request ``body``; the service's wire answer."""
    matched = _AWS_URI.match(integration.uri or "")
    if matched is None or matched["service"] not in REST_SERVICES:
        refused = internal_error(
            "REST", f"valid on AWS, not simulated here: AWS integrations for {integration.uri}"
        )
        refused.body = {"message": f"Internal server error: {refused.reason}"}
        raise refused
    service = REST_SERVICES[matched["service"]]
    mapped = {
        name.removeprefix("integration.request.header."): method_parameter(call, value)
        for name, value in (integration.request_parameters or {}).items()
        if name.startswith("integration.request.header.")
    }
    accept = str(mapped.get("Accept") or "application/json").lower()
    client = cloud.client_as_role(service, integration.credentials or "", "apigateway", entry["seq"])
    model = client.meta.service_model
    query_wire = service in ("sqs", "sns") and "AmazonSQS." not in str(mapped.get("X-Amz-Target") or "")
    xml = query_wire and "xml" in accept
    try:
        action, params = _request(client, call, matched, body, integration.request_parameters or {}, mapped)
    except UnknownFields as unknown:
        detail = (
            f"{matched['service']} {unknown.action}: the form fields {', '.join(unknown.fields)} are not "
            "parameters of the action as the AWS query protocol names them, so they cannot be passed on"
        )
        entry["reason"] = detail
        raise _integration_failed(detail) from None
    try:
        output = getattr(client, _snake(action))(**params)
    except Exception as error:  # noqa: BLE001 - the service's refusal is the backend's response
        response = getattr(error, "response", None)
        if not isinstance(response, dict):
            raise _integration_failed(f"{matched['service']} {action}: {error}") from None
        code = response.get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "AccessDeniedException"):
            raise internal_error("REST", f"the integration's role may not call: {code}") from None
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        message = response.get("Error", {}).get("Message", "")
        entry["reason"] = f"{matched['service']} {action}: {code}"
        if query_wire:
            content_type, text = wire_error(code, message, call.request_id, xml, status < 500)
        else:
            content_type, text = (
                "application/x-amz-json-1.0",
                json.dumps({"__type": code, "message": message}),
            )
        return Backend(status, [("Content-Type", content_type)], text.encode())
    request_id = output.get("ResponseMetadata", {}).get("RequestId") or call.request_id
    if service == "s3":
        data = output["Body"].read() if hasattr(output.get("Body"), "read") else b""
        return Backend(200, [("Content-Type", output.get("ContentType") or "application/octet-stream")], data)
    if query_wire:
        content_type, text = wire_output(service, model.operation_model(action), output, request_id, xml)
    else:
        output.pop("ResponseMetadata", None)
        content_type, text = "application/x-amz-json-1.0", json.dumps(output, default=_json_value)
    return Backend(200, [("Content-Type", content_type), ("x-amzn-RequestId", request_id)], text.encode())


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()  # AWS's JSON protocols write timestamps as epoch seconds
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")  # and blobs as base64
    raise TypeError(f"{type(value).__name__} is not JSON")


def _request(client: Any, call: Call, matched: re.Match, body: bytes, mapped: dict, headers: dict):
    """(action, parameters) for the URI and the body the request template made."""
    text = body.decode("utf-8", "replace")
    query = [
        (name.removeprefix("integration.request.querystring."), method_parameter(call, value))
        for name, value in mapped.items()
        if name.startswith("integration.request.querystring.")
    ]
    query = [(name, str(value)) for name, value in query if value is not None]
    model = client.meta.service_model
    if matched["service"] == "s3":
        bucket, _, key = _path_parameters(call, matched["rest"], mapped).partition("/")
        if call.method in ("GET", "HEAD"):
            return "GetObject", {"Bucket": bucket, "Key": key}
        return "PutObject", {"Bucket": bucket, "Key": key, "Body": body}
    target = str(headers.get("X-Amz-Target") or "")
    json_wire = model.protocol == "json" and (matched["service"] != "sqs" or target.startswith("AmazonSQS."))
    form = [] if json_wire else parse_qsl(text, keep_blank_values=True)
    if matched["kind"] == "action":
        action = matched["rest"].split("?")[0]
    else:
        action = target.removeprefix("AmazonSQS.") if target else dict(query + form).get("Action", "")
    if action not in model.operation_names:
        raise _integration_failed(f"{matched['service']} has no action {action!r}")
    operation = model.operation_model(action)
    if json_wire:
        try:
            params = json.loads(text) if text.strip() else {}
        except ValueError:
            raise _integration_failed("the request template did not make JSON for a JSON API") from None
        if not isinstance(params, dict):
            raise _integration_failed("the request template made JSON that is not an object")
        params.update(dict(query))
    else:
        params = form_parameters(matched["service"], operation, query + form)
    if matched["service"] == "sqs" and matched["kind"] == "path":
        account, _, queue = matched["rest"].strip("/").partition("/")
        if queue:  # path/{account}/{queue}; a bare path ("/") leaves QueueUrl to the form
            params["QueueUrl"] = f"https://sqs.{client.meta.region_name}.amazonaws.com/{account}/{queue}"
    return action, params


def _path_parameters(call: Call, path: str, mapped: dict) -> str:
    """``{name}`` in a path override filled from ``integration.request.path.name`` (else the method's path
    parameter of that name), as the S3 proxy of integrating-api-with-aws-services-s3.html writes it."""

    def value(match: re.Match) -> str:
        source = mapped.get(f"integration.request.path.{match[1]}")
        found = method_parameter(call, source) if source else call.path_parameters.get(match[1])
        return str(found or "")

    return re.sub(r"\{([\w.-]+)\}", value, path)


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
