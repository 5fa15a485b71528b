"""API Gateway's data plane: calling REST APIs and HTTP APIs as an HTTP client would.

APIs are configured with ordinary boto3 calls (``apigateway``: rest APIs, resources, methods, integrations,
deployments, stages, authorizers, API keys, usage plans; ``apigatewayv2``: HTTP APIs, integrations, routes,
stages, authorizers), which moto stores. This module reads that configuration from moto's backends and
serves ``cloud.http_request(...)``, since AWS has no API for calling an API. Lambda proxy integrations only;
the payload formats are in ``proxy.py``.

Behaviour copied from AWS (developer guide pages named in each comment), in the order a request meets it:

1. The URL: ``https://{api}.execute-api.{region}.amazonaws.com/{stage}/{path}``. An unknown REST stage is
   403 Forbidden; an HTTP API serves its ``$default`` stage at the root and named stages under their name,
   an unknown one is 404. No REST resource and method: 403 "Missing Authentication Token"; no HTTP route
   (and no ``$default`` route): 404 "Not Found". Literal segments beat ``{param}``, which beats ``{proxy+}``;
   a method beats ``ANY``.
2. Throttling, Lambda authorizers, API keys and HTTP API CORS: ``access.py``; then REST stage caching
   (``caching.py``), which may answer without calling the integration.
3. The Lambda invocation, allowed by the function's resource policy for ``apigateway.amazonaws.com``
   (``lambda add-permission`` with ``aws:SourceArn`` ``arn:aws:execute-api:region:account:api/stage/
   METHOD/path``, the path as the resource or route has it) or by the integration's credentials role.
   Per Lambda's services-apigateway-errors.html a rejected invocation (no permission, no function,
   throttled) is 500 and a function error or malformed answer is 502, both ``{"message": "Internal server
   error"}``, on REST APIs; HTTP APIs answer 500 ``{"message": "Internal Server Error"}`` for all of them
   (http-api-troubleshooting-lambda.html). An integration slower than 29 s (REST) is 504, 30 s (HTTP) 503.

Every request is traced (``apigateway_request``) with its route, status and, when API Gateway answered
itself, the reason an execution log would give; invocations it caused point to it with ``cause``.
moto 5.2.5 drops a few settings, which this module restores from the host's own boto3 calls (handlers on
each host client, ``ApiGateway.install_hooks``): CreateRestApi's ``binaryMediaTypes``, UpdateRestApi's ``/binaryMediaTypes/<type>``
patch paths, PutIntegration's ``cacheKeyParameters`` (``caching.py``), and CreateApi's quick create (``Target``: AWS adds the integration, route and ``$default``
stage). moto has no UpdateMethod: give a method its authorizer or API key in ``put_method``.
REST integrations of type ``AWS``, ``MOCK``, ``HTTP`` and ``HTTP_PROXY`` are in ``rest_integrations.py`` (HTTP
ones only to APIs of this account: the sandbox has no internet), HTTP APIs' AWS service subtypes in
``service_integrations.py`` (HTTP APIs' ``HTTP_PROXY`` integrations likewise). Not simulated: JWT/Cognito/IAM
authorization, resource policies, gateway response customisation, custom domains, WebSocket APIs. Deployments are not snapshots: moto keeps no copy of the API per deployment, so a change is live
in every stage at once, without redeploying.
"""

from __future__ import annotations

import json
import re
import sys
from fnmatch import fnmatch
from urllib.parse import parse_qsl, unquote, urlsplit

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import lambda_backends

from labs.runtime.apigateway.access import (
    AccessControl,
    Refused,
    cors_headers,
    cors_preflight,
    internal_error,
    rest_backend,
)
from labs.runtime.apigateway.caching import StageCache, refuse_bad_ttl, restore_cache_key_parameters
from labs.runtime.apigateway.proxy import (
    Call,
    HttpResponse,
    MalformedResponse,
    v1_event,
    v1_response,
    v2_event,
    v2_response,
)
from labs.runtime.apigateway.rest_integrations import (
    not_simulated,
    serve_http_api_proxy,
    serve_rest_integration,
)
from labs.runtime.apigateway.service_integrations import serve_subtype
from labs.runtime.core import wire
from labs.runtime.iam.policy import evaluate

__all__ = ["ApiGateway", "HttpResponse"]

_HOST = re.compile(r"^(?P<api>[A-Za-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_LAMBDA_PATH = re.compile(
    r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(?P<arn>.+)/invocations$"
)
INTEGRATION_TIMEOUT_MS = {"REST": 29000, "HTTP": 30000}
_NOT_SIMULATED_AUTH = {
    "COGNITO_USER_POOLS": "Cognito user pool authorizers",
    "AWS_IAM": "IAM authorization (requests signed with SigV4)",
    "JWT": "JWT authorizers",
}


