"""API Gateway in the runtime: REST and HTTP APIs configured with boto3, called with ``cloud.http_request``.

Handlers run in the real sandbox. The scripted function returns whatever the client posts as its answer (or
raises), so each response-mapping rule is driven from the test."""

import base64
import json

import pytest

from labs.runtime.events import generate_event

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
SCRIPTED = """
import json
def handler(event, context):
    script = json.loads(event.get("body") or "null")
    if isinstance(script, dict) and "raise" in script:
        raise RuntimeError(script["raise"])
    return script
"""
TOKEN_AUTHORIZER = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "expired":
        raise Exception("Unauthorized")
    if token == "broken":
        return {"principalId": "x"}
    effect = "Deny" if token == "deny" else "Allow"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"tier": "gold", "calls": 3},
    }
"""
SIMPLE_AUTHORIZER = """
def handler(event, context):
    allowed = event["identitySource"] == ["let-me-in"] and event["routeArn"].endswith("/GET/items/7")
    return {"isAuthorized": allowed, "context": {"user": "ana", "route": event["routeKey"]}}
"""


# -- building APIs with boto3, as a template deployer would -------------------------------------------------
def permit(cloud, function: str, source_arn: str, statement: str = "apigateway") -> None:
    cloud.client("lambda").add_permission(
        FunctionName=function,
        StatementId=statement,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )


def lambda_uri(cloud, function: str) -> str:
    arn = f"arn:aws:lambda:{cloud.region}:{cloud.account_id}:function:{function}"
    return f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"


def rest_api(
    cloud, function: str, routes=(("ANY", "/{proxy+}"),), stage="prod", allow=True, authorizer=None, **options
):
    """A REST API whose resources and methods all integrate with ``function``; returns its id.
    ``authorizer(api_id)`` may create an authorizer and return its id, which every method then uses."""
    gateway = cloud.client("apigateway")
    api = gateway.create_rest_api(name="api", binaryMediaTypes=options.pop("binary", []))
    if authorizer is not None:
        options.update(authorizationType="CUSTOM", authorizerId=authorizer(api["id"]))
    ids = {"/": api["rootResourceId"]}
    for method, path in routes:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            child = parent.rstrip("/") + "/" + part
            if child not in ids:
                ids[child] = gateway.create_resource(
                    restApiId=api["id"], parentId=ids[parent], pathPart=part
                )["id"]
            parent = child
        gateway.put_method(
            restApiId=api["id"],
            resourceId=ids[parent],
            httpMethod=method,
            **{"authorizationType": "NONE", **options},
        )
        gateway.put_integration(
            restApiId=api["id"],
            resourceId=ids[parent],
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(cloud, function),
        )
    gateway.create_deployment(restApiId=api["id"], stageName=stage)
    if allow:
        permit(cloud, function, f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api['id']}/*")
    return api["id"]


def http_api(
    cloud,
    function: str,
    route_keys=("ANY /{proxy+}",),
    stage="$default",
    version="2.0",
    allow=True,
    **stage_options,
):
    """An HTTP API whose routes all integrate with ``function``; returns its id."""
    gateway = cloud.client("apigatewayv2")
    api = gateway.create_api(Name="api", ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:lambda:{cloud.region}:{cloud.account_id}:function:{function}",
        PayloadFormatVersion=version,
    )["IntegrationId"]
    for key in route_keys:
        gateway.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api, StageName=stage, AutoDeploy=True, **stage_options)
    if allow:
        permit(cloud, function, f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api}/*")
    return api


def post(cloud, api_id: str, answer, path="/anything", **options):
    """Make the scripted function return ``answer`` (or raise with {"raise": ...})."""
    return cloud.http_request(
        "POST", path, {"Content-Type": "application/json"}, json.dumps(answer), api_id=api_id, **options
    )


def requests_traced(cloud) -> list[dict]:
    return cloud.trace.of_kind("apigateway_request")


# -- the events functions receive --------------------------------------------------------------------------
def test_rest_event_has_the_documented_format_1_0_shape(cloud, deploy):
    name = deploy(ECHO)
    api = rest_api(cloud, name, routes=[("GET", "/items/{id}")])
    url = f"https://{api}.execute-api.us-east-1.amazonaws.com/prod/items/a%20b?tag=x&tag=y&one=1"
    response = cloud.http_request("GET", url, {"Accept": "text/plain", "X-Trace": ["first", "second"]})
    assert response.status == 200
    event = response.json()
    sample = generate_event("apigateway", "aws-proxy")
    assert set(event) == set(sample)
    assert set(sample["requestContext"]) <= set(event["requestContext"])
    assert set(sample["requestContext"]["identity"]) <= set(event["requestContext"]["identity"])
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/a%20b", "GET")
    assert event["pathParameters"] == {"id": "a b"}
    assert event["queryStringParameters"] == {"tag": "y", "one": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "one": ["1"]}
    assert event["headers"]["X-Trace"] == "second"
    assert event["multiValueHeaders"]["X-Trace"] == ["first", "second"]
    assert event["headers"]["Host"] == f"{api}.execute-api.us-east-1.amazonaws.com"
    assert event["body"] is None and event["isBase64Encoded"] is False and event["stageVariables"] is None
    context = event["requestContext"]
    assert (context["path"], context["stage"], context["resourcePath"]) == (
        "/prod/items/a%20b",
        "prod",
        "/items/{id}",
    )
    assert (context["accountId"], context["apiId"]) == (cloud.account_id, api)
    assert context["requestId"] == response.headers["x-amzn-requestid"]


def test_http_event_has_the_documented_format_2_0_shape(cloud, deploy):
    name = deploy(ECHO)
    api = http_api(cloud, name, route_keys=["POST /items/{id}"], StageVariables={"table": "items"})
    headers = {"Cookie": ["a=1; b=2", "c=3"], "X-Multi": ["1", "2"], "Content-Type": "application/json"}
    response = cloud.http_request("POST", "/items/7?q=x&q=y", headers, '{"hello":"world"}', api_id=api)
    event = response.json()
    sample = generate_event("apigateway", "http-api-proxy")
    assert set(event) == set(sample) | {"pathParameters", "stageVariables"}
    assert set(sample["requestContext"]) <= set(event["requestContext"])
    assert set(event["requestContext"]["http"]) == set(sample["requestContext"]["http"])
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "POST /items/{id}", "/items/7")
    assert event["rawQueryString"] == "q=x&q=y" and event["queryStringParameters"] == {"q": "x,y"}
    assert event["cookies"] == ["a=1", "b=2", "c=3"] and "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "1,2" and all(key == key.lower() for key in event["headers"])
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] == {"table": "items"}
    assert event["body"] == '{"hello":"world"}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["stage"] == "$default"


def test_a_named_http_stage_is_part_of_the_raw_path(cloud, deploy):
    api = http_api(cloud, deploy(ECHO), route_keys=["GET /items"], stage="prod")
    event = cloud.http_request("GET", "/prod/items", api_id=api).json()
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/prod/items", "/prod/items")
    assert event["requestContext"]["stage"] == "prod"


def test_http_api_with_payload_format_1_0_sends_the_v1_event(cloud, deploy):
    api = http_api(cloud, deploy(ECHO), route_keys=["GET /items/{id}"], version="1.0")
    event = cloud.http_request("GET", "/items/3", api_id=api).json()
    assert set(event) == set(generate_event("apigateway", "aws-proxy"))
    assert event["pathParameters"] == {"id": "3"} and event["requestContext"]["routeKey"] == "GET /items/{id}"


def test_binary_bodies_are_base64_encoded(cloud, deploy):
    name = deploy(ECHO)
    rest = rest_api(cloud, name, binary=["image/png"])
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    event = cloud.http_request("POST", "/prod/upload", {"Content-Type": "image/png"}, png, api_id=rest).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png
    text = cloud.http_request(
        "POST", "/prod/upload", {"Content-Type": "text/plain"}, "héllo", api_id=rest
    ).json()
    assert (text["body"], text["isBase64Encoded"]) == ("héllo", False)
    http = http_api(cloud, name)
    event = cloud.http_request(
        "POST", "/upload", {"Content-Type": "application/octet-stream"}, png, api_id=http
    ).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png


# -- routing ---------------------------------------------------------------------------------------------------
def test_rest_routing_prefers_literal_then_parameter_then_greedy_and_a_method_over_any(cloud, deploy):
    routes = [
        ("GET", "/items/special"),
        ("GET", "/items/{id}"),
        ("ANY", "/{proxy+}"),
        ("POST", "/items/{id}"),
    ]
    api = rest_api(cloud, deploy(ECHO), routes=routes)
    resource = {
        path: cloud.http_request(m, f"/prod{path}", api_id=api).json()["resource"]
        for m, path in [("GET", "/items/special"), ("GET", "/items/9"), ("GET", "/a/b/c")]
    }
    assert resource == {"/items/special": "/items/special", "/items/9": "/items/{id}", "/a/b/c": "/{proxy+}"}
    greedy = cloud.http_request("DELETE", "/prod/items/9", api_id=api).json()
    assert greedy["resource"] == "/{proxy+}" and greedy["pathParameters"] == {"proxy": "items/9"}
    assert cloud.http_request("POST", "/prod/items/9", api_id=api).json()["httpMethod"] == "POST"


def test_rest_without_a_matching_resource_or_stage_answers_403(cloud, deploy):
    api = rest_api(cloud, deploy(ECHO), routes=[("GET", "/items")])
    missing = cloud.http_request("GET", "/prod/orders", api_id=api)
    assert (missing.status, missing.json()) == (403, {"message": "Missing Authentication Token"})
    assert missing.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    wrong_method = cloud.http_request("DELETE", "/prod/items", api_id=api)
    assert wrong_method.json() == {"message": "Missing Authentication Token"}
    no_stage = cloud.http_request("GET", "/dev/items", api_id=api)
    assert (no_stage.status, no_stage.json()) == (403, {"message": "Forbidden"})
    assert [entry["reason"] for entry in requests_traced(cloud)] == [
        "no resource and method match GET /orders",
        "no resource and method match DELETE /items",
        "no stage 'dev'",
    ]


def test_http_routing_with_any_and_the_default_route(cloud, deploy):
    api = http_api(cloud, deploy(ECHO), route_keys=["GET /items/{id}", "ANY /items/{id}", "$default"])
    assert cloud.http_request("GET", "/items/1", api_id=api).json()["routeKey"] == "GET /items/{id}"
    assert cloud.http_request("PUT", "/items/1", api_id=api).json()["routeKey"] == "ANY /items/{id}"
    fallback = cloud.http_request("GET", "/other/path", api_id=api).json()
    assert fallback["routeKey"] == "$default" and "pathParameters" not in fallback


def test_http_without_a_route_or_stage_answers_404(cloud, deploy):
    api = http_api(cloud, deploy(ECHO), route_keys=["GET /items"])
    for path in ("/orders", "/items/1"):
        response = cloud.http_request("GET", path, api_id=api)
        assert (response.status, response.json()) == (404, {"message": "Not Found"})
    only_named = http_api(cloud, deploy(ECHO), route_keys=["GET /items"], stage="prod")
    assert cloud.http_request("GET", "/items", api_id=only_named).status == 404
    assert cloud.http_request("GET", "/prod/items", api_id=only_named).status == 200


def test_http_api_cors_answers_preflights_and_replaces_the_functions_cors_headers(cloud, deploy):
    name = deploy(
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Access-Control-Allow-Origin': '*'}, 'body': 'ok'}\n"
    )
    api = http_api(cloud, name, route_keys=["GET /items"])
    cors = {
        "AllowOrigins": ["https://shop.example"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["content-type"],
        "ExposeHeaders": ["x-request-id"],
        "MaxAge": 600,
    }
    cloud.client("apigatewayv2").update_api(ApiId=api, CorsConfiguration=cors)
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    answered = cloud.http_request("OPTIONS", "/items", preflight, api_id=api)
    assert (answered.status, answered.body) == (204, b"")
    assert answered.headers["access-control-allow-origin"] == "https://shop.example"
    assert answered.headers["access-control-allow-methods"] == "GET,POST"
    assert answered.headers["access-control-max-age"] == "600"
    assert cloud.trace.of_kind("invocation") == []  # no OPTIONS route needed, no function called
    allowed = cloud.http_request("GET", "/items", {"Origin": "https://shop.example"}, api_id=api)
    assert allowed.header_values("access-control-allow-origin") == ["https://shop.example"]
    assert allowed.headers["access-control-expose-headers"] == "x-request-id"
    other = cloud.http_request("GET", "/items", {"Origin": "https://evil.example"}, api_id=api)
    assert other.status == 200 and "access-control-allow-origin" not in other.headers


def test_urls_must_name_an_api_of_this_account_and_region(cloud, deploy):
    api = http_api(cloud, deploy(ECHO))
    with pytest.raises(ValueError, match="not an execute-api URL of Region us-east-1"):
        cloud.http_request("GET", f"https://{api}.execute-api.eu-west-1.amazonaws.com/x")
    with pytest.raises(ValueError, match="no REST or HTTP API nope"):
        cloud.http_request("GET", "/x", api_id="nope")
    with pytest.raises(ValueError, match="give the invoke URL, or api_id="):
        cloud.http_request("GET", "/x")


# -- mapping the function's answer to HTTP ------------------------------------------------------------------
def test_rest_maps_status_headers_and_multi_value_headers(cloud, deploy):
    api = rest_api(cloud, deploy(SCRIPTED))
    answer = {
        "statusCode": 201,
        "headers": {"X-One": "1", "Set-Cookie": "a=1", "X-Count": 5, "X-Both": "single"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["multi"]},
        "body": "created",
        "isBase64Encoded": False,
    }
    response = post(cloud, api, answer, "/prod/x")
    assert (response.status, response.body) == (201, b"created")
    assert response.header_values("set-cookie") == ["a=1", "b=2"]  # a=1 was in both maps: once
    assert response.header_values("x-both") == ["multi", "single"]
    assert response.headers["x-one"] == "1" and response.headers["x-count"] == "5"
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"statusCode": 200, "body": {"not": "a string"}}, "body must be a string"),
        ({"statusCode": 200, "body": "ok", "cookies": ["a=1"]}, "unexpected fields ['cookies']"),
        ({"body": "no status"}, "statusCode must be an integer"),
        ("just text", "must be a JSON object"),
        ({"statusCode": 200, "headers": {"X": {"nested": 1}}}, "headers.X must be a string"),
    ],
)
def test_rest_answers_502_to_a_malformed_proxy_response(cloud, deploy, answer, why):
    api = rest_api(cloud, deploy(SCRIPTED))
    response = post(cloud, api, answer, "/prod/x")
    assert (response.status, response.json()) == (502, {"message": "Internal server error"})
    assert why in requests_traced(cloud)[-1]["reason"]


def test_rest_decodes_base64_answers_only_for_accepted_binary_media_types(cloud, deploy):
    api = rest_api(cloud, deploy(SCRIPTED), binary=["image/png"])
    png = b"\x89PNG\x00\xff"
    answer = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(png).decode(),
        "isBase64Encoded": True,
    }
    headers = {"Content-Type": "application/json", "Accept": "image/png"}
    binary = cloud.http_request("POST", "/prod/img", headers, json.dumps(answer), api_id=api)
    assert binary.body == png
    as_text = post(cloud, api, answer, "/prod/img")
    assert as_text.body == answer["body"].encode()


def test_http_infers_a_200_json_response_and_maps_cookies(cloud, deploy):
    api = http_api(cloud, deploy(SCRIPTED))
    inferred = post(cloud, api, {"id": 7, "name": "pen"})
    assert (inferred.status, inferred.json()) == (200, {"id": 7, "name": "pen"})
    assert inferred.headers["content-type"] == "application/json"
    assert post(cloud, api, "plain string").json() == "plain string"
    answer = {
        "statusCode": 302,
        "headers": {"Location": "/new"},
        "cookies": ["s=1; Secure", "t=2"],
        "body": "",
    }
    redirected = post(cloud, api, answer)
    assert redirected.status == 302 and redirected.headers["location"] == "/new"
    assert redirected.header_values("set-cookie") == ["s=1; Secure", "t=2"]
    png = b"\x00\x01\xff"
    encoded = {"statusCode": 200, "body": base64.b64encode(png).decode(), "isBase64Encoded": True}
    assert post(cloud, api, encoded).body == png


def test_http_answers_500_to_a_malformed_structured_response(cloud, deploy):
    api = http_api(cloud, deploy(SCRIPTED))
    response = post(cloud, api, {"statusCode": "teapot", "body": "x"})
    assert (response.status, response.json()) == (500, {"message": "Internal Server Error"})
    assert "statusCode must be an integer" in requests_traced(cloud)[-1]["reason"]


def test_a_function_error_is_502_on_rest_and_500_on_http(cloud, deploy):
    name = deploy(SCRIPTED)
    rest, http = rest_api(cloud, name), http_api(cloud, name)
    failed = post(cloud, rest, {"raise": "boom"}, "/prod/x")
    assert (failed.status, failed.json()) == (502, {"message": "Internal server error"})
    failed = post(cloud, http, {"raise": "boom"})
    assert (failed.status, failed.json()) == (500, {"message": "Internal Server Error"})
    assert [entry["reason"] for entry in requests_traced(cloud)] == ["the function failed: RuntimeError"] * 2


# -- the function's permission, and throttles --------------------------------------------------------------
def test_without_a_resource_policy_for_api_gateway_the_invocation_fails_with_500(cloud, deploy):
    name = deploy(ECHO)
    api = rest_api(cloud, name, routes=[("GET", "/items")], allow=False)
    denied = cloud.http_request("GET", "/prod/items", api_id=api)
    assert (denied.status, denied.json()) == (500, {"message": "Internal server error"})
    assert requests_traced(cloud)[-1]["reason"].startswith("Invalid permissions on Lambda function")
    assert cloud.trace.of_kind("invocation") == []
    permit(cloud, name, f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api}/*/POST/items", "post-only")
    assert cloud.http_request("GET", "/prod/items", api_id=api).status == 500
    permit(cloud, name, f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api}/*/GET/items", "get")
    assert cloud.http_request("GET", "/prod/items", api_id=api).status == 200


def test_an_integration_role_may_invoke_instead_of_a_resource_policy(cloud, deploy):
    name = deploy(ECHO)
    iam = cloud.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    roles = {}
    for role, actions in (("invoker", ["lambda:InvokeFunction"]), ("reader", ["lambda:GetFunction"])):
        roles[role] = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(document))
    gateway = cloud.client("apigatewayv2")
    api = gateway.create_api(Name="roles", ProtocolType="HTTP")["ApiId"]
    for path, role in (("/ok", roles["invoker"]), ("/denied", roles["reader"])):
        integration = gateway.create_integration(
            ApiId=api,
            IntegrationType="AWS_PROXY",
            IntegrationUri=f"arn:aws:lambda:us-east-1:{cloud.account_id}:function:{name}",
            PayloadFormatVersion="2.0",
            CredentialsArn=role,
        )["IntegrationId"]
        gateway.create_route(ApiId=api, RouteKey=f"GET {path}", Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api, StageName="$default")
    assert cloud.http_request("GET", "/ok", api_id=api).status == 200
    assert cloud.http_request("GET", "/denied", api_id=api).status == 500
    assert requests_traced(cloud)[-1]["reason"].startswith("Invalid permissions on Lambda function")


def test_integrations_that_cannot_run_are_internal_errors_saying_why(cloud, deploy):
    name = deploy(ECHO)
    api = rest_api(cloud, name, routes=[("GET", "/mock"), ("GET", "/gone")])
    gateway = cloud.client("apigateway")
    resources = {r["path"]: r["id"] for r in gateway.get_resources(restApiId=api)["items"]}
    gateway.put_integration(restApiId=api, resourceId=resources["/mock"], httpMethod="GET", type="MOCK")
    gateway.put_integration(
        restApiId=api,
        resourceId=resources["/gone"],
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=lambda_uri(cloud, "no-such-function"),
    )
    # a mock with no integration response is AWS's configuration error (how-to-mock-integration.html: the
    # default response is the one without a selection pattern, and there is none)
    assert cloud.http_request("GET", "/prod/mock", api_id=api).json() == {"message": "Internal server error"}
    assert cloud.http_request("GET", "/prod/gone", api_id=api).json() == {"message": "Internal server error"}
    reasons = [entry["reason"] for entry in requests_traced(cloud)]
    assert reasons[0].endswith("No match for output mapping and no default output mapping")
    assert reasons[1].endswith(":function:no-such-function does not exist")


def test_a_throttled_function_is_an_internal_error(cloud, deploy):
    name = deploy(ECHO)
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    rest, http = rest_api(cloud, name), http_api(cloud, name)
    assert cloud.http_request("GET", "/prod/x", api_id=rest).json() == {"message": "Internal server error"}
    assert cloud.http_request("GET", "/x", api_id=http).json() == {"message": "Internal Server Error"}
    throttles = cloud.trace.of_kind("throttle")
    assert [entry["cause"] for entry in throttles] == [entry["seq"] for entry in requests_traced(cloud)]


def test_stage_throttling_spends_the_burst_then_refills_at_the_rate(cloud, deploy):
    api = rest_api(cloud, deploy(ECHO))
    cloud.client("apigateway").update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        ],
    )
    statuses = [cloud.http_request("GET", "/prod/x", api_id=api).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert cloud.http_request("GET", "/prod/x", api_id=api).json() == {"message": "Too Many Requests"}
    cloud.run_for(1)
    assert cloud.http_request("GET", "/prod/x", api_id=api).status == 200
    assert len(cloud.trace.of_kind("invocation")) == 3


def test_http_route_settings_override_the_stage_default(cloud, deploy):
    api = http_api(
        cloud,
        deploy(ECHO),
        route_keys=["GET /slow", "GET /fast"],
        DefaultRouteSettings={"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 5.0},
        RouteSettings={"GET /slow": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.5}},
    )
    assert [cloud.http_request("GET", "/slow", api_id=api).status for _ in range(2)] == [200, 429]
    assert [cloud.http_request("GET", "/fast", api_id=api).status for _ in range(5)] == [200] * 5
    cloud.run_for(2)
    assert cloud.http_request("GET", "/slow", api_id=api).status == 200


# -- API keys and usage plans -----------------------------------------------------------------------------
def test_api_keys_with_a_usage_plan(cloud, deploy):
    api = rest_api(cloud, deploy(ECHO), routes=[("GET", "/items")], apiKeyRequired=True)
    gateway = cloud.client("apigateway")
    key = gateway.create_api_key(name="student", enabled=True, value="k" * 24)
    other = gateway.create_api_key(name="not-in-plan", enabled=True, value="o" * 24)
    plan = gateway.create_usage_plan(
        name="basic",
        apiStages=[{"apiId": api, "stage": "prod"}],
        throttle={"burstLimit": 10, "rateLimit": 10.0},
        quota={"limit": 2, "period": "DAY"},
    )
    gateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    for headers in ({}, {"x-api-key": other["value"]}, {"x-api-key": "wrong"}):
        response = cloud.http_request("GET", "/prod/items", headers, api_id=api)
        assert (response.status, response.json()) == (403, {"message": "Forbidden"})
    allowed = cloud.http_request("GET", "/prod/items", {"x-api-key": key["value"]}, api_id=api)
    identity = allowed.json()["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (key["value"], key["id"])
    assert cloud.http_request("GET", "/prod/items", {"x-api-key": key["value"]}, api_id=api).status == 200
    over = cloud.http_request("GET", "/prod/items", {"x-api-key": key["value"]}, api_id=api)
    assert (over.status, over.json()) == (429, {"message": "Limit Exceeded"})
    cloud.run_for(86400)
    assert cloud.http_request("GET", "/prod/items", {"x-api-key": key["value"]}, api_id=api).status == 200


def test_a_usage_plan_throttles_each_key(cloud, deploy):
    api = rest_api(cloud, deploy(ECHO), routes=[("GET", "/items")], apiKeyRequired=True)
    gateway = cloud.client("apigateway")
    key = gateway.create_api_key(name="k", enabled=True)
    plan = gateway.create_usage_plan(
        name="tight",
        apiStages=[
            {"apiId": api, "stage": "prod", "throttle": {"/items/GET": {"burstLimit": 1, "rateLimit": 1.0}}}
        ],
    )
    gateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    statuses = [
        cloud.http_request("GET", "/prod/items", {"x-api-key": key["value"]}, api_id=api).status
        for _ in range(2)
    ]
    assert statuses == [200, 429]


# -- Lambda authorizers -------------------------------------------------------------------------------------
def rest_with_token_authorizer(cloud, deploy, ttl=300):
    backend, function = deploy(ECHO), deploy(TOKEN_AUTHORIZER)

    def authorizer(api_id):
        created = cloud.client("apigateway").create_authorizer(
            restApiId=api_id,
            name="token",
            type="TOKEN",
            authorizerUri=lambda_uri(cloud, function),
            identitySource="method.request.header.Authorization",
            authorizerResultTtlInSeconds=ttl,
        )["id"]
        permit(
            cloud,
            function,
            f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api_id}/authorizers/{created}",
        )
        return created

    return rest_api(cloud, backend, authorizer=authorizer)


def test_a_token_authorizer_allows_denies_and_requires_its_token(cloud, deploy):
    api = rest_with_token_authorizer(cloud, deploy, ttl=0)
    missing = cloud.http_request("GET", "/prod/items", api_id=api)
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    assert cloud.trace.of_kind("invocation") == []  # the authorizer is not called without its token
    allowed = cloud.http_request("GET", "/prod/items", {"Authorization": "ana"}, api_id=api)
    assert allowed.status == 200
    assert allowed.json()["requestContext"]["authorizer"] == {
        "principalId": "user-ana",
        "tier": "gold",
        "calls": 3,
        "integrationLatency": 0,
    }
    denied = cloud.http_request("GET", "/prod/items", {"Authorization": "deny"}, api_id=api)
    assert (denied.status, denied.json()) == (
        403,
        {"message": "User is not authorized to access this resource with an explicit deny"},
    )
    expired = cloud.http_request("GET", "/prod/items", {"Authorization": "expired"}, api_id=api)
    assert (expired.status, expired.json()) == (401, {"message": "Unauthorized"})
    broken = cloud.http_request("GET", "/prod/items", {"Authorization": "broken"}, api_id=api)
    assert (broken.status, broken.json()) == (500, {"message": None})
    requests = requests_traced(cloud)
    invocations = cloud.trace.of_kind("invocation")
    # the allowed request caused two invocations (authorizer, then the backend); the others one each
    assert [entry["cause"] for entry in invocations] == [requests[1]["seq"]] * 2 + [
        r["seq"] for r in requests[2:]
    ]


def test_a_cached_policy_is_evaluated_against_the_next_path(cloud, deploy):
    api = rest_with_token_authorizer(cloud, deploy, ttl=300)
    token = {"Authorization": "ana"}
    assert cloud.http_request("GET", "/prod/items/1", token, api_id=api).status == 200
    other_path = cloud.http_request("GET", "/prod/items/2", token, api_id=api)
    assert (other_path.status, other_path.json()) == (
        403,
        {"message": "User is not authorized to access this resource"},
    )
    assert requests_traced(cloud)[-1]["authorizer"] == "cached"
    cloud.run_for(301)
    assert cloud.http_request("GET", "/prod/items/2", token, api_id=api).status == 200


def test_a_rest_request_authorizer_reads_its_identity_sources(cloud, deploy):
    backend = deploy(ECHO)
    function = deploy(
        "def handler(event, context):\n"
        "    effect = 'Allow' if event['queryStringParameters'].get('ticket') == 'ok' else 'Deny'\n"
        "    statement = {'Action': 'execute-api:Invoke', 'Effect': effect, 'Resource': '*'}\n"
        "    return {'principalId': 'p', 'policyDocument': {'Version': '2012-10-17', 'Statement': [statement]}}\n"
    )

    def authorizer(api_id):
        permit(cloud, function, f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api_id}/authorizers/*")
        return cloud.client("apigateway").create_authorizer(
            restApiId=api_id,
            name="request",
            type="REQUEST",
            authorizerUri=lambda_uri(cloud, function),
            identitySource="method.request.querystring.ticket",
            authorizerResultTtlInSeconds=60,
        )["id"]

    api = rest_api(cloud, backend, routes=[("GET", "/items")], authorizer=authorizer)
    assert cloud.http_request("GET", "/prod/items", api_id=api).status == 401
    assert cloud.http_request("GET", "/prod/items?ticket=ok", api_id=api).status == 200
    denied = cloud.http_request("GET", "/prod/items?ticket=no", api_id=api)
    assert (denied.status, denied.json()) == (
        403,
        {"message": "User is not authorized to access this resource with an explicit deny"},
    )


def test_an_http_authorizer_with_simple_responses(cloud, deploy):
    backend, authorizer = deploy(ECHO), deploy(SIMPLE_AUTHORIZER)
    api = http_api(cloud, backend, route_keys=["GET /items/{id}"])
    gateway = cloud.client("apigatewayv2")
    auth = gateway.create_authorizer(
        ApiId=api,
        Name="simple",
        AuthorizerType="REQUEST",
        AuthorizerUri=lambda_uri(cloud, authorizer),
        IdentitySource=["$request.header.X-Ticket"],
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
    )["AuthorizerId"]
    route = gateway.get_routes(ApiId=api)["Items"][0]["RouteId"]
    gateway.update_route(ApiId=api, RouteId=route, AuthorizationType="CUSTOM", AuthorizerId=auth)
    permit(
        cloud,
        authorizer,
        f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api}/authorizers/{auth}",
        "auth",
    )
    missing = cloud.http_request("GET", "/items/7", api_id=api)
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    allowed = cloud.http_request("GET", "/items/7", {"X-Ticket": "let-me-in"}, api_id=api)
    assert allowed.json()["requestContext"]["authorizer"] == {
        "lambda": {"user": "ana", "route": "GET /items/{id}"}
    }
    for path, ticket in (("/items/7", "wrong"), ("/items/8", "let-me-in")):
        denied = cloud.http_request("GET", path, {"X-Ticket": ticket}, api_id=api)
        assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})


# -- configuration details ----------------------------------------------------------------------------------
def test_stage_variables_choose_the_function(cloud, deploy):
    blue = deploy("def handler(event, context):\n    return {'statusCode': 200, 'body': 'blue'}\n")
    gateway = cloud.client("apigateway")
    api = gateway.create_rest_api(name="staged")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    gateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    uri = lambda_uri(cloud, "${stageVariables.fn}")
    gateway.put_integration(
        restApiId=api,
        resourceId=root,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri,
    )
    gateway.create_deployment(restApiId=api, stageName="live", variables={"fn": blue})
    permit(cloud, blue, f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api}/*")
    assert cloud.http_request("GET", "/live/", api_id=api).text == "blue"
    assert cloud.http_request("GET", "/", api_id=api, stage="live").text == "blue"


def test_moto_keeps_what_the_control_plane_calls_set(cloud, deploy):
    name = deploy(ECHO)
    api = rest_api(cloud, name)
    cloud.client("apigateway").update_rest_api(
        restApiId=api, patchOperations=[{"op": "add", "path": "/binaryMediaTypes/application~1pdf"}]
    )
    pdf = b"%PDF-\xff"
    event = cloud.http_request(
        "POST", "/prod/doc", {"Content-Type": "application/pdf"}, pdf, api_id=api
    ).json()
    assert event["isBase64Encoded"] is True
    quick = cloud.client("apigatewayv2").create_api(
        Name="quick",
        ProtocolType="HTTP",
        Target=f"arn:aws:lambda:us-east-1:{cloud.account_id}:function:{name}",
    )
    permit(cloud, name, f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{quick['ApiId']}/*", "quick")
    response = cloud.http_request("GET", f"{quick['ApiEndpoint']}/any/path")
    assert response.status == 200 and response.json()["routeKey"] == "$default"


def test_every_request_is_traced_with_its_route_and_status(cloud, deploy):
    api = http_api(cloud, deploy(ECHO), route_keys=["GET /items/{id}"])
    cloud.http_request("GET", "/items/1", api_id=api)
    cloud.http_request("GET", "/nothing", api_id=api)
    first, second = requests_traced(cloud)
    assert {k: first[k] for k in ("method", "path", "route", "status", "api_type")} == {
        "method": "GET",
        "path": "/items/1",
        "route": "GET /items/{id}",
        "status": 200,
        "api_type": "HTTP",
    }
    assert (second["route"], second["status"]) == (None, 404)
    assert [entry["cause"] for entry in cloud.trace.of_kind("invocation")] == [first["seq"]]


def test_closing_the_account_drops_the_url_callbacks_moto_registers(cloud, deploy):
    from moto.core.models import responses_mock

    before = len(responses_mock.registered())
    rest_api(cloud, deploy(ECHO), routes=[("GET", "/a"), ("POST", "/b")])
    assert len(responses_mock.registered()) > before
    cloud.reset()
    assert len(responses_mock.registered()) == before
