"""Partner API: the student's SAM template (template.yaml, with rates.py as its code) is deployed once and
called as partners would call it, through API Gateway in the runtime (labs/runtime/apigateway): API keys and
usage plans (access.py) and the REST stage cache (caching.py), on the simulated clock.

The partner's key is found the way a partner would be given it: the API keys in a usage plan of the
RatesApi's prod stage (written by hand or made by SAM's Auth.UsagePlan). Whether an answer came from the
cache is read from the answers themselves (RatesFunction puts its request id in every body: the same id
twice is one invocation) and from the trace (each request's ``cache`` field, the invocations it caused)."""

from courses.facts import fact
from labs.grading.checks import CheckFailed, check

API, FUNCTION, STAGE = "RatesApi", "RatesFunction", "prod"
RATE_LIMIT, BURST_LIMIT, DAILY_QUOTA = 5, 10, 200
CACHE_TTL_S = int(fact("apigateway.cache_ttl_default"))  # the five minutes the instructions ask for


def setup(lab):
    stack = lab.deploy_template("template.yaml")
    missing = [lid for lid in (API, FUNCTION) if lid not in stack.resources]
    lab.require(
        not missing,
        f"template.yaml has no {', '.join(missing)}: keep the logical ids RatesApi and RatesFunction.",
    )
    lab.api_id = stack.physical_id(API)
    gateway = lab.client("apigateway")
    stages = {s["stageName"] for s in gateway.get_stages(restApiId=lab.api_id).get("item", [])}
    lab.require(
        STAGE in stages, f"RatesApi has no stage {STAGE!r} (it has {sorted(stages)}): keep StageName: prod."
    )
    lab.key = partner_key(lab)


def partner_key(lab) -> str | None:
    """The value of an enabled API key in a usage plan of RatesApi's prod stage, or None."""
    gateway = lab.client("apigateway")
    for plan in gateway.get_usage_plans().get("items", []):
        if not any(
            s.get("apiId") == lab.api_id and s.get("stage") == STAGE for s in plan.get("apiStages", [])
        ):
            continue
        for key in gateway.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", []):
            found = gateway.get_api_key(apiKey=key["id"], includeValue=True)
            if found.get("enabled"):
                return found["value"]
    return None


def require_key(lab) -> str:
    if lab.key is None:
        raise CheckFailed(
            "No API key is in a usage plan of RatesApi's prod stage, so no partner can be given one. Add a "
            "usage plan for the stage (Auth.UsagePlan on the API, or AWS::ApiGateway::UsagePlan, ApiKey and "
            "UsagePlanKey) with a key in it."
        )
    return lab.key


def get(lab, path: str, key: str | None = None, **headers: str):
    if key is not None:
        headers["x-api-key"] = key
    return lab.http("GET", f"/{STAGE}{path}", api_id=lab.api_id, headers=headers)


def rate(lab, currency: str, key: str) -> dict:
    response = get(lab, f"/rates?currency={currency}", key)
    if response.status != 200:
        raise CheckFailed(
            f"GET /rates?currency={currency} with the partner's key answered {response.status}: {response.text[:200]}"
        )
    body = response.json()
    if body.get("currency") != currency:
        raise CheckFailed(
            f"GET /rates?currency={currency} answered the rate of {body.get('currency')}: the cache gave back "
            "another currency's answer. Make the currency query string part of the cache key."
        )
    return body


def fresh_day(lab) -> None:
    """Move the clock to the next day: the quota's count starts again, buckets refill, cache entries expire."""
    lab.cloud.run_for(86400)


# -- checks --------------------------------------------------------------------------------------------------
@check("key_required", "GET /rates needs a partner's API key: 403 without one or with a wrong one", points=2)
def key_required(lab):
    for key, what in (
        (None, "without an x-api-key header"),
        ("not-a-partner-key-0000000000", "with an unknown key"),
    ):
        response = get(lab, "/rates?currency=EUR", key)
        lab.require(
            response.status == 403,
            f"GET /rates {what} answered {response.status}; it must be refused with 403. Require an API key "
            "on the method (ApiKeyRequired).",
        )
    rate(lab, "EUR", require_key(lab))


