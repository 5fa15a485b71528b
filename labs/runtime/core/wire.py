"""Reading AWS requests off the wire on the host: which service, operation, IAM action and resource.

Requests that come from a handler arrive as raw HTTP (method, URL, headers, body), because the handler's
own botocore built them. The host cannot trust anything the environment says about them, so it works the
operation out itself, from botocore's service models (the same data the SDK is generated from): the
``X-Amz-Target`` header for JSON protocols, the ``Action`` field for query protocols, and the request URI
templates for REST protocols. This module also builds AWS-shaped error responses for each protocol.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session

__all__ = ["ParsedRequest", "error_response", "parse_request", "request_headers", "signing_service"]

SERVED_SERVICES = {
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "ses",
    "sts",
    "logs",
    "lambda",
    "stepfunctions",
    "rekognition",
    "events",
    "kinesis",
}
_SIGNING_TO_SERVICE = {"email": "ses", "states": "stepfunctions"}
_IAM_PREFIX = {"stepfunctions": "states"}
_IAM_ACTION_OVERRIDES = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "CopyObject"): "s3:PutObject",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "lambda:InvokeFunction",  # API_InvokeWithResponseStream.html
    ("ses", "SendRawEmail"): "ses:SendRawEmail",
}
_CREDENTIAL = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_HOST = re.compile(
    r"^(?:(?P<bucket>.+)\.)?(?P<service>[a-z0-9-]+)\.(?:(?P<region>[a-z0-9-]+)\.)?amazonaws\.com$"
)


@dataclass
class ParsedRequest:
    """One request as the host understands it. ``resources`` are ARNs the IAM action applies to."""

    service: str
    operation: str
    action: str
    resources: list[str]
    region: str
    params: dict = field(default_factory=dict)
    # (IAM action, resource ARN) pairs that a request authorized item by item is checked against instead of
    # ``action`` on each of ``resources``: DynamoDB transactions (_transaction_authorizations)
    authorizations: list[tuple[str, str]] = field(default_factory=list)

    def checks(self) -> list[tuple[str, str]]:
        """Every (IAM action, resource ARN) the request needs allowed."""
        return self.authorizations or [(self.action, resource) for resource in self.resources]


@lru_cache(maxsize=16)
def _model(service: str):
    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=16)
def _rest_routes(service: str) -> list[tuple[str, re.Pattern, dict[str, str | None], int, str]]:
    routes = []
    for name in _model(service).operation_names:
        http = _model(service).operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        required = {}
        for part in filter(None, query.split("&")):
            key, _, value = part.partition("=")
            required[key] = value or None
        specificity = len(required) * 1000 + len(re.sub(r"\{[^}]+\}", "", path))
        routes.append((http["method"], re.compile(f"^{regex}/?$"), required, specificity, name))
    return routes


def _route_rest(service: str, method: str, path: str, query: dict[str, list[str]]) -> tuple[str, dict]:
    best: tuple[int, str, dict] | None = None
    for route_method, regex, required, specificity, name in _rest_routes(service):
        if route_method != method:
            continue
        match = regex.match(path)
        if not match or any(
            k not in query or (v is not None and query[k][0] != v) for k, v in required.items()
        ):
            continue
        if best is None or specificity > best[0]:
            best = (specificity, name, {k: unquote(v) for k, v in match.groupdict().items()})
    if best is None:
        raise ValueError(f"no {service} operation matches {method} {path}")
    return best[1], best[2]


def _s3_resources(params: dict) -> list[str]:
    bucket, key = params.get("Bucket"), params.get("Key")
    if not bucket:
        return ["*"]
    return [f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"]


def _resources(service: str, params: dict, region: str, account: str) -> list[str]:
    prefix = f"{region}:{account}"
    if service == "s3":
        return _s3_resources(params)
    if service == "dynamodb":
        tables = list(params.get("RequestItems", {})) or [params.get("TableName")]
        tables += [table for _, table in _transaction_items(params)]
        return [f"arn:aws:dynamodb:{prefix}:table/{t}" for t in tables if t] or ["*"]
    if service == "sqs":
        name = params.get("QueueName") or str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        return [f"arn:aws:sqs:{prefix}:{name}"] if name else ["*"]
    if service == "sns":
        arn = params.get("TopicArn") or params.get("TargetArn")
        if not arn and params.get("Name"):
            arn = f"arn:aws:sns:{prefix}:{params['Name']}"
        return [arn] if arn else ["*"]
    if service == "logs":
        group = params.get("logGroupName")
        return [f"arn:aws:logs:{prefix}:log-group:{group}:*"] if group else ["*"]
    if service == "lambda":
        if params.get("DurableExecutionArn"):
            return [params["DurableExecutionArn"]]  # durable-security.html: authorized on the execution's ARN
        name = params.get("FunctionName")
        if not name:
            return ["*"]
        return [name if name.startswith("arn:") else f"arn:aws:lambda:{prefix}:function:{name}"]
    if service == "events":
        entries = params.get("Entries") or [{}]
        bus = (
            (entries[0] if isinstance(entries[0], dict) else {}).get("EventBusName")
            or params.get("EventBusName")
            or "default"
        )
        return [bus if str(bus).startswith("arn:") else f"arn:aws:events:{prefix}:event-bus/{bus}"]
    if service == "stepfunctions":
        arn = params.get("stateMachineArn") or params.get("executionArn")
        return [arn] if arn else ["*"]
    if service == "kinesis":
        arn = params.get("StreamARN") or (
            f"arn:aws:kinesis:{prefix}:stream/{params['StreamName']}" if params.get("StreamName") else None
        )
        return [arn] if arn else ["*"]
    if service == "ses" and params.get("Source"):
        return [f"arn:aws:ses:{prefix}:identity/{params['Source']}"]
    return ["*"]


# A transaction's Put/Update/Delete/Get are authorized as PutItem/UpdateItem/DeleteItem/GetItem on their
# table, its ConditionCheck as ConditionCheckItem; there is no IAM action of the transaction's own
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
_TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _transaction_items(params: dict) -> list[tuple[str, str]]:
    """(kind, table name) of each item of a TransactWriteItems / TransactGetItems request."""
    items = params.get("TransactItems")
    found = []
    for item in items if isinstance(items, list) else []:
        for kind, request in (item if isinstance(item, dict) else {}).items():
            if kind in _TRANSACTION_ACTIONS and isinstance(request, dict) and request.get("TableName"):
                found.append((kind, str(request["TableName"])))
    return found


def _transaction_authorizations(
    service: str, params: dict, region: str, account: str
) -> list[tuple[str, str]]:
    if service != "dynamodb":
        return []
    return [
        (_TRANSACTION_ACTIONS[kind], f"arn:aws:dynamodb:{region}:{account}:table/{table}")
        for kind, table in _transaction_items(params)
    ]


def signing_service(headers: dict[str, str]) -> str | None:
    """The service a request was signed for (its SigV4 credential scope), in boto3's naming."""
    lowered = {k.lower(): v for k, v in headers.items()}
    credential = _CREDENTIAL.search(lowered.get("authorization", ""))
    return _SIGNING_TO_SERVICE.get(credential.group(2), credential.group(2)) if credential else None


