"""The api-keys-and-caching lab: a SAM REST API graded through API Gateway in the runtime: API keys and a
usage plan (403 without a key, 429 beyond the burst and the daily quota) and the stage cache (one invocation
per currency within the TTL), with a hidden check that /health stays open and uncached."""

import pytest

from labs.grading import CATALOG_DIR, grade, load_lab


@pytest.fixture(scope="module")
def lab():
    return load_lab(CATALOG_DIR / "api-keys-and-caching")


def failed(report) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def with_template(lab, *changes: tuple[str, str]) -> dict[str, str]:
    template = lab.solution["template.yaml"]
    for old, new in changes:
        assert old in template, old
        template = template.replace(old, new)
    return {**lab.solution, "template.yaml": template}


NO_CURRENCY_KEY = (
    "            RequestParameters:\n"
    "              - method.request.querystring.currency:\n"
    "                  Required: true\n"
    "                  Caching: true\n",
    "",
)
HEALTH_OVERRIDE = (
    "        - ResourcePath: /health\n          HttpMethod: GET\n          CachingEnabled: false\n",
    "",
)
HEALTH_OPEN = (
    "            Auth:\n              ApiKeyRequired: false # the load balancer's monitor has no key\n",
    "",
)


def test_the_lab_belongs_to_the_api_gateway_in_depth_lesson(lab):
    assert (lab.course, lab.lesson) == ("serverless", "api-gateway-in-depth")
    assert lab.visibility["health_is_open_and_fresh"] == "hidden"
    assert "(300 seconds)" in lab.instructions and "at most 3,600 seconds" in lab.instructions


def test_the_solution_scores_full_and_cache_hits_invoke_nothing(lab):
    report = grade(lab, lab.solution)
    assert failed(report) == {} and report["score"] == report["max_score"] == 13
    requests = [e for e in report["trace"] if e["kind"] == "apigateway_request"]
    hits = {e["seq"] for e in requests if e.get("cache") == "hit"}
    assert hits and {e["status"] for e in requests} >= {200, 403, 429}
    assert not [e for e in report["invocations"] if e["cause"] in hits]


def test_the_starter_is_open_to_anyone_and_says_so(lab):
    messages = failed(grade(lab, lab.starter))
    assert "health_is_open_and_fresh" not in messages
    assert "without an x-api-key header answered 200" in messages["key_required"]
    assert "No API key is in a usage plan" in messages["daily_quota"]


def test_without_a_cache_key_parameter_usd_gets_the_euro_rate(lab):
    messages = failed(grade(lab, with_template(lab, NO_CURRENCY_KEY), visible_only=True))
    assert set(messages) == {"cached_per_currency"}  # the other checks ask for one currency each
    assert "answered the rate of EUR" in messages["cached_per_currency"]


def test_a_longer_ttl_serves_stale_rates(lab):
    messages = failed(grade(lab, with_template(lab, ("CacheTtlInSeconds: 300", "CacheTtlInSeconds: 3600"))))
    assert set(messages) == {"cache_lasts_five_minutes"}
    assert "still came from the cache" in messages["cache_lasts_five_minutes"]


def test_without_the_cache_cluster_every_request_is_paid(lab):
    files = with_template(lab, ("CacheClusterEnabled: true", "CacheClusterEnabled: false"))
    messages = failed(grade(lab, files, visible_only=True))
    assert set(messages) == {"cached_per_currency", "cache_lasts_five_minutes"}
    assert "invoked RatesFunction 5 times" in messages["cached_per_currency"]


def test_usage_plan_limits_are_graded(lab):
    files = with_template(lab, ("BurstLimit: 10", "BurstLimit: 20"), ("Limit: 200", "Limit: 1000"))
    messages = failed(grade(lab, files, visible_only=True))
    assert set(messages) == {"usage_plan_throttles_bursts", "daily_quota"}
    assert "15 were accepted" in messages["usage_plan_throttles_bursts"]
    assert "250 requests in one day were all accepted" in messages["daily_quota"]


def test_the_hidden_case_catches_a_health_check_behind_the_key_and_the_cache(lab):
    for change, says in (
        (HEALTH_OPEN, "answered [403, 403]"),
        (HEALTH_OVERRIDE, "same answer from the cache"),
    ):
        files = with_template(lab, change)
        visible = grade(lab, files, visible_only=True)
        assert visible["score"] == visible["max_score"]
        messages = failed(grade(lab, files))
        assert set(messages) == {"health_is_open_and_fresh"} and says in messages["health_is_open_and_fresh"]