def _http_backend(account_id: str, region: str):
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[account_id][region]


def _match(template: str, path: str) -> tuple[tuple, dict[str, str]] | None:
    """Match a resource or route path against a request path: (specificity, path parameters) or None."""
    pattern = [part for part in template.split("/") if part]
    segments = [part for part in path.split("/") if part]
    score, parameters = [], {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            if index != len(pattern) - 1 or index >= len(segments):
                return None
            parameters[part[1:-2]] = unquote("/".join(segments[index:]))
            return (*score, 0), parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = unquote(segments[index])
            score.append(1)
        elif part == segments[index]:
            score.append(2)
        else:
            return None
    return (tuple(score), parameters) if len(pattern) == len(segments) else None


class ApiGateway:
    """Serves requests to one account's REST and HTTP APIs."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.access = AccessControl(cloud.clock, self.call_function)
        self.cache = StageCache(cloud.clock)  # REST stage caches (caching.py)

    # -- what moto 5.2.5 does not keep, restored from the host's own calls ------------------------------
    @staticmethod
    def install_hooks(events, cloud_of) -> None:
        """Register on one client's ``events`` the handlers below, for the account ``cloud_of()`` returns
        when the call is made. Per client, never on the boto3 session that Clouds of a thread share: there
        every Cloud would add handlers for good, kept alive with its account by the session."""
        for operation in (
            "apigateway.CreateRestApi",
            "apigateway.UpdateRestApi",
            "apigateway.PutIntegration",
            "apigatewayv2.CreateApi",
        ):
            events.register(f"before-parameter-build.{operation}", ApiGateway._before_control_call)
        events.register("before-call.apigateway.UpdateStage", refuse_bad_ttl)
        events.register(
            "after-call.apigateway.PutIntegration",
            lambda **kwargs: restore_cache_key_parameters(cloud_of(), **kwargs),
        )
        events.register(
            "after-call.apigateway.CreateRestApi",
            lambda **kwargs: cloud_of().apigateway._after_create_rest_api(**kwargs),
        )
        events.register(
            "after-call.apigatewayv2.CreateApi",
            lambda **kwargs: cloud_of().apigateway._after_create_api(**kwargs),
        )

    @staticmethod
    def _before_control_call(params: dict, context: dict, **_: object) -> None:
        context["labs_params"] = params
        for operation in params.get("patchOperations") or []:
            # AWS names the media type in the path (/binaryMediaTypes/image~1png); moto reads only value
            if str(operation.get("path", "")).startswith("/binaryMediaTypes/") and not operation.get("value"):
                operation["value"] = operation["path"].split("/", 2)[2].replace("~1", "/").replace("~0", "~")

    def _after_create_rest_api(self, parsed: dict, context: dict, **_: object) -> None:
        types = (context.get("labs_params") or {}).get("binaryMediaTypes")
        api = rest_backend(self.cloud.account_id, self.cloud.region).apis.get(parsed.get("id"))
        if types and api is not None:  # moto's CreateRestApi drops binaryMediaTypes
            api.binaryMediaTypes = list(types)

    def _after_create_api(self, parsed: dict, context: dict, **_: object) -> None:
        """Quick create (CreateApi with Target): AWS adds the integration, a route and a $default stage."""
        params = context.get("labs_params") or {}
        if not params.get("Target") or "ApiId" not in parsed:
            return
        client = self.cloud.client("apigatewayv2")
        api_id = parsed["ApiId"]
        integration = client.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=params["Target"],
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        route_key = params.get("RouteKey") or "$default"
        client.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}")
        client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    # -- the client's side ------------------------------------------------------------------------------
    def http_request(
        self,
        method: str,
        url: str,
        headers: dict[str, str | list[str]] | list[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        *,
        api_id: str | None = None,
        stage: str | None = None,
        source_ip: str = "198.51.100.7",
    ) -> HttpResponse:
        """Send one request. ``url`` is the invoke URL or a path; with a path, give ``api_id``, and either
        ``stage`` (the path then starts after it) or a path whose first segment is the stage (HTTP APIs:
        the ``$default`` stage unless that segment names another). Header values may be lists (repeated
        headers); the query string may repeat names. Raises ``ValueError`` for a URL that names no API of
        this account and Region (on AWS, the name would not resolve)."""
        cloud = self.cloud
        api_id, path, raw_query = self._target(url, api_id)
        rest = rest_backend(cloud.account_id, cloud.region).apis.get(api_id)
        http = _http_backend(cloud.account_id, cloud.region).apis.get(api_id)
        if rest is None and (http is None or http.protocol_type != "HTTP"):
            raise ValueError(
                f"{url}: no REST or HTTP API {api_id} in account {cloud.account_id} ({cloud.region})"
            )
        api_type = "REST" if rest is not None else "HTTP"
        path = "/" + path.lstrip("/")
        if stage is None:
            first, _, after = path[1:].partition("/")
            named = api_type == "REST" or (first in http.stages and first != "$default")
            stage, path = (first, "/" + after) if named else ("$default", path)
        header_list = self._header_list(headers, api_id, cloud.region)
        call = Call(
            api_type=api_type,
            api_id=api_id,
            account_id=cloud.account_id,
            region=cloud.region,
            stage=stage,
            method=method.upper(),
            path=path,
            raw_query=raw_query,
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=header_list,
            body=body.encode("utf-8") if isinstance(body, str) else body,
            source_ip=source_ip,
            request_id=cloud.new_request_id(),
            time_s=cloud.clock(),
        )
        entry = cloud.trace.apigateway_request(
            call.time_s,
            cause=None,
            api_id=api_id,
            api_type=api_type,
            stage=stage,
            method=call.method,
            path=call.stage_path,
        )
        try:
            serve = self._serve_rest if rest is not None else self._serve_http
            response = serve(call, rest if rest is not None else http, entry)
            reason = entry.get("reason", "")
        except Refused as refused:
            headers = [("Content-Type", "application/json")]
            if api_type == "REST" and refused.error_type:
                headers.append(("x-amzn-ErrorType", refused.error_type))
            response = HttpResponse(refused.status, headers, json.dumps(refused.body).encode())
            reason = refused.reason
        id_header = "x-amzn-RequestId" if api_type == "REST" else "apigw-requestid"
        response.header_list.append((id_header, call.request_id))
        entry.update(
            route=call.route_key or call.resource_path or None,
            status=response.status,
            reason=reason,
            request_id=call.request_id,
        )
        return response

    def _target(self, url: str, api_id: str | None) -> tuple[str, str, str]:
        """(api id, path, raw query string) of an invoke URL, or of a path with ``api_id`` given."""
        path, raw_query = url, ""
        if url.startswith(("https://", "http://")):
            parts = urlsplit(url)
            host = _HOST.match(parts.hostname or "")
            if host is None or host["region"] != self.cloud.region:
                raise ValueError(f"{url}: not an execute-api URL of Region {self.cloud.region}")
            if api_id is not None and api_id != host["api"]:
                raise ValueError(f"{url}: the URL names API {host['api']}, not {api_id}")
            api_id, path, raw_query = host["api"], parts.path or "/", parts.query
        elif "?" in url:
            path, raw_query = url.split("?", 1)
        if not api_id:
            raise ValueError(f"{url}: give the invoke URL, or api_id= with a path")
        return api_id, path, raw_query

    @staticmethod
    def _header_list(headers, api_id: str, region: str) -> list[tuple[str, str]]:
        added = {
            "Host": f"{api_id}.execute-api.{region}.amazonaws.com",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "443",
        }
        return wire.request_headers(headers, added)

    # -- REST APIs ----------------------------------------------------------------------------------------
    def _serve_rest(self, call: Call, api, entry: dict) -> HttpResponse:
        stage = api.stages.get(call.stage)
        if stage is None or not call.stage:
            raise Refused(403, {"message": "Forbidden"}, f"no stage {call.stage!r}", "ForbiddenException")
        best = None
        for resource in api.resources.values():
            matched = _match(resource.get_path(), call.path)
            method = resource.resource_methods.get(call.method) or resource.resource_methods.get("ANY")
            if matched and method and (best is None or matched[0] > best[0]):
                best = (matched[0], resource, method, matched[1])
        if best is None:
            message = {"message": "Missing Authentication Token"}
            reason = f"no resource and method match {call.method} {call.path}"
            raise Refused(403, message, reason, "MissingAuthenticationTokenException")
        _, resource, method, call.path_parameters = best
        call.resource_path, call.resource_id = resource.get_path(), resource.id
        call.stage_variables = dict(stage.variables or {})
        call.binary_media_types = list(api.binaryMediaTypes or [])
        arn = f"arn:aws:execute-api:{call.region}:{call.account_id}:{call.api_id}/{call.stage}/{call.method}"
        settings = stage.method_settings or {}
        escaped = f"{call.resource_path.replace('/', '~1')}/{method.http_method}"
        limits = settings.get(escaped) or settings.get("*/*") or {}
        self.access.throttle(
            call, ("stage", escaped), limits.get("throttlingRateLimit"), limits.get("throttlingBurstLimit")
        )
        usage_key = None
        if method.authorization_type == "CUSTOM":
            usage_key = self.access.rest_authorize(call, api, method.authorizer_id, arn + call.path, entry)
        elif method.authorization_type in _NOT_SIMULATED_AUTH:  # never let a request through unchecked
            raise not_simulated(call, _NOT_SIMULATED_AUTH[method.authorization_type])
        if method.api_key_required:
            value = usage_key if api.api_key_source == "AUTHORIZER" else call.header("x-api-key")
            self.access.check_api_key(call, value, f"{call.resource_path}/{method.http_method}")
        cache = self.cache.lookup(call, stage, method, entry)
        if cache.hit is not None:  # answered from the stage's cache: no integration call
            return cache.hit
        integration = method.method_integration
        if integration is None:
            raise internal_error("REST", f"{method.http_method} {call.resource_path} has no integration")
        if integration.integration_type != "AWS_PROXY":  # AWS, MOCK, HTTP, HTTP_PROXY: rest_integrations.py
            return cache.keep(serve_rest_integration(self.cloud, call, integration, entry))
        accept = (call.header("accept") or "").split(",")[0].split(";")[0].strip().lower()
        binary = bool(accept) and any(fnmatch(accept, p.lower()) for p in call.binary_media_types)
        return cache.keep(
            self._invoke(
                call,
                integration.integration_type,
                integration.uri,
                integration.credentials,
                "1.0",
                arn + call.resource_path,
                entry,
                binary,
            )
        )

    # -- HTTP APIs ----------------------------------------------------------------------------------------
    def _serve_http(self, call: Call, api, entry: dict) -> HttpResponse:
        stage = api.stages.get(call.stage)
        if stage is None:
            raise Refused(404, {"message": "Not Found"}, f"no stage {call.stage!r}")
        preflight = cors_preflight(call, api.cors_configuration)
        if preflight is not None:
            entry["reason"] = "CORS preflight answered by API Gateway"
            return preflight
        best, best_rank = None, None
        for route in api.routes.values():
            # rank: any route beats $default, then the more specific path, then a method over ANY
            if route.route_key == "$default":
                rank, parameters = (False, (), 0), {}
            else:
                route_method, _, route_path = route.route_key.partition(" ")
                matched = _match(route_path, call.path)
                if not matched or route_method not in (call.method, "ANY"):
                    continue
                rank, parameters = (True, matched[0], int(route_method == call.method)), matched[1]
            if best_rank is None or rank > best_rank:
                best, best_rank = (route, parameters), rank
        if best is None:
            raise Refused(404, {"message": "Not Found"}, f"no route matches {call.method} {call.path}")
        route, call.path_parameters = best
        call.route_key, call.resource_id = route.route_key, route.route_id
        call.resource_path = route.route_key.partition(" ")[2] or route.route_key
        call.stage_variables = dict(stage.stage_variables or {})
        settings = {
            **(stage.default_route_settings or {}),
            **(stage.route_settings or {}).get(route.route_key, {}),
        }
        self.access.throttle(
            call,
            ("route", route.route_key),
            settings.get("throttlingRateLimit"),
            settings.get("throttlingBurstLimit"),
        )
        arn = f"arn:aws:execute-api:{call.region}:{call.account_id}:{call.api_id}/{call.stage}"
        if route.authorization_type in _NOT_SIMULATED_AUTH:
            raise not_simulated(call, _NOT_SIMULATED_AUTH[route.authorization_type])
        if route.authorization_type == "CUSTOM":
            self.access.http_authorize(
                call, api, route.authorizer_id, f"{arn}/{call.method}{call.path}", entry
            )
        integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
        if integration is None:
            raise internal_error("HTTP", f"route {route.route_key} has no integration target")
        source = (
            f"{arn}/$default" if route.route_key == "$default" else f"{arn}/{call.method}{call.resource_path}"
        )
        if integration.integration_subtype:  # a first-class AWS service integration
            return serve_subtype(self.cloud, call, integration, entry)
        version = integration.payload_format_version or "2.0"
        if integration.integration_type == "HTTP_PROXY":  # to an API of this account, or a 500 saying why not
            return serve_http_api_proxy(self.cloud, call, integration, entry)
        response = self._invoke(
            call,
            integration.integration_type,
            integration.integration_uri,
            integration.credentials_arn,
            version,
            source,
            entry,
        )
        if api.cors_configuration:  # the configured CORS headers replace the integration's own
            kept = [(n, v) for n, v in response.header_list if not n.lower().startswith("access-control-")]
            response.header_list[:] = kept + cors_headers(call, api.cors_configuration)
        return response

    # -- shared steps -------------------------------------------------------------------------------------
    def _function(self, call: Call, uri: str):
        """(function, name, qualifier) for a Lambda integration URI, with ``${stageVariables.x}`` replaced."""
        uri = re.sub(r"\$\{stageVariables\.(\w+)\}", lambda m: call.stage_variables.get(m[1], ""), uri or "")
        matched = _LAMBDA_PATH.match(uri)
        arn = matched["arn"] if matched else uri
        if ":function:" not in arn:
            raise internal_error(call.api_type, f"integration URI {uri!r} names no Lambda function")
        name, _, qualifier = arn.split(":function:", 1)[1].partition(":")
        try:
            return self.cloud.lambda_.get_function(name, qualifier or None), name, qualifier or None
        except UnknownFunctionException:
            raise internal_error(call.api_type, f"Lambda function {arn} does not exist") from None

    def _may_invoke(self, call: Call, function, credentials: str | None, source_arn: str) -> None:
        """API Gateway may invoke when the integration's role allows it, or else the function's resource
        policy allows ``apigateway.amazonaws.com`` for this source ARN."""
        base_arn = f"arn:aws:lambda:{call.region}:{call.account_id}:function:{function.function_name}"
        if credentials and ":role/" in credentials:
            allowed = self.cloud.role_allows(credentials, "lambda:InvokeFunction", base_arn).allowed
        else:
            try:
                wire_format = lambda_backends[call.account_id][call.region].get_policy(function.function_name)
                document = json.loads(json.loads(wire_format)["Policy"])
            except Exception:  # noqa: BLE001 - moto raises its own error when the function has no policy
                document = {"Statement": []}
            context = {"aws:SourceArn": source_arn, "aws:SourceAccount": call.account_id}
            caller = {"service": "apigateway.amazonaws.com", "account": call.account_id}
            allowed = evaluate([document], "lambda:InvokeFunction", base_arn, context, caller).allowed
        if not allowed:
            reason = f"Invalid permissions on Lambda function {function.function_name}: no permission for {source_arn}"
            raise internal_error(call.api_type, reason)

    def call_function(self, call: Call, uri: str, credentials, source_arn: str, payload: dict, entry: dict):
        function, name, qualifier = self._function(call, uri)
        self._may_invoke(call, function, credentials, source_arn)
        reason = self.cloud.lambda_.concurrency.throttled(function, entry["seq"])
        if reason:
            raise internal_error(call.api_type, f"Lambda throttled {function.function_name} ({reason})")
        return self.cloud.lambda_.invoke(name, json.dumps(payload).encode(), qualifier, None, entry["seq"])

    def _invoke(self, call, kind, uri, credentials, version, source_arn, entry, binary=False) -> HttpResponse:
        if kind != "AWS_PROXY":
            raise not_simulated(call, f"{call.api_type} API integrations of type {kind}")
        event = v1_event(call) if version == "1.0" else v2_event(call)
        invocation = self.call_function(call, uri, credentials, source_arn, event, entry)
        bad_gateway = 502 if call.api_type == "REST" else 500
        if invocation.function_error:
            raise internal_error(call.api_type, f"the function failed: {invocation.error_type}", bad_gateway)
        if invocation.duration_ms > INTEGRATION_TIMEOUT_MS[call.api_type]:
            if call.api_type == "REST":
                raise Refused(504, {"message": "Endpoint request timed out"}, "integration timeout")
            raise Refused(503, {"message": "Service Unavailable"}, "integration timeout")
        try:
            return (
                v1_response(invocation.payload, binary)
                if version == "1.0"
                else v2_response(invocation.payload)
            )
        except MalformedResponse as malformed:
            raise internal_error(
                call.api_type, f"Malformed Lambda proxy response: {malformed}", bad_gateway
            ) from None

    def close(self) -> None:
        """Forget throttle buckets, quotas and cached authorizer answers, and unregister the URL callbacks
        moto adds for every stage (kept globally by moto, they would keep this account's APIs alive)."""
        self.access.clear()
        self.cache.clear()
        if "moto.apigateway.models" not in sys.modules:
            return
        from moto.core.models import responses_mock

        apis = set(rest_backend(self.cloud.account_id, self.cloud.region).apis.values())
        for registered in list(responses_mock.registered()):
            if getattr(getattr(registered, "callback", None), "__self__", None) in apis:
                responses_mock.remove(registered)
