"""Issue 15 class 7: Lambda function URLs, configured through the Lambda API and served by ``cloud.http_request``.

Pages: API_CreateFunctionUrlConfig.html (and Get/Update/Delete/ListFunctionUrlConfigs), urls-configuration.html
(URL form, CORS, throttling: 429, a deleted URL is never reused), urls-auth.html (AuthType NONE needs
lambda:InvokeFunctionUrl and, since October 2025, lambda:InvokeFunction for everyone; AWS_IAM needs SigV4),
urls-invocation.html (request and response payloads), configuration-response-streaming.html.
"""

import base64
import json
import re

import pytest
from botocore.exceptions import ClientError

from .conftest import make_zip

URL = re.compile(r"^https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/$")

ECHO = """
import base64, json
def handler(event, context):
    path = event["rawPath"]
    if path == "/fail":
        raise RuntimeError("the order service is down")
    if path == "/text":
        return "Hello, world!"
    if path == "/malformed":
        return {"statusCode": "two hundred"}
    if path == "/image":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Order-Id": "o-1",
            "Access-Control-Allow-Origin": "https://other.example"},
            "cookies": ["Cookie_1=Value1; Max-Age=78000", "Cookie_2=Value2"], "body": json.dumps(event)}
"""


def public(cloud, name: str, *, invoke_function: bool = True, **config) -> str:
    """A function URL with AuthType NONE and the permissions urls-auth.html asks for."""
    client = cloud.client("lambda")
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE", **config)["FunctionUrl"]
    qualified = (
        {"Qualifier": config["Qualifier"]} if "Qualifier" in config else {}
    )  # an alias has its own policy
    client.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
        **qualified,
    )
    if invoke_function:
        client.add_permission(
            FunctionName=name,
            StatementId="invoke",
            Action="lambda:InvokeFunction",
            Principal="*",
            InvokedViaFunctionUrl=True,
            **qualified,
        )
    return url


def error_code(raised) -> str:
    return raised.value.response["Error"]["Code"]


