"""REST APIs' non-proxy integrations: ``AWS`` (a service action), ``MOCK``, ``HTTP`` and ``HTTP_PROXY``.

What API Gateway does with them, in order (developer guide pages named):

1. Request ``contentHandling`` (api-gateway-payload-encodings-workflow.html): ``CONVERT_TO_TEXT`` turns a binary
   payload (Content-Type among the API's binary media types) into base64 text, ``CONVERT_TO_BINARY`` decodes
   base64 text; unset passes it through.
2. The request template for the request's Content-Type (``application/json`` when none), else the passthrough
   behaviour (integration-passthrough-behaviors.html): ``WHEN_NO_MATCH`` passes the body on, ``NEVER`` answers
   415 for a type with no template, ``WHEN_NO_TEMPLATES`` passes only when there is no template at all.
3. The backend: an AWS action (``aws_call.py``), a Lambda function (a custom integration: the template's JSON is
   the event; selection patterns match a function error's ``errorMessage``), a mock (how-to-mock-integration.html: the request template's
   ``{"statusCode": N}`` is the status, none gives the default response), or an HTTP endpoint. The sandbox has no
   internet: an HTTP integration to an API of this account (``https://{api}.execute-api.{region}.amazonaws.com``)
   is served by this gateway, any other URL answers a 500 saying it is not simulated here.
4. The integration response whose ``selectionPattern`` matches the backend's status code, else the one without
   a pattern (api-gateway-integration-settings-integration-response.html); none is a 500 ("No match for output
   mapping"). Its ``contentHandling`` converts the body, its response template for the client's Accept type
   (else ``application/json``) maps it, and its ``responseParameters`` set the method response's headers from
   ``integration.response.header.X``, ``integration.response.multivalueheader.X``, ``integration.response.body``,
   ``integration.response.body.<JSONPath>``, ``context.X``, ``stageVariables.X`` or a quoted static value
   (request-response-data-mappings.html, api-gateway-parameter-mapping-sources.html).

``HTTP_PROXY`` passes the request through and the response back untouched (setup-http-integrations.html).
"""

from __future__ import annotations

import base64
import json
import re
from fnmatch import fnmatch
from typing import Any
from urllib.parse import urlencode, urlsplit

from labs.runtime.apigateway.access import Refused, internal_error
from labs.runtime.apigateway.aws_call import Backend, aws_call, method_parameter
from labs.runtime.apigateway.mapping_templates import MappingError, render
from labs.runtime.apigateway.proxy import Call, HttpResponse

__all__ = ["integration_failed", "not_simulated", "serve_http_api_proxy", "serve_rest_integration"]

_EXECUTE_API = re.compile(r"^https?://[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/|$)")
_LAMBDA_URI = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/")
_MAX_HOPS = 5  # an API whose HTTP integration calls itself would otherwise never answer


def not_simulated(call: Call, feature: str) -> Refused:
    """A 500 as AWS would answer a failing integration, whose body says what is not simulated."""
    refused = internal_error(call.api_type, f"valid on AWS, not simulated here: {feature}")
    refused.body = {"message": f"{refused.body['message']}: valid on AWS, not simulated here: {feature}"}
    return refused


def integration_failed(call: Call, detail: str) -> Refused:
    """A 500 whose body names what went wrong in the integration request (a student's template, usually)."""
    refused = internal_error(call.api_type, detail)
    refused.body = {"message": f"{refused.body['message']}: {detail}"}
    return refused


def serve_rest_integration(cloud: Any, call: Call, integration: Any, entry: dict) -> HttpResponse:
    """Serve ``call`` through a REST integration of type AWS, MOCK, HTTP or HTTP_PROXY."""
    kind = integration.integration_type
    if kind == "HTTP_PROXY":
        return _http_proxy(cloud, call, integration, entry)
    body = _request_body(call, integration.content_handling)
    body = _request_template(call, integration, body)
    if kind == "MOCK":
        backend = _mock(body)
    elif kind == "HTTP":
        backend = _http(cloud, call, integration, body, entry)
    elif _LAMBDA_URI.match(integration.uri or ""):
        backend = _lambda(cloud, call, integration, body, entry)
    else:
        backend = aws_call(cloud, call, integration, body, entry)
    return _integration_response(call, integration, backend)


