"""Lambda proxy integrations' payload formats: the event API Gateway sends, and how it reads the answer.

Pure functions over plain data, used by ``gateway.py``. Shapes follow AWS's documentation:
format 1.0 (REST APIs, and HTTP APIs that choose it) in
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html, and
format 2.0 (HTTP APIs) in .../http-api-develop-integrations-lambda.html. Behaviour copied from AWS:

- 1.0 sends ``headers`` / ``queryStringParameters`` with the last value of each name and the ``multiValue...``
  maps with all of them; absent maps are ``null``. 2.0 joins repeated values with commas, lower-cases header
  names, moves ``Cookie`` headers to ``cookies`` and leaves absent maps out.
- A named HTTP API stage is part of ``rawPath`` (``/prod/items``); the ``$default`` stage is not.
- A 1.0 answer must be an object of ``statusCode``, ``headers``, ``multiValueHeaders``, ``body`` (a string)
  and ``isBase64Encoded``: anything else (a dict as ``body``, a 2.0 ``cookies`` field) is a malformed
  Lambda proxy response. A 2.0 answer without
  ``statusCode`` is any JSON value, returned as a 200 ``application/json`` body; ``cookies`` become
  ``Set-Cookie`` headers.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch

__all__ = ["Call", "HttpResponse", "MalformedResponse", "v1_event", "v1_response", "v2_event", "v2_response"]

_V1_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
_TEXT_TYPES = ("text/*", "*json*", "*xml*", "*javascript*", "application/x-www-form-urlencoded*")


class MalformedResponse(ValueError):
    """A function's answer API Gateway cannot turn into an HTTP response; the message says which field."""


@dataclass
class HttpResponse:
    """What the client receives: ``status``, every header in order (``header_list``) and the ``body``."""

    status: int
    header_list: list[tuple[str, str]]
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        """Header names in lower case; repeated headers joined with ", " (use ``header_values`` for cookies)."""
        joined: dict[str, list[str]] = {}
        for name, value in self.header_list:
            joined.setdefault(name.lower(), []).append(value)
        return {name: ", ".join(values) for name, values in joined.items()}

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.header_list if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> object:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        return json.loads(self.body)


@dataclass
class Call:
    """One request in flight: what the client sent, and what API Gateway decided about it so far."""

    api_type: str  # "REST" or "HTTP"
    api_id: str
    account_id: str
    region: str
    stage: str
    method: str
    path: str  # after the stage, as sent (percent-encoded)
    raw_query: str
    query: list[tuple[str, str]]  # decoded pairs, in order
    headers: list[tuple[str, str]]  # as sent, plus those API Gateway adds
    body: bytes | None
    source_ip: str
    request_id: str
    time_s: float
    resource_path: str = ""  # the REST resource ("/items/{id}") or the HTTP route's path
    resource_id: str = ""
    route_key: str = ""  # HTTP APIs: "GET /items/{id}" or "$default"
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    authorizer: dict | None = None  # what the authorizer returned, for requestContext.authorizer
    api_key: tuple[str, str] | None = None  # (id, value) of the API key that was checked
    binary_media_types: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The last value of a header, whatever its case; None when absent."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def domain_name(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def stage_path(self) -> str:
        """The path as the client's URL has it: REST APIs and named HTTP API stages include the stage."""
        if self.api_type == "HTTP" and self.stage == "$default":
            return self.path
        return f"/{self.stage}{self.path}"

    def body_for_event(self) -> tuple[str | None, bool]:
        """(body, isBase64Encoded): REST APIs encode bodies whose Content-Type is one of the API's binary
        media types; HTTP APIs encode bodies that are not text (by Content-Type) or not UTF-8."""
        if self.body is None:
            return None, False
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if self.api_type == "REST":
            binary = any(fnmatch(content_type, pattern.lower()) for pattern in self.binary_media_types)
        else:
            binary = bool(content_type) and not any(fnmatch(content_type, p) for p in _TEXT_TYPES)
        if not binary:
            try:
                return self.body.decode("utf-8"), False
            except UnicodeDecodeError:
                binary = self.api_type == "HTTP"
        if binary:
            return base64.b64encode(self.body).decode("ascii"), True
        return self.body.decode("utf-8", "replace"), False


def _request_time(time_s: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(time_s))


