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

REST APIs' integrations of type ``AWS`` (``serve_rest_aws``): the URI names a service action
(``arn:aws:apigateway:region:dynamodb:action/PutItem``) or path (``...:sqs:path/account/queue``, ``...:s3:path/
bucket/key``); the request template for the request's Content-Type (``mapping_templates.py``) makes the body
(JSON for JSON APIs, a form for SQS and SNS), ``integration.request.querystring.*`` parameters add to it; the
call is made with the integration's role; the integration response whose selection pattern matches the
service's status code (else the default one) gives the status and, through its template, the body. Services:
SQS, SNS, DynamoDB, Step Functions, EventBridge, S3. ``HTTP``, ``HTTP_PROXY`` and ``MOCK`` integrations answer a
500 whose body says "valid on AWS, not simulated here".
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from labs.runtime.apigateway.access import Refused, internal_error
from labs.runtime.apigateway.proxy import Call, HttpResponse

__all__ = ["REST_SERVICES", "SUBTYPES", "not_simulated", "serve_rest_aws", "serve_subtype"]

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


def not_simulated(call: Call, feature: str) -> Refused:
    """A 500 as AWS would answer a failing integration, whose body says what is not simulated."""
    refused = internal_error(call.api_type, f"valid on AWS, not simulated here: {feature}")
    refused.body = {"message": f"{refused.body['message']}: valid on AWS, not simulated here: {feature}"}
    return refused


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


# -- REST APIs: integrations of type AWS ---------------------------------------------------------------------
# integrations-aws-services (the URI names a service action or path), api-gateway-mapping-template-reference
# (request and response templates), api-gateway-integration-settings-integration-response (responses chosen by
# selection pattern against the service's status code; a default has none).
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


def serve_rest_aws(cloud: Any, call: Call, integration: Any, entry: dict) -> HttpResponse:
    """A REST API method whose integration calls an AWS action, with mapping templates both ways."""
    matched = _AWS_URI.match(integration.uri or "")
    if matched is None or matched["service"] not in REST_SERVICES:
        raise not_simulated(call, f"REST API integrations of type AWS for {integration.uri}")
    service = REST_SERVICES[matched["service"]]
    content_type = (call.header("content-type") or "application/json").split(";")[0].strip().lower()
    body = (call.body or b"").decode("utf-8", "replace")
    templates = integration.request_templates or {}
    if content_type in templates:
        body = _render(templates[content_type], body, call)
    elif templates and (integration.passthrough_behaviour or "WHEN_NO_MATCH") != "WHEN_NO_MATCH":
        raise Refused(415, {"message": "Unsupported Media Type"}, f"no request template for {content_type}")
    client = cloud.client_as_role(service, integration.credentials or "", "apigateway", entry["seq"])
    try:
        method, params = _rest_call(client, call, matched, body, integration.request_parameters or {})
        output = getattr(client, method)(**params)
        status, answer = 200, output
    except Exception as error:  # noqa: BLE001 - the service's refusal is the backend's response
        response = getattr(error, "response", None)
        if not isinstance(response, dict):
            raise internal_error("REST", f"AWS integration: {error}") from None
        code = response.get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "AccessDeniedException"):
            raise internal_error("REST", f"the integration's role may not call: {code}") from None
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        answer = {"__type": code, "message": response.get("Error", {}).get("Message", "")}
    if isinstance(answer, dict):
        answer.pop("ResponseMetadata", None)
        if hasattr(answer.get("Body"), "read"):
            answer = answer["Body"].read().decode("utf-8", "replace")
    text = answer if isinstance(answer, str) else json.dumps(answer, default=_json_value)
    return _integration_response(call, integration, status, text)


def _render(template: str, body: str, call: Call) -> str:
    from labs.runtime.apigateway.mapping_templates import MappingError, render

    try:
        return render(template, body, call)
    except MappingError as error:
        raise internal_error("REST", str(error)) from None


def _rest_call(client: Any, call: Call, matched: re.Match, body: str, mapped: dict) -> tuple[str, dict]:
    """(boto3 method, parameters) for the URI and the body the request template made."""
    params = {
        name.rsplit(".", 1)[-1]: _method_parameter(call, value)
        for name, value in mapped.items()
        if name.startswith("integration.request.querystring.")
    }
    service_model = client.meta.service_model
    if matched["service"] == "s3":
        bucket, _, key = matched["rest"].partition("/")
        if call.method in ("GET", "HEAD"):
            return "get_object", {"Bucket": bucket, "Key": key}
        return "put_object", {"Bucket": bucket, "Key": key, "Body": body.encode()}
    if matched["kind"] == "action":
        action = matched["rest"].split("?")[0]
    else:  # sqs: path/{account}/{queue}, the action in the form body
        form = dict(parse_qsl(body, keep_blank_values=True))
        action = form.pop("Action", "")
        account, _, queue = matched["rest"].partition("/")
        params.update(form)
        params["QueueUrl"] = f"https://sqs.{client.meta.region_name}.amazonaws.com/{account}/{queue}"
    if action not in service_model.operation_names:
        raise internal_error("REST", f"{matched['service']} has no action {action!r}")
    if service_model.protocol == "json" and matched["kind"] == "action" and body.strip():
        try:
            params.update(json.loads(body))
        except ValueError:
            raise internal_error("REST", "the request template did not make JSON for a JSON API") from None
    elif matched["kind"] == "action":
        params.update(dict(parse_qsl(body, keep_blank_values=True)))
    members = service_model.operation_model(action).input_shape.members
    params = {name: value for name, value in params.items() if name in members}
    return _snake(action), params


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _method_parameter(call: Call, source: str) -> Any:
    """``method.request.querystring.x`` / ``header.x`` / ``path.x`` or a quoted static value."""
    if source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    _, _, rest = source.partition("method.request.")
    group, _, name = rest.partition(".")
    if group == "querystring":
        return dict(call.query).get(name)
    if group == "header":
        return call.header(name)
    if group == "path":
        return call.path_parameters.get(name)
    return None


def _integration_response(call: Call, integration: Any, status: int, body: str) -> HttpResponse:
    responses = list((integration.integration_responses or {}).values())
    chosen = next(
        (r for r in responses if r.selection_pattern and re.fullmatch(r.selection_pattern, str(status))),
        next((r for r in responses if not r.selection_pattern), None),
    )
    if chosen is None:
        reason = "Execution failed due to configuration error: No match for output mapping and no default output mapping"
        raise internal_error("REST", reason)
    templates = chosen.response_templates or {}
    template = templates.get("application/json")
    if template:
        body = _render(template, body, call)
    return HttpResponse(int(chosen.status_code), [("Content-Type", "application/json")], body.encode())