@check(
    "cached_per_currency",
    "Repeated requests within five minutes are answered from the cache, per currency",
    points=3,
)
def cached_per_currency(lab):
    key = require_key(lab)
    fresh_day(lab)
    answers = [rate(lab, currency, key) for currency in ("EUR", "EUR", "USD", "EUR", "USD")]
    calls = len({answer["request_id"] for answer in answers})
    lab.require(
        calls == 2,
        f"Five requests (EUR, EUR, USD, EUR, USD) within seconds invoked RatesFunction {calls} times; with a "
        "stage cache keyed on the currency it is 2 (one per currency). Turn on the stage's cache cluster and "
        "caching for the method, and make currency a cache key parameter.",
    )


@check("cache_lasts_five_minutes", "A cached rate is served for five minutes, then fetched again", points=2)
def cache_lasts_five_minutes(lab):
    key = require_key(lab)
    fresh_day(lab)
    first = rate(lab, "GBP", key)["request_id"]
    lab.cloud.run_for(CACHE_TTL_S - 1)
    lab.require(
        rate(lab, "GBP", key)["request_id"] == first,
        f"A rate requested again {CACHE_TTL_S - 1} s later was fetched again: the cache entry must live five "
        f"minutes (CacheTtlInSeconds {CACHE_TTL_S}).",
    )
    lab.cloud.run_for(2)
    lab.require(
        rate(lab, "GBP", key)["request_id"] != first,
        f"A rate requested {CACHE_TTL_S + 1} s after it was fetched still came from the cache: partners must "
        "never see a rate older than five minutes.",
    )


@check(
    "usage_plan_throttles_bursts",
    f"A partner's burst is cut at {BURST_LIMIT} requests (429 after that)",
    points=2,
)
def usage_plan_throttles_bursts(lab):
    key = require_key(lab)
    fresh_day(lab)
    statuses = [get(lab, "/rates?currency=JPY", key).status for _ in range(BURST_LIMIT + 5)]
    accepted = statuses.count(200)
    lab.require(
        accepted == BURST_LIMIT and statuses[BURST_LIMIT:] == [429] * 5,
        f"Of {BURST_LIMIT + 5} requests at the same instant, {accepted} were accepted (statuses {statuses}); "
        f"the usage plan must throttle each partner at {RATE_LIMIT} requests per second with bursts of "
        f"{BURST_LIMIT}.",
    )
    lab.cloud.run_for(1)
    refilled = [get(lab, "/rates?currency=JPY", key).status for _ in range(RATE_LIMIT + 1)].count(200)
    lab.require(
        refilled == RATE_LIMIT,
        f"One second after the burst, {refilled} requests were accepted; at {RATE_LIMIT} requests per second "
        f"it is {RATE_LIMIT}.",
    )


@check("daily_quota", f"A partner gets {DAILY_QUOTA} requests a day, then 429 until the next day", points=2)
def daily_quota(lab):
    key = require_key(lab)
    fresh_day(lab)
    accepted = 0
    for _ in range(DAILY_QUOTA + 50):
        status = get(lab, "/rates?currency=USD", key).status
        if status != 200:
            break
        accepted += 1
        lab.cloud.run_for(0.25)  # within the rate limit: only the quota can refuse
    lab.require(
        accepted == DAILY_QUOTA,
        f"A partner's requests were refused after {accepted} in one day"
        if accepted < DAILY_QUOTA + 50
        else f"{accepted} requests in one day were all accepted"
        f"; the usage plan's quota must allow {DAILY_QUOTA} requests per DAY.",
    )
    fresh_day(lab)
    lab.require(
        get(lab, "/rates?currency=USD", key).status == 200, "The next day the partner was still refused."
    )


@check("health_is_open_and_fresh", "GET /health answers without a key and is never cached", points=2)
def health_is_open_and_fresh(lab):
    fresh_day(lab)
    answers = [get(lab, "/health") for _ in range(2)]
    statuses = [answer.status for answer in answers]
    lab.require(
        statuses == [200, 200],
        f"GET /health without an API key answered {statuses}: the load balancer's monitor has no key, so "
        "this method must not require one (Auth.ApiKeyRequired: false on its event).",
    )
    ids = {answer.json().get("request_id") for answer in answers}
    lab.require(
        len(ids) == 2,
        "Two GET /health requests got the same answer from the cache: a health check that reads a cached "
        "answer says nothing about the service now. Turn caching off for /health (a MethodSettings entry "
        "for ResourcePath /health, HttpMethod GET, CachingEnabled: false).",
    )
