"""Who may call an API, and how often: throttling, API keys with usage plans, and Lambda authorizers.

Used by ``gateway.py`` for every request, in this order (behaviour copied from the API Gateway developer
guide pages named below):

- Throttling (api-gateway-request-throttling.html, http-api-throttling.html) with token buckets on the
  simulated clock: requests at one instant spend the burst, and the rate refills it as the clock moves.
  The account's limit (10,000 requests per second, burst 5,000) applies first, then the stage's per-method
  limits (REST ``methodSettings``, HTTP ``defaultRouteSettings`` / ``routeSettings``): 429 "Too Many
  Requests".
- Lambda authorizers (apigateway-use-lambda-authorizer.html, http-api-lambda-authorizer.html): a missing
  identity source is 401 "Unauthorized" without calling the function (for a REST REQUEST authorizer only
  when caching is on, as AWS requires identity sources only then), and so is a TOKEN authorizer that raises
  ``Exception("Unauthorized")``. A REST authorizer's policy is evaluated against the method ARN: an explicit
  deny or no allow is 403 with AWS's two messages. An HTTP API's simple response ``isAuthorized: false`` is
  403 "Forbidden". Answers are cached per identity for the TTL (REST default 300 s, HTTP 0), and a cached
  policy is evaluated against the next request's ARN, so a policy naming one path denies the next path
  within the TTL, AWS's well-known surprise with ``{proxy+}`` resources. A failing authorizer is 500.
- REST API keys (api-gateway-api-usage-plans.html): with ``apiKeyRequired``, the ``x-api-key`` header (or
  the authorizer's ``usageIdentifierKey`` when the API's key source is AUTHORIZER) must be an enabled key in
  a usage plan of this stage, else 403 "Forbidden". The plan's quota gives 429 "Limit Exceeded" (periods
  are UTC days, weeks or calendar months; ``offset`` is ignored), its throttle (per key, or per method in
  ``apiStages[].throttle``) 429 "Too Many Requests".
- CORS on HTTP APIs (http-api-cors.html): with a ``CorsConfiguration``, API Gateway answers preflight
  ``OPTIONS`` requests itself (204, before routes and authorizers), and replaces the CORS headers of an
  integration's response with the configured ones, for requests whose ``Origin`` is allowed.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable

from labs.runtime.apigateway.proxy import Call, HttpResponse, v1_event, v2_event
from labs.runtime.iam.policy import evaluate

__all__ = [
    "ACCOUNT_BURST",
    "ACCOUNT_RATE",
    "AccessControl",
    "Refused",
    "cors_headers",
    "cors_preflight",
    "internal_error",
    "rest_backend",
]

ACCOUNT_RATE, ACCOUNT_BURST = 10000.0, 5000  # requests per second and bucket size, per account and Region
_QUOTA_PERIOD_S = {"DAY": 86400, "WEEK": 7 * 86400}


class Refused(Exception):
    """API Gateway answers the request itself: ``status`` and ``body`` for the client, ``reason`` for the
    trace (what an execution log would say)."""

    def __init__(self, status: int, body: dict, reason: str, error_type: str = "") -> None:
        super().__init__(reason)
        self.status, self.body, self.reason, self.error_type = status, body, reason, error_type


def internal_error(api_type: str, reason: str, status: int = 500) -> Refused:
    """The generic 5xx answer: REST APIs and HTTP APIs word it differently."""
    message = "Internal server error" if api_type == "REST" else "Internal Server Error"
    return Refused(status, {"message": message}, reason, "InternalServerErrorException")


def rest_backend(account_id: str, region: str):
    # imported on first use: moto's API Gateway models take ~0.3 s to import, and most Clouds never need them
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[account_id][region]


def _policy_decision(call: Call, policy: dict, arn: str):
    """The authorizer's policy evaluated for ``execute-api:Invoke`` on ``arn``; a malformed one is a 500."""
    try:
        return evaluate([policy], "execute-api:Invoke", arn)
    except (AttributeError, TypeError, ValueError):
        body = {"message": None} if call.api_type == "REST" else {"message": "Internal Server Error"}
        raise Refused(500, body, "the authorizer's policyDocument is malformed") from None


