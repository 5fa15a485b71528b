"""HTTP APIs' AWS service integrations ("first-class integrations"): a route whose ``AWS_PROXY`` integration
has an ``IntegrationSubtype`` calls an AWS API directly, with no Lambda function in between.

What http-api-develop-integrations-aws-services.html and its subtype reference
(http-api-develop-integrations-aws-services-reference.html) document and this copies: the integration's
``RequestParameters`` map each parameter of the action (``QueueUrl``, ``MessageBody`` ...) to a static value
or a mapping expression (http-api-parameter-mapping.html): ``$request.header.<name>``,
``$request.querystring.<name>``, ``$request.path.<name>``, ``$request.body`` or ``$request.body.<JSON path>``,
``$context.<variable>``, ``$stageVariables.<name>``, whole or as ``${...}`` inside text. The call is made
with the integration's ``CredentialsArn`` role (authorized against its policies like any role's call), and
the service's answer is the response: 200 with the action's JSON output, or the service's error status with
its message. A role that may not make the call is a 500, as a Lambda integration without permission is.

Subtypes simulated: SQS-SendMessage / ReceiveMessage / DeleteMessage / PurgeQueue, EventBridge-PutEvents,
StepFunctions-StartExecution / StartSyncExecution / StopExecution, Kinesis-PutRecord. AppConfig-GetConfiguration
answers "valid on AWS, not simulated here".

REST APIs' integrations of type ``AWS``, ``MOCK`` and ``HTTP`` are in ``rest_integrations.py``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from typing import Any

from labs.runtime.apigateway.access import internal_error
from labs.runtime.apigateway.proxy import Call, HttpResponse
from labs.runtime.apigateway.rest_integrations import not_simulated

__all__ = ["SUBTYPES", "not_simulated", "serve_subtype"]

# subtype -> (boto3 service, method)
SUBTYPES = {
    "SQS-SendMessage": ("sqs", "send_message"),
    "SQS-ReceiveMessage": ("sqs", "receive_message"),
    "SQS-DeleteMessage": ("sqs", "delete_message"),
    "SQS-PurgeQueue": ("sqs", "purge_queue"),
    "EventBridge-PutEvents": ("events", "put_events"),
    "StepFunctions-StartExecution": ("stepfunctions", "start_execution"),
    "StepFunctions-StartSyncExecution": ("stepfunctions", "start_sync_execution"),
    "StepFunctions-StopExecution": ("stepfunctions", "stop_execution"),
    "Kinesis-PutRecord": ("kinesis", "put_record"),
}
_EXPRESSION = re.compile(r"^\$((?:request|context|stageVariables)\..+|request\.body)$")
_INLINE = re.compile(r"\$\{((?:request|context|stageVariables)\.[^}]+|request\.body)\}")


def serve_subtype(cloud: Any, call: Call, integration: Any, entry: dict) -> HttpResponse:
    """Call the AWS action of ``integration.integration_subtype`` with its mapped parameters."""
    subtype = integration.integration_subtype
    if subtype not in SUBTYPES:
        raise not_simulated(call, f"HTTP API integrations of subtype {subtype}")
    service, method = SUBTYPES[subtype]
    params = {
        name: _mapped(call, value)
        for name, value in (integration.request_parameters or {}).items()
        if name != "Region"  # the API's own Region is the only one simulated
    }
    params = {name: value for name, value in params.items() if value is not None}
    if subtype == "EventBridge-PutEvents":
        entry_keys = ("Detail", "DetailType", "Source", "Time", "EventBusName", "Resources", "TraceHeader")
        params = {"Entries": [{k: params[k] for k in entry_keys if k in params}]}
    elif subtype == "Kinesis-PutRecord" and isinstance(params.get("Data"), str):
        params["Data"] = params["Data"].encode()
    client = cloud.client_as_role(service, integration.credentials_arn or "", "apigateway", entry["seq"])
    params = _typed(client, method, params)
    try:
        output = getattr(client, method)(**params)
    except Exception as error:  # noqa: BLE001 - the service's refusal (or botocore's) is the response
        response = getattr(error, "response", None)
        if not isinstance(response, dict):
            raise internal_error(call.api_type, f"{subtype}: {error}") from None
        code = response.get("Error", {}).get("Code", "")
        message = response.get("Error", {}).get("Message") or str(error)
        if code in ("AccessDenied", "AccessDeniedException"):
            raise internal_error(
                call.api_type, f"{subtype}: the integration's role may not call: {message}"
            ) from None
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        entry["reason"] = f"{subtype}: {code}"
        return HttpResponse(
            status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode()
        )
    output.pop("ResponseMetadata", None)
    body = json.dumps(output, default=_json_value).encode()
    return HttpResponse(200, [("Content-Type", "application/json")], body)


def _typed(client: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters under the action's own member names (the reference writes ``StateMachineArn`` for Step
    Functions' ``stateMachineArn``), text parsed where the member is a number, a boolean or a structure."""
    operation = client.meta.method_to_api_mapping[method]
    members = client.meta.service_model.operation_model(operation).input_shape.members
    by_lower = {name.lower(): name for name in members}
    typed = {}
    for name, value in params.items():
        member = by_lower.get(name.lower(), name)
        kind = members[member].type_name if member in members else "string"
        if isinstance(value, str) and kind in ("structure", "map", "list", "integer", "long", "boolean"):
            with contextlib.suppress(ValueError):  # else left as written: the API's validation says why
                value = json.loads(value)
        typed[member] = value
    return typed


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()  # AWS's JSON protocols write timestamps as epoch seconds
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _mapped(call: Call, value: Any) -> Any:
    """A parameter's value: a static value, one mapping expression, or text with ``${...}`` in it."""
    if not isinstance(value, str):
        return value
    whole = _EXPRESSION.match(value)
    if whole is not None:
        return _evaluate(call, whole[1])
    return _INLINE.sub(lambda m: _text(_evaluate(call, m[1])), value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _evaluate(call: Call, expression: str) -> Any:
    source, _, name = expression.partition(".")
    if source == "request":
        part, _, key = name.partition(".")
        if part == "header":
            return call.header(key)
        if part == "querystring":
            values = [v for k, v in call.query if k == key]
            return ",".join(values) if values else None
        if part == "path":
            return call.path_parameters.get(key)
        if part == "body":
            return _body_path(call, key)
        return None
    if source == "stageVariables":
        return call.stage_variables.get(name)
    return _context(call).get(name)


def _body_path(call: Call, path: str) -> Any:
    text = (call.body or b"").decode("utf-8", "replace")
    if not path:
        return text
    try:
        value: Any = json.loads(text)
    except ValueError:
        return None
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value if isinstance(value, str) or value is None else json.dumps(value)


def _context(call: Call) -> dict[str, Any]:
    return {
        "requestId": call.request_id,
        "apiId": call.api_id,
        "stage": call.stage,
        "httpMethod": call.method,
        "path": call.stage_path,
        "routeKey": call.route_key,
        "accountId": call.account_id,
        "domainName": call.domain_name,
        "identity.sourceIp": call.source_ip,
        "requestTimeEpoch": int(call.time_s * 1000),
    }