def _lambda(cloud: Any, call: Call, integration: Any, body: bytes, entry: dict) -> Backend:
    """A Lambda custom (non-proxy) integration (getting-started-lambda-non-proxy-integration.html): the body
    the request template made is the event, the function's result the integration's body; a function error's
    ``errorMessage`` is what selection patterns match (handle-errors-in-lambda-integration.html)."""
    try:
        event = json.loads(body) if body.strip() else {}
    except ValueError:
        raise integration_failed(
            call, "a Lambda integration's event must be JSON: the request template made none"
        ) from None
    source = f"arn:aws:execute-api:{call.region}:{call.account_id}:{call.api_id}/{call.stage}/{call.method}{call.resource_path}"
    invocation = cloud.apigateway.call_function(
        call, integration.uri, integration.credentials, source, event, entry
    )
    if invocation.duration_ms > 29000:
        raise Refused(504, {"message": "Endpoint request timed out"}, "integration timeout")
    payload = invocation.payload or b"null"
    if invocation.function_error:
        error = invocation.payload_json() if invocation.payload else None
        message = str(error.get("errorMessage", "")) if isinstance(error, dict) else ""
        return Backend(200, [("Content-Type", "application/json")], payload, error_message=message)
    return Backend(200, [("Content-Type", "application/json")], payload)


def _render(template: str, body: str, call: Call) -> str:
    try:
        return render(template, body, call)
    except MappingError as error:
        raise internal_error("REST", str(error)) from None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _request_body(call: Call, content_handling: str | None) -> bytes:
    data = call.body or b""
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    binary = any(fnmatch(content_type, pattern.lower()) for pattern in call.binary_media_types)
    if content_handling == "CONVERT_TO_TEXT" and binary:
        return base64.b64encode(data)
    if content_handling == "CONVERT_TO_BINARY" and not binary:
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            raise integration_failed(
                call, "contentHandling CONVERT_TO_BINARY: the body is not base64"
            ) from None
    return data


def _request_template(call: Call, integration: Any, body: bytes) -> bytes:
    content_type = (call.header("content-type") or "application/json").split(";")[0].strip().lower()
    templates = integration.request_templates or {}
    behaviour = integration.passthrough_behaviour or "WHEN_NO_MATCH"
    if content_type in templates:
        return _render(templates[content_type], _text(body), call).encode()
    if behaviour == "NEVER" or (templates and behaviour == "WHEN_NO_TEMPLATES"):
        raise Refused(415, {"message": "Unsupported Media Type"}, f"no request template for {content_type}")
    return body


def _mock(body: bytes) -> Backend:
    """how-to-mock-integration.html: the status is the request template's ``statusCode``."""
    try:
        status = json.loads(body or b"{}").get("statusCode")
    except (ValueError, AttributeError):
        status = None
    return Backend(int(status) if isinstance(status, int) or str(status).isdigit() else None, [], b"")


def _target(call: Call, integration: Any) -> str:
    """The endpoint URL with ``{name}`` path parameters filled (integration.request.path.name, else the
    method's path parameter of that name) and mapped query string parameters added."""
    mapped = integration.request_parameters or {}

    def path_value(match: re.Match) -> str:
        source = mapped.get(f"integration.request.path.{match[1]}")
        value = method_parameter(call, source) if source else call.path_parameters.get(match[1])
        return str(value or "")

    url = re.sub(r"\{([\w.-]+)\+?\}", path_value, integration.uri or "")
    query = [
        (name.rsplit(".", 1)[-1], str(method_parameter(call, source) or ""))
        for name, source in mapped.items()
        if name.startswith("integration.request.querystring.")
    ]
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}" if query else url


def _forward(cloud: Any, call: Call, method: str, url: str, headers: list, body: bytes, entry: dict):
    if not _EXECUTE_API.match(url):
        host = urlsplit(url).hostname or url
        raise not_simulated(call, f"HTTP integrations to {host} (the sandbox has no internet)")
    hops = int(call.header("x-labs-hops") or 0) + 1
    if hops > _MAX_HOPS:
        raise integration_failed(
            call, f"HTTP integrations called APIs of this account {_MAX_HOPS} times in a row"
        )
    kept = [(n, v) for n, v in headers if n.lower() not in ("host", "x-labs-hops", "content-length")]
    try:
        return cloud.apigateway.http_request(method, url, [*kept, ("x-labs-hops", str(hops))], body)
    except (
        ValueError
    ) as error:  # an execute-api URL that names no API here: on AWS, a name that does not resolve
        raise integration_failed(call, f"HTTP integration: {error}") from None


def _http_proxy(cloud: Any, call: Call, integration: Any, entry: dict) -> HttpResponse:
    return serve_http_proxy(cloud, call, _target(call, integration), integration.http_method, entry)


def serve_http_api_proxy(cloud: Any, call: Call, integration: Any, entry: dict) -> HttpResponse:
    """An HTTP API's ``HTTP_PROXY`` integration (http-api-develop-integrations-http.html): ``{name}`` in the URI
    is the route's path parameter of that name (``{proxy}`` for ``{proxy+}``)."""
    url = re.sub(
        r"\{([\w.-]+)\+?\}", lambda m: call.path_parameters.get(m[1], ""), integration.integration_uri or ""
    )
    return serve_http_proxy(cloud, call, url, integration.integration_method, entry)