# -- the control plane -----------------------------------------------------------------------------------
def test_create_get_update_list_delete(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'ok'\n")
    client = cloud.client("lambda")
    created = client.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert URL.match(created["FunctionUrl"])
    assert created["InvokeMode"] == "BUFFERED" and created["AuthType"] == "AWS_IAM"
    assert created["FunctionArn"].endswith(f":function:{name}")
    cors = {"AllowOrigins": ["https://shop.example"], "MaxAge": 300}
    updated = client.update_function_url_config(
        FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM", Cors=cors
    )
    assert (updated["AuthType"], updated["InvokeMode"], updated["Cors"]) == ("NONE", "RESPONSE_STREAM", cors)
    assert updated["FunctionUrl"] == created["FunctionUrl"]  # a URL never changes
    got = client.get_function_url_config(FunctionName=name)
    assert got["InvokeMode"] == "RESPONSE_STREAM" and "LastModifiedTime" in got
    listed = client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [entry["FunctionUrl"] for entry in listed] == [created["FunctionUrl"]]
    client.delete_function_url_config(FunctionName=name)
    assert client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []
    with pytest.raises(ValueError, match="no function URL"):
        cloud.http_request("GET", created["FunctionUrl"])
    again = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    assert again != created["FunctionUrl"]  # "Creating a new function URL will result in a different URL"


def test_an_alias_has_its_own_url(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'v1'\n")
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    latest = client.create_function_url_config(FunctionName=name, AuthType="NONE")
    live = client.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert (
        live["FunctionArn"].endswith(f":function:{name}:live")
        and live["FunctionUrl"] != latest["FunctionUrl"]
    )
    assert (
        client.get_function_url_config(FunctionName=name, Qualifier="live")["FunctionUrl"]
        == live["FunctionUrl"]
    )
    assert len(client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]) == 2
    client.delete_function_url_config(FunctionName=live["FunctionArn"])  # a qualified ARN names the alias
    assert client.get_function_url_config(FunctionName=name)["FunctionUrl"] == latest["FunctionUrl"]


@pytest.mark.parametrize(
    ("call", "kwargs", "code"),
    [
        ("create", {"FunctionName": "missing", "AuthType": "NONE"}, "ResourceNotFoundException"),
        ("create", {"AuthType": "OPEN"}, "ValidationException"),
        ("create", {"AuthType": "NONE", "InvokeMode": "STREAM"}, "ValidationException"),
        ("create", {"AuthType": "NONE", "Qualifier": "1"}, "ValidationException"),
        ("create", {"AuthType": "NONE", "Qualifier": "nope"}, "ResourceNotFoundException"),
        ("create", {"AuthType": "NONE", "Cors": {"MaxAge": 86401}}, "ValidationException"),
        ("get", {}, "ResourceNotFoundException"),
        ("update", {"AuthType": "NONE"}, "ResourceNotFoundException"),
        ("delete", {}, "ResourceNotFoundException"),
    ],
)
def test_what_aws_refuses_is_refused(cloud, deploy, call, kwargs, code):
    name = deploy("def handler(e, c):\n    return 'ok'\n")
    operation = getattr(cloud.client("lambda"), f"{call}_function_url_config")
    with pytest.raises(ClientError) as raised:
        operation(**{"FunctionName": name, **kwargs})
    assert error_code(raised) == code


def test_a_second_url_for_the_same_function_conflicts(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'ok'\n")
    client = cloud.client("lambda")
    client.create_function_url_config(FunctionName=name, AuthType="NONE")
    with pytest.raises(ClientError) as raised:
        client.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert error_code(raised) == "ResourceConflictException"


def test_a_deleted_function_takes_its_url_along(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'ok'\n")
    url = public(cloud, name)
    client = cloud.client("lambda")
    code = client.get_function(FunctionName=name)["Configuration"]
    client.delete_function(FunctionName=name)
    with pytest.raises(ValueError, match="no function URL"):
        cloud.http_request("GET", url)
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=code["Role"],
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return 'new'\n"})},
    )
    with pytest.raises(ClientError) as raised:
        client.get_function_url_config(FunctionName=name)  # the new function has no URL yet
    assert error_code(raised) == "ResourceNotFoundException"
    assert URL.match(client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"])


# -- the data plane --------------------------------------------------------------------------------------
def test_the_event_is_the_function_url_payload(cloud, deploy):
    url = public(cloud, deploy(ECHO))
    response = cloud.http_request(
        "POST",
        url + "my/path?parameter1=value1&parameter1=value2&parameter2=value",
        {"Content-Type": "application/json", "Cookie": "cookie1=a; cookie2=b", "User-Agent": "agent"},
        '{"hello": "world"}',
    )
    assert response.status == 201
    event = response.json()
    host = url.removeprefix("https://").rstrip("/")
    url_id = host.split(".")[0]
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/my/path")
    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert event["cookies"] == ["cookie1=a", "cookie2=b"]
    assert event["headers"]["content-type"] == "application/json" and event["headers"]["host"] == host
    assert (
        event["headers"]["x-forwarded-for"] == "198.51.100.7"
        and event["headers"]["x-forwarded-proto"] == "https"
    )
    assert (event["body"], event["isBase64Encoded"]) == ('{"hello": "world"}', False)
    assert event["pathParameters"] is None and event["stageVariables"] is None
    context = event["requestContext"]
    assert (
        context["requestId"]
        == response.headers["x-amzn-requestid"]
        == cloud.trace.of_kind("invocation")[0]["request_id"]
    )
    assert (context["apiId"], context["domainPrefix"], context["domainName"]) == (url_id, url_id, host)
    assert (context["routeKey"], context["stage"], context["authentication"]) == (
        "$default",
        "$default",
        None,
    )
    assert context["accountId"] == cloud.account_id
    assert context["http"] == {
        "method": "POST",
        "path": "/my/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "agent",
    }


def test_a_binary_body_arrives_base64_encoded(cloud, deploy):
    url = public(cloud, deploy(ECHO))
    event = cloud.http_request("PUT", url, {"Content-Type": "application/octet-stream"}, b"\x00\xff").json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"


def test_the_answer_becomes_the_http_response(cloud, deploy):
    url = public(cloud, deploy(ECHO)).rstrip("/")
    custom = cloud.http_request("GET", url + "/order")
    assert custom.status == 201 and custom.headers["x-order-id"] == "o-1"
    assert custom.header_values("Set-Cookie") == ["Cookie_1=Value1; Max-Age=78000", "Cookie_2=Value2"]
    text = cloud.http_request("GET", url + "/text")  # "Example output for a string response"
    assert (text.status, text.headers["content-type"], text.body) == (
        200,
        "application/json",
        b'"Hello, world!"',
    )
    image = cloud.http_request("GET", url + "/image")
    assert image.body == b"\x89PNG" and image.headers["content-type"] == "image/png"
    assert image.headers["x-amzn-requestid"]


@pytest.mark.parametrize("path", ["/fail", "/malformed"])
def test_a_function_error_or_unreadable_answer_is_a_502(cloud, deploy, path):
    url = public(cloud, deploy(ECHO)).rstrip("/")
    response = cloud.http_request("GET", url + path)
    assert (response.status, response.body) == (502, b"Internal Server Error")


@pytest.mark.parametrize("grants", [(), ("url",), ("invoke",)])
def test_auth_type_none_needs_both_permissions(cloud, deploy, grants):
    name = deploy(ECHO)
    client = cloud.client("lambda")
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    if "url" in grants:
        client.add_permission(
            FunctionName=name,
            StatementId="u",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
    if "invoke" in grants:
        client.add_permission(
            FunctionName=name, StatementId="i", Action="lambda:InvokeFunction", Principal="*"
        )
    response = cloud.http_request("GET", url + "text")
    assert (response.status, response.body) == (403, b'{"Message":"Forbidden"}')
    assert cloud.trace.of_kind("invocation") == []


def test_a_permission_for_aws_iam_urls_does_not_open_a_none_url(cloud, deploy):
    name = deploy(ECHO)
    client = cloud.client("lambda")
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    client.add_permission(
        FunctionName=name,
        StatementId="u",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    client.add_permission(FunctionName=name, StatementId="i", Action="lambda:InvokeFunction", Principal="*")
    assert cloud.http_request("GET", url).status == 403


def test_aws_iam_refuses_unsigned_requests_and_says_signing_is_not_simulated(cloud, deploy):
    name = deploy(ECHO)
    url = cloud.client("lambda").create_function_url_config(FunctionName=name, AuthType="AWS_IAM")[
        "FunctionUrl"
    ]
    unsigned = cloud.http_request("GET", url)
    assert (unsigned.status, unsigned.body) == (403, b'{"Message":"Forbidden"}')
    signed = cloud.http_request(
        "GET",
        url,
        {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/lambda/aws4_request"},
    )
    assert signed.status == 500 and "valid on AWS, not simulated here" in signed.json()["Message"]
    assert cloud.trace.of_kind("invocation") == []


CORS = {
    "AllowOrigins": ["https://shop.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type"],
    "ExposeHeaders": ["x-order-id"],
    "AllowCredentials": True,
    "MaxAge": 300,
}


def test_cors_preflights_are_answered_by_lambda(cloud, deploy):
    url = public(cloud, deploy(ECHO), Cors=CORS)
    preflight = cloud.http_request(
        "OPTIONS", url, {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    assert preflight.headers["access-control-max-age"] == "300"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert cloud.trace.of_kind("invocation") == []


def test_configured_cors_headers_replace_the_functions_own(cloud, deploy):
    url = public(cloud, deploy(ECHO), Cors=CORS)
    allowed = cloud.http_request("GET", url + "order", {"Origin": "https://shop.example"})
    assert allowed.header_values("Access-Control-Allow-Origin") == ["https://shop.example"]
    assert allowed.headers["access-control-expose-headers"] == "x-order-id"
    other = cloud.http_request("GET", url + "order", {"Origin": "https://evil.example"})
    assert other.status == 201 and "access-control-allow-origin" not in other.headers


def test_reserved_concurrency_zero_deactivates_the_url(cloud, deploy):
    name = deploy(ECHO)
    url = public(cloud, name)
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    response = cloud.http_request("GET", url)
    assert response.status == 429
    assert cloud.trace.of_kind("invocation") == [] and len(cloud.trace.of_kind("throttle")) == 1


def test_response_stream_sends_a_python_answer_whole(cloud, deploy):
    url = public(cloud, deploy(ECHO), InvokeMode="RESPONSE_STREAM")
    response = cloud.http_request("GET", url + "text")
    assert (response.status, response.headers["content-type"]) == (200, "application/octet-stream")
    assert response.body == b'"Hello, world!"'


def test_an_alias_url_invokes_the_alias_and_needs_the_alias_permissions(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'v1'\n")
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    code = make_zip({"app.py": "def handler(e, c):\n    return 'v2'\n"})
    client.update_function_code(FunctionName=name, ZipFile=code)
    latest = public(cloud, name)
    live = client.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert (
        cloud.http_request("GET", live["FunctionUrl"]).status == 403
    )  # the function's grants are not the alias's
    for action, sid in (("lambda:InvokeFunctionUrl", "live-url"), ("lambda:InvokeFunction", "live-invoke")):
        client.add_permission(
            FunctionName=name, Qualifier="live", StatementId=sid, Action=action, Principal="*"
        )
    assert cloud.http_request("GET", live["FunctionUrl"]).json() == "v1"
    assert cloud.http_request("GET", latest).json() == "v2"


def test_an_unknown_url_names_no_function_url(cloud):
    with pytest.raises(ValueError, match="no function URL"):
        cloud.http_request("GET", "https://" + "a" * 32 + ".lambda-url.us-east-1.on.aws/")


def test_requests_are_traced_and_their_invocations_point_to_them(cloud, deploy):
    url = public(cloud, deploy(ECHO))
    cloud.http_request("GET", url + "text")
    cloud.http_request("GET", url + "fail")
    requests = cloud.trace.of_kind("apigateway_request")
    assert [(r["api_type"], r["stage"], r["path"], r["status"]) for r in requests] == [
        ("FunctionURL", "$default", "/text", 200),
        ("FunctionURL", "$default", "/fail", 502),
    ]
    assert requests[1]["reason"].startswith("the function failed")
    invocations = cloud.trace.of_kind("invocation")
    assert [entry["cause"] for entry in invocations] == [r["seq"] for r in requests]
    lines = [line for line in cloud.trace.timeline().splitlines() if "apigateway_request" in line]
    assert "api_type=FunctionURL method=GET path=/text status=200" in lines[0]


# -- CloudFormation and SAM (templates/fidelity/function_urls.yaml) ----------------------------------------
# aws-resource-lambda-url.html (GetAtt FunctionUrl / FunctionArn), sam-property-function-functionurlconfig.html
# (SAM makes <Function>Url and, for AuthType NONE, the permissions <Function>UrlPublicPermissions and
# <Function>URLInvokeAllowPublicAccess).
@pytest.fixture
def url_stack(cloud):
    from .test_cloudformation_fidelity import deploy_file

    return deploy_file(cloud, "function_urls.yaml")


def test_the_template_deploys_without_a_not_simulated_warning(cloud, url_stack):
    assert not [w for w in url_stack.warnings if "not simulated" in w.message]
    for output in ("EchoUrl", "StreamerUrl", "PausedUrl", "PrivateUrl", "ClosedUrl"):
        assert URL.match(url_stack.outputs[output]), output
    assert url_stack.outputs["PrivateUrlArn"].endswith(":live")
    echo = url_stack.physical_id("Echo")
    config = cloud.client("lambda").get_function_url_config(FunctionName=echo)
    assert config["Cors"]["AllowOrigins"] == ["https://shop.example"] and config["Cors"]["MaxAge"] == 300
    statements = json.loads(cloud.client("lambda").get_policy(FunctionName=echo)["Policy"])["Statement"]
    assert {s["Action"] for s in statements} == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}


def test_the_sam_function_url_answers_with_cors(cloud, url_stack):
    url = url_stack.outputs["EchoUrl"]
    response = cloud.http_request("POST", url + "orders", {"Origin": "https://shop.example"}, "{}")
    assert response.status == 201 and response.json()["event"]["rawPath"] == "/orders"
    assert response.header_values("Access-Control-Allow-Origin") == ["https://shop.example"]
    assert cloud.http_request("GET", url + "fail").status == 502
    preflight = cloud.http_request(
        "OPTIONS", url, {"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status == 204 and preflight.headers["access-control-max-age"] == "300"


def test_the_templates_other_urls_behave_as_configured(cloud, url_stack):
    streamed = cloud.http_request("GET", url_stack.outputs["StreamerUrl"])
    assert (streamed.status, streamed.body) == (200, b'{"statusCode": 202, "body": "all at once"}')
    assert cloud.http_request("GET", url_stack.outputs["PausedUrl"]).status == 429
    assert cloud.http_request("GET", url_stack.outputs["PrivateUrl"]).status == 403  # AWS_IAM, unsigned
    assert cloud.http_request("GET", url_stack.outputs["ClosedUrl"]).status == 403  # NONE without a grant


def test_a_scenario_calls_a_function_url(cloud, url_stack):
    import io

    from labs.runtime.scenario import load_scenario, run_scenario

    out = io.StringIO()
    steps = load_scenario(
        "- call-api: {function-url: EchoUrl, path: /text}\n- call-api: {function-url: Nope, path: /}"
    )
    with pytest.raises(Exception, match="no function URL of the stack"):
        run_scenario(cloud, url_stack, steps, out)
    assert out.getvalue().startswith("steps[0] call-api: HttpResponse(status=200")
    assert "Hello, world!" in out.getvalue()


def test_a_rolled_back_stack_deletes_its_function_url(cloud):
    from labs.runtime.cloudformation import TemplateError, deploy

    from .test_cloudformation_fidelity import FIDELITY

    text = (FIDELITY / "function_urls.yaml").read_text().replace("Qualifier: live", "Qualifier: gone")
    with pytest.raises(TemplateError) as raised:
        deploy(cloud, text, code_dir=FIDELITY)
    assert "Alias not found" in str(raised.value) and "ROLLBACK_COMPLETE" in str(raised.value)
    assert cloud.client("lambda").list_functions()["Functions"] == []


SINGLE_URL = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"path": event["rawPath"]}
      FunctionUrlConfig:
        AuthType: NONE
"""


def test_a_stack_whose_only_endpoint_is_a_function_url_needs_no_field(cloud):
    import io

    from labs.runtime.cloudformation import deploy
    from labs.runtime.scenario import load_scenario, run_scenario

    stack = deploy(cloud, SINGLE_URL)
    out = io.StringIO()
    url = stack.resources["HelloUrl"].attributes["FunctionUrl"]
    steps = load_scenario(f"- call-api: {{path: /a}}\n- call-api: {{function-url: '{url}', path: b}}")
    run_scenario(cloud, stack, steps, out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("steps[0] call-api: HttpResponse(status=200") and '"/a"' in lines[0]
    assert lines[1].startswith("steps[1] call-api: HttpResponse(status=200") and '"/b"' in lines[1]


def test_a_deleted_alias_takes_its_url_along(cloud, deploy):
    name = deploy("def handler(e, c):\n    return 'v1'\n")
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    url = public(cloud, name, Qualifier="live")
    assert cloud.http_request("GET", url).json() == "v1"
    client.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ValueError, match="no function URL"):
        cloud.http_request("GET", url)
