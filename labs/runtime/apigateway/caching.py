"""REST API stage caching: API Gateway answering a request from its cache instead of calling the integration.

What AWS documents (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html)
and this module copies, on the simulated clock:

- A stage caches only when its cache cluster is on (``cacheClusterEnabled``; ``CacheClusterEnabled`` and
  ``CacheClusterSize`` in CloudFormation and SAM) and the method's settings turn caching on
  (``caching/enabled``, ``MethodSettings: [{CachingEnabled: true}]``). The size changes nothing here.
- "When you enable caching for a stage, only GET methods have caching enabled by default": the stage-wide
  settings (``*/*``) cache GET methods only; another method caches when its own setting overrides them.
- An entry lives ``caching/ttlInSeconds`` (``CacheTtlInSeconds``): 300 by default, at most 3600; 0 means
  no caching. A response larger than 1,048,576 bytes is not cached.
- The cache key: the stage, the method, the integration's cache namespace (its resource by default) and the
  values of its ``cacheKeyParameters`` (``method.request.querystring.x``, ``.header.x``, ``.path.x``).
  Anything else (another query string, another path parameter value) does not change the key, so it
  gets the cached answer: declare what varies.
- A client invalidates its entry with ``Cache-Control: max-age=0``. With
  ``requireAuthorizationForCacheControl`` (the default) only a caller with ``execute-api:InvalidateCache``
  may; IAM-signed callers are not simulated, so every caller here is unauthorized, and
  ``unauthorizedCacheControlHeaderStrategy`` decides: ``FAIL_WITH_403``, ``SUCCEED_WITH_RESPONSE_HEADER``
  (the default: the header is ignored and a ``Warning`` header says so) or
  ``SUCCEED_WITHOUT_RESPONSE_HEADER`` (ignored silently).
- Throttling, authorizers, API keys and usage plans run first (the method request; AWS describes the cache
  as answering instead of the call to the endpoint), so here a cached answer still counts against a key's
  quota; AWS's pages do not state that count either way.
- Answers API Gateway makes itself (403, 429, 5xx) are never cached; what the integration answered is,
  whatever its status.

The request's trace record says what the cache did (``cache``: ``hit``, ``miss``, ``invalidated`` or
``ignored``); a hit causes no invocation. Caches belong to one ``ApiGateway`` (one account) and end with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse

from labs.runtime.apigateway.access import Refused, rest_backend
from labs.runtime.apigateway.proxy import Call, HttpResponse

__all__ = [
    "StageCache",
    "refuse_bad_ttl",
    "restore_cache_key_parameters",
    "stage_setting_patches",
    "ttl_problem",
]

DEFAULT_TTL_S = 300
MAX_TTL_S = 3600
MAX_CACHED_BYTES = 1_048_576
UNAUTHORIZED_WARNING = '199 "Cache-Control headers were ignored because the caller was unauthorized."'


@dataclass
class Lookup:
    """One request's dealing with the cache: ``hit`` is the cached answer, if any; ``keep`` stores what the
    integration answered (a no-op when the method does not cache) and returns it."""

    hit: HttpResponse | None = None
    keep: Callable[[HttpResponse], HttpResponse] = field(default=lambda response: response)


class StageCache:
    """The cached answers of one account's REST API stages, keyed as AWS keys them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[tuple, tuple[float, HttpResponse]] = {}  # key -> (expires at, answer)

    def clear(self) -> None:
        self._entries.clear()

    @staticmethod
    def settings(stage, resource_path: str, http_method: str) -> dict | None:
        """The caching settings that apply to a method, or None when it does not cache."""
        if not getattr(stage, "cache_cluster_enabled", False):
            return None
        all_settings = stage.method_settings or {}
        own = all_settings.get(f"{resource_path.replace('/', '~1')}/{http_method}")
        chosen = own if own is not None else all_settings.get("*/*")
        if not chosen or not chosen.get("cachingEnabled"):
            return None
        if own is None and http_method != "GET":  # stage-wide caching covers GET methods only
            return None
        return chosen if int(chosen.get("cacheTtlInSeconds", DEFAULT_TTL_S)) > 0 else None  # 0: caching off

    def lookup(self, call: Call, stage, method, entry: dict) -> Lookup:
        """Answer from the cache, or say how to keep the integration's answer. Raises ``Refused`` (403) for
        an unauthorized ``Cache-Control: max-age=0`` under ``FAIL_WITH_403``."""
        settings = self.settings(stage, call.resource_path, method.http_method)
        if settings is None:
            return Lookup()
        integration = method.method_integration
        key = (call.api_id, call.stage, method.http_method, self._namespace(call, integration))
        key += tuple((name, self._value(call, name)) for name in self._key_parameters(integration))
        warning = self._invalidation(call, settings, entry)
        now = self._clock()
        cached = self._entries.get(key)
        if entry.get("cache") != "invalidated" and cached is not None and cached[0] > now:
            entry.setdefault("cache", "hit")
            answer = cached[1]
            headers = list(answer.header_list) + ([("Warning", warning)] if warning else [])
            return Lookup(hit=HttpResponse(answer.status, headers, answer.body))
        entry.setdefault("cache", "miss")
        ttl = int(settings.get("cacheTtlInSeconds", DEFAULT_TTL_S))

        def keep(response: HttpResponse) -> HttpResponse:
            if len(response.body) <= MAX_CACHED_BYTES:
                self._entries[key] = (
                    now + ttl,
                    HttpResponse(response.status, list(response.header_list), response.body),
                )
            if warning:
                response.header_list.append(("Warning", warning))
            return response

        return Lookup(keep=keep)

    @staticmethod
    def _invalidation(call: Call, settings: dict, entry: dict) -> str | None:
        """Handle ``Cache-Control: max-age=0``: mark the entry invalidated, or apply the strategy for an
        unauthorized caller; returns the Warning header to add, if any."""
        directives = [d.strip().lower() for d in (call.header("cache-control") or "").split(",")]
        if "max-age=0" not in directives:
            return None
        if not settings.get("requireAuthorizationForCacheControl", True):
            entry["cache"] = "invalidated"
            return None
        strategy = settings.get("unauthorizedCacheControlHeaderStrategy") or "SUCCEED_WITH_RESPONSE_HEADER"
        reason = "Cache-Control: max-age=0 from a caller without execute-api:InvalidateCache"
        if strategy == "FAIL_WITH_403":
            raise Refused(403, {"message": "Forbidden"}, reason, "AccessDeniedException")
        entry["cache"] = "ignored"
        entry["reason"] = f"{reason}: header ignored ({strategy})"
        return UNAUTHORIZED_WARNING if strategy == "SUCCEED_WITH_RESPONSE_HEADER" else None

    @staticmethod
    def _namespace(call: Call, integration) -> str:
        return str(getattr(integration, "cache_namespace", None) or call.resource_id)

    @staticmethod
    def _key_parameters(integration) -> list[str]:
        return sorted(getattr(integration, "cache_key_parameters", None) or [])

    @staticmethod
    def _value(call: Call, name: str) -> str | None:
        """The request's value of a cache key parameter (``method.request.<where>.<name>``)."""
        parts = name.split(".", 3)
        if len(parts) != 4 or parts[:2] != ["method", "request"]:
            return None
        where, wanted = parts[2], parts[3]
        if where == "querystring":
            values = [value for key, value in call.query if key == wanted]
            return ",".join(values) if values else None
        if where == "header":
            return call.header(wanted)
        if where == "path":
            return (call.path_parameters or {}).get(wanted)
        return None


