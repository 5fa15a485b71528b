"""REST API stage caching (labs/runtime/apigateway/caching.py), as AWS documents it in
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html: the stage's cache
cluster and method settings, GET only by default, TTL (default 300 s, 0 disables), cache key parameters,
``Cache-Control: max-age=0`` and its authorization rule, and usage plans applied before the cache."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.labs.runtime.test_apigateway import ECHO, lambda_uri, rest_api

COUNTER = """
import json
calls = {"n": 0}
def handler(event, context):
    calls["n"] += 1  # a warm environment keeps counting: each answer says how many calls it has seen
    return {"statusCode": 200, "body": json.dumps({"call": calls["n"], "query": event["queryStringParameters"]})}
"""


def enable_cache(cloud, api: str, *settings: tuple[str, str], stage: str = "prod") -> None:
    """Turn the stage's cache cluster on, then apply (patch path under /, value) method settings."""
    operations = [{"op": "replace", "path": "/cacheClusterEnabled", "value": "true"}]
    operations += [{"op": "replace", "path": f"/{path}", "value": value} for path, value in settings]
    cloud.client("apigateway").update_stage(restApiId=api, stageName=stage, patchOperations=operations)


def get(cloud, api: str, path: str = "/prod/items", headers: dict | None = None):
    return cloud.http_request("GET", path, headers or {}, api_id=api)


def invocations(cloud) -> int:
    return len(cloud.trace.of_kind("invocation"))


def caches(cloud) -> list:
    return [entry.get("cache") for entry in cloud.trace.of_kind("apigateway_request")]


def test_a_cached_get_is_answered_without_invoking_until_the_ttl_ends(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"), ("*/*/caching/ttlInSeconds", "60"))
    first, second = get(cloud, api), get(cloud, api)
    assert first.json()["call"] == second.json()["call"] == 1
    assert invocations(cloud) == 1 and caches(cloud) == ["miss", "hit"]
    cloud.run_for(59)
    assert get(cloud, api).json()["call"] == 1
    cloud.run_for(2)  # past the 60 s TTL: the entry expired
    assert get(cloud, api).json()["call"] == 2
    assert caches(cloud) == ["miss", "hit", "hit", "miss"]
    hit = cloud.trace.of_kind("apigateway_request")[1]
    assert not [e for e in cloud.trace.of_kind("invocation") if e["cause"] == hit["seq"]]


def test_the_default_ttl_is_300_seconds(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"))
    get(cloud, api)
    cloud.run_for(299)
    assert get(cloud, api).json()["call"] == 1
    cloud.run_for(2)
    assert get(cloud, api).json()["call"] == 2


@pytest.mark.parametrize(
    "settings",
    [
        [("*/*/caching/enabled", "true"), ("*/*/caching/ttlInSeconds", "0")],  # TTL 0 disables caching
        [("*/*/caching/enabled", "false")],
    ],
)
def test_caching_off_invokes_every_time(cloud, deploy, settings):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(cloud, api, *settings)
    assert [get(cloud, api).json()["call"] for _ in range(2)] == [1, 2]
    assert caches(cloud) == [None, None]


def test_without_the_stage_cache_cluster_method_settings_do_not_cache(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    cloud.client("apigateway").update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}],
    )
    assert [get(cloud, api).json()["call"] for _ in range(2)] == [1, 2]