def parse_request(method: str, url: str, headers: dict[str, str], body: bytes, account: str) -> ParsedRequest:
    """Work out service, operation, IAM action and resource ARNs of a raw request.

    Raises ``ValueError`` (with what was wrong) for a request that is not for a served AWS service.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    parts = urlsplit(url)
    host_match = _HOST.match(parts.hostname or "")
    credential = _CREDENTIAL.search(lowered.get("authorization", ""))
    if credential:
        region, service = credential.group(1), credential.group(2)
    elif host_match:
        region, service = host_match.group("region") or "us-east-1", host_match.group("service")
    else:
        raise ValueError(f"not an AWS endpoint: {parts.hostname}")
    service = _SIGNING_TO_SERVICE.get(service, service)
    if service not in SERVED_SERVICES:
        raise ValueError(f"service {service!r} is not served by this simulated account")
    protocol = _model(service).protocol
    params: dict = {}
    if protocol == "json":
        target = lowered.get("x-amz-target", "")
        operation = target.rpartition(".")[2]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise ValueError("request body is not JSON") from None
        if not isinstance(params, dict):
            raise ValueError("request body is not a JSON object")
    elif protocol == "query":
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        operation = params.get("Action", "")
    else:
        query = parse_qs(parts.query, keep_blank_values=True)
        path = parts.path or "/"
        if service == "s3" and host_match and host_match.group("bucket"):
            path = f"/{host_match.group('bucket')}{path}"
        operation, params = _route_rest(service, method.upper(), path, query)
        if operation in ("PutObject", "CopyObject"):
            operation = "CopyObject" if "x-amz-copy-source" in lowered else "PutObject"
        if protocol == "rest-json" and body:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            if isinstance(payload, dict) and operation not in ("Invoke", "InvokeWithResponseStream"):
                params = {**payload, **params}
        if "Qualifier" in query:
            params["Qualifier"] = query["Qualifier"][0]
    if operation not in _model(service).operation_names:
        raise ValueError(f"unknown {service} operation {operation!r}")
    action = _IAM_ACTION_OVERRIDES.get(
        (service, operation), f"{_IAM_PREFIX.get(service, service)}:{operation}"
    )
    return ParsedRequest(
        service,
        operation,
        action,
        _resources(service, params, region, account),
        region,
        params,
        _transaction_authorizations(service, params, region, account),
    )


def error_response(service: str, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """An error response in the wire format of ``service``'s protocol, so botocore raises ClientError."""
    request_id = str(uuid.uuid4())
    protocol = _model(service).protocol
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"x-amzn-RequestId": request_id, "Content-Type": "application/x-amz-json-1.0"}, body
    if protocol == "rest-json":
        body = json.dumps({"Type": "User", "Message": message}).encode()
        headers = {
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": code,
            "Content-Type": "application/json",
        }
        return status, headers, body
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if protocol == "rest-xml":
        body = f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{code}</Code><Message>{escaped}</Message><RequestId>{request_id}</RequestId></Error>"
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escaped}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, {"x-amzn-RequestId": request_id, "Content-Type": "text/xml"}, body.encode()