def cors_headers(call: Call, cors: dict | None, preflight: bool = False) -> list[tuple[str, str]]:
    """The CORS headers an HTTP API's configuration gives a request (none when its Origin is not allowed)."""
    origin = call.header("origin")
    allowed = (cors or {}).get("allowOrigins") or []
    if not cors or not origin or ("*" not in allowed and origin not in allowed):
        return []
    headers = [("Access-Control-Allow-Origin", "*" if "*" in allowed else origin)]
    if cors.get("allowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    lists = ("allowMethods", "allowHeaders") if preflight else ("exposeHeaders",)
    for key in lists:
        if cors.get(key):
            name = {"allowMethods": "Methods", "allowHeaders": "Headers", "exposeHeaders": "Expose-Headers"}[
                key
            ]
            prefix = "Access-Control-" if key == "exposeHeaders" else "Access-Control-Allow-"
            headers.append((prefix + name, ",".join(cors[key])))
    if preflight and cors.get("maxAge") is not None:
        headers.append(("Access-Control-Max-Age", str(cors["maxAge"])))
    return headers


def cors_preflight(call: Call, cors: dict | None) -> HttpResponse | None:
    """API Gateway's own answer to a preflight request, or None when this is not one (or CORS is off)."""
    if not cors or call.method != "OPTIONS" or not call.header("origin"):
        return None
    if not call.header("access-control-request-method"):
        return None
    return HttpResponse(204, cors_headers(call, cors, preflight=True), b"")


class _TokenBucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst, self.tokens, self.updated = rate, burst, float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + max(now - self.updated, 0.0) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class AccessControl:
    """Throttle buckets, quota counters and cached authorizer answers of one account. ``call_function``
    invokes an authorizer: ``(call, uri, credentials, source_arn, event, trace_entry) -> Invocation``."""

    def __init__(self, clock: Callable[[], float], call_function: Callable) -> None:
        self.clock = clock
        self.call_function = call_function
        self._buckets: dict[tuple, _TokenBucket] = {}
        self._quota_used: Counter[tuple] = Counter()
        self._authorizer_cache: dict[tuple, tuple[float, dict]] = {}

    def clear(self) -> None:
        self._buckets.clear()
        self._quota_used.clear()
        self._authorizer_cache.clear()

    def throttle(
        self, call: Call, scope: tuple, rate: float | None, burst: int | None, with_account: bool = True
    ) -> None:
        """Spend a token of the account's bucket (unless ``with_account`` is false) and of ``scope``'s
        bucket when it has limits; raises ``Refused`` (429) when a bucket is empty."""
        now = self.clock()
        checks = [(("account",), ACCOUNT_RATE, ACCOUNT_BURST)] if with_account else []
        if rate is not None or burst is not None:
            rate = ACCOUNT_RATE if rate is None else float(rate)
            burst = ACCOUNT_BURST if burst is None else int(burst)
            checks.append(((call.api_id, call.stage, *scope), rate, burst))
        for key, key_rate, key_burst in checks:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (key_rate, key_burst):
                bucket = self._buckets[key] = _TokenBucket(key_rate, key_burst, now)
            if not bucket.take(now):
                reason = f"throttled by {'/'.join(map(str, key))}: rate {key_rate}/s, burst {key_burst}"
                raise Refused(429, {"message": "Too Many Requests"}, reason, "ThrottlingException")

    def check_api_key(self, call: Call, value: str | None, method_key: str) -> None:
        backend = rest_backend(call.account_id, call.region)
        key = next((k for k in backend.keys.values() if value and k.value == value and k.enabled), None)
        plans = [
            plan
            for plan in backend.usage_plans.values()
            if key is not None
            and key.id in backend.usage_plan_keys.get(plan.id, {})
            and any(s.get("apiId") == call.api_id and s.get("stage") == call.stage for s in plan.api_stages)
        ]
        if not plans:
            why = (
                "no x-api-key header"
                if not value
                else "the API key is unknown, disabled or in no usage plan of this stage"
            )
            raise Refused(403, {"message": "Forbidden"}, why, "ForbiddenException")
        plan, call.api_key = plans[0], (key.id, key.value)
        quota = plan.quota or {}
        if quota.get("limit") is not None:
            period = quota.get("period", "DAY")
            now = time.gmtime(call.time_s)
            window = (
                (now.tm_year, now.tm_mon)
                if period == "MONTH"
                else int(call.time_s // _QUOTA_PERIOD_S.get(period, 86400))
            )
            counter = (plan.id, key.id, period, window)
            if self._quota_used[counter] >= int(quota["limit"]):
                raise Refused(
                    429,
                    {"message": "Limit Exceeded"},
                    f"usage plan {plan.id} quota exhausted",
                    "LimitExceededException",
                )
        stage_entry = next(
            s for s in plan.api_stages if s.get("apiId") == call.api_id and s.get("stage") == call.stage
        )
        limits = (stage_entry.get("throttle") or {}).get(method_key) or plan.throttle or {}
        self.throttle(
            call,
            ("key", plan.id, key.id, method_key),
            limits.get("rateLimit"),
            limits.get("burstLimit"),
            False,
        )
        if quota.get("limit") is not None:  # a throttled request does not count against the quota
            self._quota_used[counter] += 1

    def rest_authorize(self, call: Call, api, authorizer_id: str, method_arn: str, entry: dict):
        """Run a TOKEN or REQUEST authorizer; returns the usageIdentifierKey it gave (or None)."""
        authorizer = api.authorizers.get(authorizer_id)
        if authorizer is None or authorizer.type not in ("TOKEN", "REQUEST"):
            kind = authorizer.type if authorizer else "missing"
            raise Refused(500, {"message": None}, f"authorizer {authorizer_id} ({kind}) is not simulated")
        ttl = 300 if authorizer.authorizer_result_ttl is None else int(authorizer.authorizer_result_ttl)
        sources = [s.strip() for s in (authorizer.identity_source or "").split(",") if s.strip()]
        values = [self._identity(call, source) for source in sources]
        unauthorized = Refused(
            401, {"message": "Unauthorized"}, "identity source missing", "UnauthorizedException"
        )
        if authorizer.type == "TOKEN":
            token = values[0] if values else None
            pattern = authorizer.identity_validation_expression
            if not token or (pattern and not re.fullmatch(pattern, token)):
                raise unauthorized
            event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        else:
            if ttl > 0 and (not sources or not all(values)):
                raise unauthorized
            event = {"type": "REQUEST", "methodArn": method_arn, **v1_event(call)}
            event.pop("body"), event.pop("isBase64Encoded")
        answer = self._answer(call, authorizer.id, authorizer.authorizer_uri, ttl, values, event, entry)
        policy, principal = answer.get("policyDocument"), answer.get("principalId")
        context = answer.get("context") or {}
        if not isinstance(policy, dict) or principal is None or not isinstance(context, dict):
            raise Refused(500, {"message": None}, "authorizer answer lacks principalId or policyDocument")
        decision = _policy_decision(call, policy, method_arn)
        if not decision.allowed:
            message = "User is not authorized to access this resource"
            if decision.reason == "explicit_deny":
                message += " with an explicit deny"
            raise Refused(
                403, {"message": message}, f"authorizer policy denies {method_arn}", "AccessDeniedException"
            )
        call.authorizer = {**context, "principalId": principal, "integrationLatency": 0}
        return answer.get("usageIdentifierKey")

    def http_authorize(self, call: Call, api, authorizer_id: str, route_arn: str, entry: dict) -> None:
        authorizer = api.authorizers.get(authorizer_id)
        if authorizer is None or authorizer.authorizer_type != "REQUEST":
            kind = authorizer.authorizer_type if authorizer else "missing"
            raise internal_error("HTTP", f"authorizer {authorizer_id} ({kind}) is not simulated")
        sources = authorizer.identity_source or []
        sources = [
            s.strip() for s in (sources.split(",") if isinstance(sources, str) else sources) if s.strip()
        ]
        values = [self._identity(call, source) for source in sources]
        if not all(values):
            raise Refused(401, {"message": "Unauthorized"}, "identity source missing")
        version = authorizer.auth_payload_format_version or "2.0"
        if version == "2.0":
            event = {**v2_event(call), "type": "REQUEST", "routeArn": route_arn, "identitySource": values}
        else:
            event = {**v1_event(call), "type": "REQUEST", "methodArn": route_arn}
        event.pop("body", None), event.pop("isBase64Encoded", None)
        ttl = int(authorizer.auth_result_ttl or 0)
        answer = self._answer(call, authorizer.id, authorizer.authorizer_uri, ttl, values, event, entry)
        context = answer.get("context") or {}
        if version == "2.0" and authorizer.enable_simple_response:
            allowed = answer.get("isAuthorized")
            if not isinstance(allowed, bool) or not isinstance(context, dict):
                raise internal_error("HTTP", "authorizer answer lacks a boolean isAuthorized")
        else:
            policy = answer.get("policyDocument")
            if not isinstance(policy, dict) or not isinstance(context, dict):
                raise internal_error("HTTP", "authorizer answer lacks a policyDocument")
            allowed = _policy_decision(call, policy, route_arn).allowed
        if not allowed:
            raise Refused(403, {"message": "Forbidden"}, f"authorizer denies {route_arn}")
        call.authorizer = {"lambda": context}

    def _answer(self, call, authorizer_id, uri, ttl, values, event, entry) -> dict:
        cache_key = (call.api_id, authorizer_id, tuple(values))
        cached = self._authorizer_cache.get(cache_key)
        if ttl > 0 and cached and cached[0] > call.time_s:
            entry["authorizer"] = "cached"
            return cached[1]
        source = (
            f"arn:aws:execute-api:{call.region}:{call.account_id}:{call.api_id}/authorizers/{authorizer_id}"
        )
        invocation = self.call_function(call, uri, None, source, event, entry)
        if invocation.function_error:
            error = invocation.payload_json() if invocation.payload else {}
            if (
                call.api_type == "REST"
                and isinstance(error, dict)
                and error.get("errorMessage") == "Unauthorized"
            ):
                raise Refused(
                    401,
                    {"message": "Unauthorized"},
                    "the authorizer raised Unauthorized",
                    "UnauthorizedException",
                )
            body = {"message": None} if call.api_type == "REST" else {"message": "Internal Server Error"}
            raise Refused(
                500,
                body,
                f"the authorizer failed: {invocation.error_type}",
                "AuthorizerConfigurationException",
            )
        try:
            answer = json.loads(invocation.payload or b"null")
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            body = {"message": None} if call.api_type == "REST" else {"message": "Internal Server Error"}
            raise Refused(
                500, body, "the authorizer's answer is not a JSON object", "AuthorizerConfigurationException"
            )
        entry["authorizer"] = "invoked"
        if ttl > 0:
            self._authorizer_cache[cache_key] = (call.time_s + ttl, answer)
        return answer

    @staticmethod
    def _identity(call: Call, source: str) -> str | None:
        """The value of an identity source (``method.request.header.X`` on REST, ``$request.header.X`` on
        HTTP APIs; query strings, stage variables and ``context`` likewise); None when absent or empty."""
        source = source.removeprefix("$").removeprefix("method.")
        kind, _, name = source.partition(".")
        if kind == "request":
            where, _, name = name.partition(".")
            if where == "header":
                return call.header(name) or None
            if where == "querystring":
                return next((v for k, v in reversed(call.query) if k == name), None) or None
        if kind == "stageVariables":
            return call.stage_variables.get(name) or None
        if kind == "context" and name in ("httpMethod", "stage", "requestId"):
            return {"httpMethod": call.method, "stage": call.stage, "requestId": call.request_id}[name]
        return None