def v1_event(call: Call) -> dict:
    """The payload format 1.0 event (REST APIs, and HTTP API integrations that choose 1.0)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in call.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in call.query:
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, encoded = call.body_for_event()
    identity = {
        key: None
        for key in (
            "cognitoIdentityPoolId",
            "accountId",
            "cognitoIdentityId",
            "caller",
            "principalOrgId",
            "accessKey",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "userArn",
            "user",
            "clientCert",
        )
    }
    identity.update(
        sourceIp=call.source_ip,
        userAgent=call.header("user-agent"),
        apiKey=call.api_key[1] if call.api_key else None,
        apiKeyId=call.api_key[0] if call.api_key else None,
    )
    context = {
        "accountId": call.account_id,
        "apiId": call.api_id,
        "domainName": call.domain_name,
        "domainPrefix": call.api_id,
        "extendedRequestId": call.request_id[:16],
        "httpMethod": call.method,
        "identity": identity,
        "path": call.stage_path,
        "protocol": "HTTP/1.1",
        "requestId": call.request_id,
        "requestTime": _request_time(call.time_s),
        "requestTimeEpoch": int(call.time_s * 1000),
        "resourceId": call.resource_id,
        "resourcePath": call.resource_path,
        "stage": call.stage,
    }
    if call.api_type == "HTTP":
        context["routeKey"] = call.route_key
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    return {
        "resource": call.resource_path,
        # REST APIs give the path without the stage; HTTP APIs (format 1.0) give it as the URL has it
        "path": call.path if call.api_type == "REST" else call.stage_path,
        "httpMethod": call.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": call.path_parameters or None,
        "stageVariables": call.stage_variables or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": encoded,
    }


def v2_event(call: Call) -> dict:
    """The payload format 2.0 event (HTTP APIs)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in call.headers:
        if name.lower() == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in call.query:
        query[name] = f"{query[name]},{value}" if name in query else value
    body, encoded = call.body_for_event()
    context = {
        "accountId": call.account_id,
        "apiId": call.api_id,
        "domainName": call.domain_name,
        "domainPrefix": call.api_id,
        "http": {
            "method": call.method,
            "path": call.stage_path,
            "protocol": "HTTP/1.1",
            "sourceIp": call.source_ip,
            "userAgent": call.header("user-agent") or "",
        },
        "requestId": call.request_id,
        "routeKey": call.route_key,
        "stage": call.stage,
        "time": _request_time(call.time_s),
        "timeEpoch": int(call.time_s * 1000),
    }
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    event: dict = {
        "version": "2.0",
        "routeKey": call.route_key,
        "rawPath": call.stage_path,
        "rawQueryString": call.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    if call.path_parameters:
        event["pathParameters"] = call.path_parameters
    if call.stage_variables:
        event["stageVariables"] = call.stage_variables
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def _status(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedResponse(f"statusCode must be an integer from 100 to 599, got {value!r}")
    return value


def _scalar(where: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResponse(f"{where} must be a string, got {type(value).__name__}")


def _body(answer: dict, decode: bool) -> bytes:
    body = answer.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse(f"body must be a string (use json.dumps), got {type(body).__name__}")
    encoded = answer.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedResponse(f"isBase64Encoded must be true or false, got {encoded!r}")
    if encoded and decode:
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise MalformedResponse("isBase64Encoded is true but body is not base64") from None
    return body.encode("utf-8")


def v1_response(payload: bytes, binary_accepted: bool) -> HttpResponse:
    """Map a format 1.0 answer to HTTP. ``binary_accepted``: a REST API returns a base64 body decoded only
    when the client's Accept header matches one of the API's binary media types (else the base64 text).
    Raises ``MalformedResponse``."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise MalformedResponse(f"the answer must be a JSON object, got {type(answer).__name__}")
    unknown = sorted(set(answer) - _V1_RESPONSE_KEYS)
    if unknown:
        raise MalformedResponse(f"unexpected fields {unknown}; allowed: {sorted(_V1_RESPONSE_KEYS)}")
    status = _status(answer.get("statusCode"))
    header_list: list[tuple[str, str]] = []
    headers, multi = answer.get("headers") or {}, answer.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers and multiValueHeaders must be JSON objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders.{name} must be a list")
        header_list += [(name, _scalar(f"multiValueHeaders.{name}[]", v)) for v in values]
    # AWS merges the two maps; a name and value given in both appear once (from multiValueHeaders)
    taken = {(name.lower(), value) for name, value in header_list}
    for name, value in headers.items():
        value = _scalar(f"headers.{name}", value)
        if (name.lower(), value) not in taken:
            header_list.append((name, value))
    if not any(name.lower() == "content-type" for name, _ in header_list):
        header_list.append(("Content-Type", "application/json"))
    return HttpResponse(status, header_list, _body(answer, decode=binary_accepted))


def v2_response(payload: bytes) -> HttpResponse:
    """Map a format 2.0 answer to HTTP. Raises ``MalformedResponse``."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        # API Gateway infers the response: 200, JSON, the whole answer as the body
        return HttpResponse(200, [("Content-Type", "application/json")], payload or b"null")
    status = _status(answer["statusCode"])
    headers, cookies = answer.get("headers") or {}, answer.get("cookies") or []
    if not isinstance(headers, dict):
        raise MalformedResponse("headers must be a JSON object")
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies must be a list of strings")
    header_list = [(name, _scalar(f"headers.{name}", value)) for name, value in headers.items()]
    header_list += [("Set-Cookie", _scalar("cookies[]", cookie)) for cookie in cookies]
    return HttpResponse(status, header_list, _body(answer, decode=True))