def serve_http_proxy(cloud: Any, call: Call, url: str, method: str | None, entry: dict) -> HttpResponse:
    """Pass the request to ``url`` and its answer back untouched (setup-http-integrations.html)."""
    if call.raw_query:
        url = f"{url}{'&' if '?' in url else '?'}{call.raw_query}"
    method = call.method if (method or "ANY") == "ANY" else method
    answer = _forward(cloud, call, method, url, call.headers, call.body or b"", entry)
    kept = [(n, v) for n, v in answer.header_list if n.lower() not in ("x-amzn-requestid", "apigw-requestid")]
    return HttpResponse(answer.status, kept, answer.body)


def _http(cloud: Any, call: Call, integration: Any, body: bytes, entry: dict) -> Backend:
    headers = [
        (name.rsplit(".", 1)[-1], str(method_parameter(call, source) or ""))
        for name, source in (integration.request_parameters or {}).items()
        if name.startswith("integration.request.header.")
    ]
    url = _target(call, integration)
    answer = _forward(cloud, call, integration.http_method or call.method, url, headers, body, entry)
    return Backend(answer.status, list(answer.header_list), answer.body)


def _integration_response(call: Call, integration: Any, backend: Backend) -> HttpResponse:
    responses = list((integration.integration_responses or {}).values())
    # what selection patterns match: the status code, or a Lambda function's errorMessage (a Lambda success
    # has nothing to match, so it takes the default response)
    status = "" if backend.status is None else str(backend.status)
    if backend.error_message is not None or _LAMBDA_URI.match(integration.uri or ""):
        status = backend.error_message or ""
    chosen = next(
        (
            r
            for r in responses
            if r.selection_pattern and status and _matches(call, r.selection_pattern, status)
        ),
        next((r for r in responses if not r.selection_pattern), None),
    )
    if chosen is None:
        reason = "Execution failed due to configuration error: No match for output mapping and no default output mapping"
        raise internal_error("REST", reason)
    body, content_type = backend.body, backend.header("content-type") or "application/json"
    if chosen.content_handling == "CONVERT_TO_TEXT" and not _is_text(body):
        body = base64.b64encode(body)
    elif chosen.content_handling == "CONVERT_TO_BINARY":
        try:
            body = base64.b64decode(body, validate=True)
        except ValueError:
            raise integration_failed(
                call, "contentHandling CONVERT_TO_BINARY: the response is not base64"
            ) from None
    templates = chosen.response_templates or {}
    accept = (call.header("accept") or "").split(",")[0].split(";")[0].strip().lower()
    key = accept if accept in templates else "application/json" if "application/json" in templates else None
    if key is None and templates:
        key = next(iter(templates))
    if key is not None and templates[key] and _is_text(body):
        body, content_type = _render(templates[key], _text(body), call).encode(), key
    elif key is not None:
        content_type = key
    headers = [("Content-Type", content_type)]
    for target, source in (chosen.response_parameters or {}).items():
        if not target.startswith("method.response.header."):
            raise integration_failed(
                call, f"response parameter {target}: only method.response.header.* exists"
            )
        value = _response_value(call, backend, source)
        if value is not None:
            name = target.removeprefix("method.response.header.")
            headers = [(n, v) for n, v in headers if n.lower() != name.lower()] + [(name, value)]
    if not str(chosen.status_code).isdigit():
        raise integration_failed(
            call, f"the integration response's statusCode {chosen.status_code!r} is no number"
        )
    return HttpResponse(int(chosen.status_code), headers, body)


def _matches(call: Call, pattern: str, status: str) -> bool:
    try:
        return re.fullmatch(pattern, status) is not None
    except re.error as error:
        raise integration_failed(
            call, f"the selection pattern {pattern!r} is not a regular expression: {error}"
        ) from None


def _is_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _response_value(call: Call, backend: Backend, source: str) -> str | None:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("integration.response.header."):
        return backend.header(source.removeprefix("integration.response.header."))
    if source.startswith("integration.response.multivalueheader."):
        values = backend.header_values(source.removeprefix("integration.response.multivalueheader."))
        return ",".join(values) if values else None
    if source == "integration.response.body":
        return _text(backend.body)
    if source.startswith("integration.response.body."):
        path = "$" + source.removeprefix("integration.response.body")
        try:
            value = json.loads(render(f"$input.json('{path}')", _text(backend.body), call))
        except (MappingError, ValueError):
            return None
        return value if isinstance(value, str) or value is None else json.dumps(value)
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        return _render(f"$!{source.replace('context.', 'context.', 1)}", "", call) or None
    raise integration_failed(call, f"response parameter source {source!r} is not one API Gateway maps")
