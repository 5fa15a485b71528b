"""Calling a function URL as an HTTP client would: ``cloud.http_request(method, "https://<id>.lambda-url...")``.

Behaviour copied from AWS's Lambda developer guide, in the order a request meets it:

1. The URL names a function URL of this account and Region (``config.py``); anything else is a
   ``ValueError``, as the name would not resolve on AWS. The path and query go to the function whole: a
   function URL has no routes or stages.
2. CORS (urls-configuration.html#urls-cors): with ``Cors`` configured, Lambda answers a preflight
   (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) itself, and adds the configured
   headers to every response, replacing the function's own ``Access-Control-*`` headers.
3. Access (urls-auth.html): ``AWS_IAM`` needs a SigV4-signed request: an unsigned one is
   403 ``{"Message":"Forbidden"}``; signature checking is not simulated, so a signed one is answered with a
   500 saying so. ``NONE`` needs the function's resource-based policy to allow everyone
   ``lambda:InvokeFunctionUrl`` (the ``lambda:FunctionUrlAuthType`` condition is ``NONE``) and, since October
   2025, ``lambda:InvokeFunction`` too (the ``lambda:InvokedViaFunctionUrl`` condition is true); without
   both the request is 403 ``{"Message":"Forbidden"}``.
4. Throttling (urls-configuration.html#urls-throttling): a function over its reserved concurrency (0
   deactivates the URL) answers 429.
5. The event is payload format 2.0 with the function URL's values (urls-invocation.html#urls-payloads):
   ``routeKey`` and ``stage`` ``$default``, ``apiId`` and ``domainPrefix`` the URL id, ``domainName`` the
   URL's host, ``authentication`` null, ``pathParameters`` and ``stageVariables`` null, bodies that are not
   text base64-encoded.
6. The answer (urls-invocation.html#urls-response-payload) is read as API Gateway's format 2.0: an object
   with ``statusCode`` gives status, headers, ``cookies`` (``Set-Cookie``) and a body (base64-decoded when
   ``isBase64Encoded``); any other JSON value is a 200 ``application/json`` body. A function error, or an
   answer that cannot be read, is 502 (awsdocs/aws-lambda-developer-guide issue 430 shows the
   "Internal Server Error" answer).
7. ``InvokeMode`` ``RESPONSE_STREAM`` (configuration-response-streaming.html): only Node.js managed runtimes
   and custom runtimes stream and set status and headers through a streaming prelude; a Python handler's
   return value is sent whole when it returns, as the body of a 200 ``application/octet-stream`` response.

Each request is an ``apigateway_request`` trace record (``api_type`` ``FunctionURL``, stage ``$default``)
that the invocation points to with ``cause``, as for API Gateway.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

from moto.awslambda.exceptions import UnknownFunctionException

from labs.runtime.apigateway.access import cors_headers, cors_preflight
from labs.runtime.apigateway.proxy import Call, HttpResponse, MalformedResponse, v2_event, v2_response
from labs.runtime.core import wire
from labs.runtime.functionurls.access import Answer, authorize
from labs.runtime.functionurls.config import FunctionUrl

__all__ = ["HOST", "serve_function_url"]

HOST = re.compile(r"^(?P<url_id>[a-z0-9]+)\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws$")


def serve_function_url(
    cloud, method: str, url: str, headers, body, source_ip: str = "198.51.100.7"
) -> HttpResponse:
    """Send one request to a function URL of this account. Raises ``ValueError`` for a URL that names none."""
    parts = urlsplit(url)
    host = HOST.match(parts.hostname or "")
    config = cloud.function_urls.by_id(host["url_id"]) if host and host["region"] == cloud.region else None
    try:
        function = cloud.lambda_.get_function(config.function_name, config.qualifier) if config else None
    except UnknownFunctionException:  # the alias the URL belongs to was deleted, and the URL with it
        function = None
    if function is None:
        raise ValueError(
            f"{url}: no function URL of account {cloud.account_id} ({cloud.region}) has this host"
        )
    header_list = _header_list(headers, config.domain_name, source_ip)
    call = Call(
        api_type="HTTP",
        api_id=config.url_id,
        account_id=cloud.account_id,
        region=cloud.region,
        stage="$default",
        method=method.upper(),
        path=parts.path or "/",
        raw_query=parts.query,
        query=parse_qsl(parts.query, keep_blank_values=True),
        headers=header_list,
        body=body.encode("utf-8") if isinstance(body, str) else body,
        source_ip=source_ip,
        request_id=cloud.new_request_id(),
        time_s=cloud.clock(),
        route_key="$default",
    )
    entry = cloud.trace.apigateway_request(
        call.time_s,
        cause=None,
        api_id=config.url_id,
        api_type="FunctionURL",
        stage="$default",
        method=call.method,
        path=call.path,
    )
    cors = _cors(config.cors)
    try:
        response = _serve(cloud, config, function, call, cors, entry)
        reason = entry.get("reason", "")
    except Answer as answer:
        response = HttpResponse(answer.status, [("Content-Type", answer.content_type)], answer.body)
        reason = answer.reason
    if cors and not (response.status == 204 and reason.startswith("CORS preflight")):
        kept = [(n, v) for n, v in response.header_list if not n.lower().startswith("access-control-")]
        response.header_list[:] = kept + cors_headers(call, cors)
    response.header_list.append(("x-amzn-RequestId", call.request_id))
    entry.update(route="$default", status=response.status, reason=reason, request_id=call.request_id)
    return response


def _serve(cloud, config: FunctionUrl, function, call: Call, cors: dict | None, entry: dict) -> HttpResponse:
    preflight = cors_preflight(call, cors)
    if preflight is not None:
        entry["reason"] = "CORS preflight answered by Lambda"
        return preflight
    authorize(cloud, config, call)
    throttled = cloud.lambda_.concurrency.throttled(function, entry["seq"])
    if throttled:
        # urls-configuration.html#urls-throttling gives the status (429); the body is not documented: this one
        # is the message of Lambda's TooManyRequestsException ("Rate Exceeded.")
        raise Answer(429, b'{"Message":"Rate Exceeded."}', f"throttled ({throttled})")
    event = _event(config, call)
    # urls-invocation.html: requestContext.requestId is "the ID of the invocation request"
    invocation = cloud.lambda_.invoke(
        config.function_name,
        json.dumps(event).encode(),
        config.qualifier,
        None,
        entry["seq"],
        request_id=call.request_id,
    )
    if invocation.function_error:
        raise Answer(
            502, b"Internal Server Error", f"the function failed: {invocation.error_type}", "text/plain"
        )
    if config.invoke_mode == "RESPONSE_STREAM":
        entry["reason"] = "RESPONSE_STREAM: a Python handler's answer is sent whole, as it returned it"
        return HttpResponse(200, [("Content-Type", "application/octet-stream")], invocation.payload or b"")
    try:
        return v2_response(invocation.payload)
    except MalformedResponse as malformed:
        raise Answer(
            502, b"Internal Server Error", f"the function's answer cannot be read: {malformed}", "text/plain"
        ) from None


def _event(config: FunctionUrl, call: Call) -> dict:
    event = v2_event(call)
    context = event["requestContext"]
    context.update(domainName=config.domain_name, domainPrefix=config.url_id, authentication=None)
    event["pathParameters"] = None
    event["stageVariables"] = None
    return event


def _cors(cors: dict | None) -> dict | None:
    """The URL's ``Cors`` (AllowOrigins, ...) in the shape ``apigateway.access`` reads (allowOrigins, ...)."""
    if not cors:
        return None
    return {key[0].lower() + key[1:]: value for key, value in cors.items()}


def _header_list(headers, domain_name: str, source_ip: str) -> list[tuple[str, str]]:
    """What the client sent, plus the headers Lambda adds (the request payload example of
    urls-invocation.html shows host and x-forwarded-proto / -port / -for)."""
    added = {
        "Host": domain_name,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-For": source_ip,
    }
    return wire.request_headers(headers, added)