def test_stage_wide_caching_covers_get_only_and_a_method_override_adds_post(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items"), ("POST", "/items")])
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"))
    posts = [cloud.http_request("POST", "/prod/items", {}, "{}", api_id=api).json()["call"] for _ in range(2)]
    assert posts == [1, 2]
    enable_cache(cloud, api, ("~1items/POST/caching/enabled", "true"))
    posts = [cloud.http_request("POST", "/prod/items", {}, "{}", api_id=api).json()["call"] for _ in range(2)]
    assert posts == [3, 3]


def test_only_cache_key_parameters_tell_requests_apart(cloud, deploy):
    function = deploy(COUNTER)
    api = rest_api(cloud, function, routes=[("GET", "/items")])
    gateway = cloud.client("apigateway")
    resource = next(r for r in gateway.get_resources(restApiId=api)["items"] if r["path"] == "/items")
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"))
    assert get(cloud, api, "/prod/items?type=a").json()["query"] == {"type": "a"}
    assert get(cloud, api, "/prod/items?type=b").json()["query"] == {"type": "a"}  # same key: cached answer
    gateway.put_method(
        restApiId=api,
        resourceId=resource["id"],
        httpMethod="GET",
        authorizationType="NONE",
        requestParameters={"method.request.querystring.type": False},
    )
    integration = gateway.put_integration(
        restApiId=api,
        resourceId=resource["id"],
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=lambda_uri(cloud, function),
        cacheKeyParameters=["method.request.querystring.type"],
    )
    assert integration["cacheKeyParameters"] == ["method.request.querystring.type"]
    assert get(cloud, api, "/prod/items?type=a").json()["query"] == {"type": "a"}
    assert get(cloud, api, "/prod/items?type=b").json()["query"] == {"type": "b"}
    assert get(cloud, api, "/prod/items?type=b&page=2").json()["call"] == 3  # page is not a key: a hit


def test_max_age_0_needs_authorization_by_default_and_is_ignored_with_a_warning(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"))
    get(cloud, api)
    refreshed = get(cloud, api, headers={"Cache-Control": "max-age=0"})
    assert refreshed.json()["call"] == 1 and refreshed.headers["warning"].startswith("199 ")
    assert caches(cloud)[-1] == "ignored"
    assert "without execute-api:InvalidateCache" in cloud.trace.of_kind("apigateway_request")[-1]["reason"]


@pytest.mark.parametrize(
    ("strategy", "status", "warning"),
    [("FAIL_WITH_403", 403, False), ("SUCCEED_WITHOUT_RESPONSE_HEADER", 200, False)],
)
def test_the_unauthorized_cache_control_strategies(cloud, deploy, strategy, status, warning):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(
        cloud,
        api,
        ("*/*/caching/enabled", "true"),
        ("*/*/caching/unauthorizedCacheControlHeaderStrategy", strategy),
    )
    get(cloud, api)
    response = get(cloud, api, headers={"Cache-Control": "no-cache, max-age=0"})
    assert response.status == status and ("warning" in response.headers) is warning
    assert invocations(cloud) == 1


def test_without_required_authorization_any_client_invalidates(cloud, deploy):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    enable_cache(
        cloud,
        api,
        ("*/*/caching/enabled", "true"),
        ("*/*/caching/requireAuthorizationForCacheControl", "false"),
    )
    get(cloud, api)
    assert get(cloud, api, headers={"Cache-Control": "max-age=0"}).json()["call"] == 2
    assert get(cloud, api).json()["call"] == 2  # the fresh answer replaced the entry
    assert caches(cloud) == ["miss", "invalidated", "hit"]


def test_api_keys_and_quotas_apply_before_the_cache(cloud, deploy):
    api = rest_api(cloud, deploy(ECHO), routes=[("GET", "/items")], apiKeyRequired=True)
    gateway = cloud.client("apigateway")
    key = gateway.create_api_key(name="k", enabled=True, value="k" * 24)
    plan = gateway.create_usage_plan(
        name="p", apiStages=[{"apiId": api, "stage": "prod"}], quota={"limit": 2, "period": "DAY"}
    )
    gateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    enable_cache(cloud, api, ("*/*/caching/enabled", "true"))
    assert get(cloud, api, headers={"x-api-key": key["value"]}).status == 200
    assert get(cloud, api).status == 403  # a cached answer is no way around the key
    assert get(cloud, api, headers={"x-api-key": key["value"]}).status == 200  # a hit, counted
    assert get(cloud, api, headers={"x-api-key": key["value"]}).status == 429
    assert invocations(cloud) == 1


SAM_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - ResourcePath: /*
          HttpMethod: "*"
          CachingEnabled: true
          CacheTtlInSeconds: 120
  Prices:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps(event["queryStringParameters"])}
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /prices
            Method: get
            RequestParameters:
              - method.request.querystring.currency:
                  Required: false
                  Caching: true
"""


def test_a_sam_api_with_cache_settings_and_a_caching_request_parameter(cloud):
    from labs.runtime.cloudformation import deploy

    stack = deploy(cloud, SAM_TEMPLATE)
    api = stack.physical_id("Api")
    stage = cloud.client("apigateway").get_stage(restApiId=api, stageName="prod")
    assert stage["cacheClusterEnabled"] is True and stage["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 120
    answers = [get(cloud, api, f"/prod/prices?currency={c}").json() for c in ("EUR", "USD", "EUR")]
    assert answers == [{"currency": "EUR"}, {"currency": "USD"}, {"currency": "EUR"}]
    assert invocations(cloud) == 2
    cloud.run_for(121)
    get(cloud, api, "/prod/prices?currency=EUR")
    assert invocations(cloud) == 3
    assert json.dumps(caches(cloud)) == json.dumps(["miss", "miss", "hit", "miss"])


@pytest.mark.parametrize(
    ("value", "says"), [("3601", "from 0 to 3600 seconds, not 3601"), ("soon", "whole number")]
)
def test_a_ttl_above_3600_seconds_is_refused(cloud, deploy, value, says):
    api = rest_api(cloud, deploy(COUNTER), routes=[("GET", "/items")])
    with pytest.raises(ClientError) as raised:
        enable_cache(cloud, api, ("*/*/caching/ttlInSeconds", value))
    error = raised.value.response["Error"]
    assert error["Code"] == "BadRequestException" and says in error["Message"]
    assert "/*/*/caching/ttlInSeconds" in error["Message"]
    stage = cloud.client("apigateway").get_stage(restApiId=api, stageName="prod")
    assert not stage.get("cacheClusterEnabled")  # nothing of the refused request was stored


def test_a_template_with_a_ttl_above_3600_seconds_fails_at_its_stage(cloud):
    from labs.runtime.cloudformation import TemplateError, deploy

    with pytest.raises(TemplateError) as caught:
        deploy(cloud, SAM_TEMPLATE.replace("CacheTtlInSeconds: 120", "CacheTtlInSeconds: 7200"))
    assert "the cache TTL must be from 0 to 3600 seconds, not 7200" in str(caught.value)