def restore_cache_key_parameters(cloud, parsed: dict, context: dict, **_: object) -> None:
    """After the host's PutIntegration: moto 5.2.5 drops ``cacheKeyParameters``; keep them on its integration
    (and in the answer) as API Gateway does."""
    params = context.get("labs_params") or {}
    names = params.get("cacheKeyParameters")
    if not names:
        return
    api = rest_backend(cloud.account_id, cloud.region).apis.get(params.get("restApiId"))
    resource = api.resources.get(params.get("resourceId")) if api is not None else None
    method = resource.resource_methods.get(params.get("httpMethod")) if resource is not None else None
    if method is not None and method.method_integration is not None:
        method.method_integration.cache_key_parameters = list(names)
        parsed["cacheKeyParameters"] = list(names)


# AWS::ApiGateway::Stage MethodSetting property -> the UpdateStage patch path's last part
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-apigateway-stage-methodsetting.html)
_METHOD_SETTINGS = {
    "CachingEnabled": "caching/enabled",
    "CacheTtlInSeconds": "caching/ttlInSeconds",
    "CacheDataEncrypted": "caching/dataEncrypted",
    "ThrottlingRateLimit": "throttling/rateLimit",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "MetricsEnabled": "metrics/enabled",
}


def stage_setting_patches(props: dict) -> list[dict]:
    """UpdateStage patch operations for a CloudFormation stage's cache cluster and ``MethodSettings``
    (``ResourcePath`` "/items" becomes "~1items"; "/*" with ``HttpMethod`` "*" is every method)."""
    patches = []
    if "CacheClusterEnabled" in props:
        enabled = str(props["CacheClusterEnabled"]).lower()
        patches.append({"op": "replace", "path": "/cacheClusterEnabled", "value": enabled})
    if "CacheClusterSize" in props:
        patches.append(
            {"op": "replace", "path": "/cacheClusterSize", "value": str(props["CacheClusterSize"])}
        )
    for setting in props.get("MethodSettings") or []:
        resource = str(setting.get("ResourcePath", "/*"))
        resource = "*" if resource == "/*" else resource.replace("~", "~0").replace("/", "~1")
        method = str(setting.get("HttpMethod", "*"))
        for name, path in _METHOD_SETTINGS.items():
            if name in setting:
                value = setting[name]
                value = str(value).lower() if isinstance(value, bool) else str(value)
                patches.append({"op": "replace", "path": f"/{resource}/{method}/{path}", "value": value})
    return patches


def ttl_problem(request: dict | None) -> str | None:
    """Why an UpdateStage request's cache TTL cannot be taken (AWS: at most 3600 seconds), or None."""
    for operation in (request or {}).get("patchOperations") or []:
        path = str(operation.get("path", ""))
        if not path.endswith("/caching/ttlInSeconds"):
            continue
        value = operation.get("value")
        try:
            ttl = int(str(value))
        except ValueError:
            return f"{path}: the cache TTL must be a whole number of seconds, not {value!r}"
        if not 0 <= ttl <= MAX_TTL_S:
            return f"{path}: the cache TTL must be from 0 to {MAX_TTL_S} seconds, not {ttl}"
    return None


def refuse_bad_ttl(params: dict, **_: object):
    """``before-call`` handler for the host's UpdateStage: answer 400 BadRequestException for a TTL AWS
    refuses, before moto stores anything (moto would store it, or crash on a value that is not a number)."""
    try:
        request = json.loads(params.get("body") or b"{}")
    except ValueError:
        return None
    problem = ttl_problem(request if isinstance(request, dict) else None)
    if problem is None:
        return None
    error = {
        "Error": {"Code": "BadRequestException", "Message": problem},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return AWSResponse(params.get("url", ""), 400, {}, None), error