ACCESS_DENIED = {
    "s3": (403, "AccessDenied"),
    "dynamodb": (400, "AccessDeniedException"),
    "sqs": (403, "AccessDenied"),
    "sns": (403, "AuthorizationError"),
    "ses": (403, "AccessDenied"),
    "sts": (403, "AccessDenied"),
    "logs": (400, "AccessDeniedException"),
    "lambda": (403, "AccessDeniedException"),
    "stepfunctions": (400, "AccessDeniedException"),
    "rekognition": (400, "AccessDeniedException"),
    "events": (400, "AccessDeniedException"),
    "kinesis": (400, "AccessDeniedException"),
}


def request_headers(headers, added: dict[str, str]) -> list[tuple[str, str]]:
    """An HTTP request's headers as (name, value) pairs, from a dict (a list value repeats its name) or a list
    of pairs, followed by the ``added`` headers the front door sets (Host, X-Forwarded-*) unless the client sent
    them: API Gateway and function URLs both hand a function these."""
    if isinstance(headers, dict):
        pairs = [
            (str(name), str(value))
            for name, values in headers.items()
            for value in (values if isinstance(values, list) else [values])
        ]
    else:
        pairs = [(str(name), str(value)) for name, value in headers or []]
    sent = {name.lower() for name, _ in pairs}
    return pairs + [(name, value) for name, value in added.items() if name.lower() not in sent]
