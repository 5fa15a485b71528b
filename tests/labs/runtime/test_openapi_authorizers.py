"""Issue 15: authorizers declared in an OpenAPI body are simulated as SAM's ``Auth`` ones are, driven end to end
through ``templates/fidelity/openapi_authorizers.yaml``. Pages: api-gateway-swagger-extensions-authorizer.html,
apigateway-use-lambda-authorizer.html (401 without the token or when it fails the validation expression, 403
with AWS's messages for a policy that denies), http-api-lambda-authorizer.html (simple responses)."""

import json
from pathlib import Path

import pytest

from labs.runtime.cloudformation import deploy

FIDELITY = Path(__file__).parent / "templates" / "fidelity"
DENIED = "User is not authorized to access this resource with an explicit deny"


@pytest.fixture
def guarded(cloud):
    text = (FIDELITY / "openapi_authorizers.yaml").read_text()
    return deploy(cloud, text, code_dir=FIDELITY, template_file="openapi_authorizers.yaml")


def get(cloud, stack, api: str, path: str, headers: dict | None = None, stage: str = "v1"):
    host = f"https://{stack.physical_id(api)}.execute-api.us-east-1.amazonaws.com"
    return cloud.http_request(
        "GET", f"{host}/{stage}{path}" if stage else f"{host}{path}", headers=headers or {}
    )


def authorizer_ran(cloud) -> bool:
    return cloud.trace.of_kind("apigateway_request")[-1].get("authorizer") == "invoked"


@pytest.mark.parametrize("api", ["Api", "SamApi"])
def test_a_token_authorizer_of_the_body_guards_like_one_of_sams_auth(cloud, guarded, api):
    allowed = get(cloud, guarded, api, "/token", {"Authorization": "Bearer allow"})
    assert allowed.status == 200 and allowed.json()["authorizer"]["who"] == "token"
    assert allowed.json()["authorizer"]["principalId"] == "alice"
    for headers in ({}, {"Authorization": "nope"}):  # missing, or failing identityValidationExpression
        refused = get(cloud, guarded, api, "/token", headers)
        assert refused.status == 401 and refused.json() == {"message": "Unauthorized"}
        assert not authorizer_ran(cloud)
    denied = get(cloud, guarded, api, "/token", {"Authorization": "Bearer deny"})
    assert denied.status == 403 and denied.json() == {"message": DENIED}


@pytest.mark.parametrize(("api", "path"), [("Api", "/request"), ("Plain", "/me")])
def test_a_request_authorizer_reads_its_identity_source(cloud, guarded, api, path):
    assert get(cloud, guarded, api, path, {"x-user": "alice"}).status == 200
    assert get(cloud, guarded, api, path, {"x-user": "bob"}).json() == {"message": DENIED}
    missing = get(cloud, guarded, api, path)
    assert missing.status in (401, 403)  # 401 with caching (Api), the authorizer decides without it (Plain)


def test_an_operation_can_open_what_the_body_guards_and_require_an_api_key(cloud, guarded):
    assert get(cloud, guarded, "Api", "/open").status == 200
    keyed = get(cloud, guarded, "Api", "/keyed")
    assert keyed.status == 403 and keyed.json() == {"message": "Forbidden"}


def test_a_cognito_authorizer_is_warned_and_its_methods_answer_500_saying_so(cloud, guarded):
    [warning] = [w.message for w in guarded.warnings if "Cognito" in w.message]
    assert "not simulated here: the Cognito user pool authorizer pool" in warning
    answer = get(cloud, guarded, "Api", "/pool", {"Authorization": "token"})
    assert answer.status == 500
    assert answer.json()["message"].endswith(
        "valid on AWS, not simulated here: Cognito user pool authorizers"
    )
    # the Lambda authorizers are simulated: the Cognito one is the only thing warned about
    assert [w.message for w in guarded.warnings if "not simulated" in w.message] == [warning]


def test_an_http_api_request_authorizer_with_simple_responses(cloud, guarded):
    allowed = get(cloud, guarded, "Http", "/me", {"Authorization": "letmein"}, stage="")
    assert allowed.status == 200 and allowed.json()["authorizer"] == {"lambda": {"who": "http"}}
    assert get(cloud, guarded, "Http", "/me", {"Authorization": "no"}, stage="").status == 403
    assert get(cloud, guarded, "Http", "/me", stage="").json() == {"message": "Unauthorized"}


def test_jwt_and_iam_authorization_answer_500_saying_not_simulated(cloud):
    body = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "components": {
            "securitySchemes": {
                "jwt": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"audience": ["a"], "issuer": "https://issuer.example.com"},
                    },
                },
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
            }
        },
        "paths": {
            "/jwt": {"get": {"security": [{"jwt": []}], "x-amazon-apigateway-integration": {"type": "mock"}}},
            "/iam": {"get": {"security": [{"sigv4": []}]}},
        },
    }
    template = {"Resources": {"Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": body}}}}
    stack = deploy(cloud, json.dumps(template))
    warnings = " ".join(w.message for w in stack.warnings)
    assert "the JWT authorizer jwt" in warnings and "IAM authorization (the sigv4 scheme sigv4)" in warnings
    api = stack.physical_id("Http")
    cloud.client("apigatewayv2").create_stage(ApiId=api, StageName="$default")
    for path, feature in (("/jwt", "JWT authorizers"), ("/iam", "IAM authorization")):
        answer = cloud.http_request("GET", path, api_id=api)
        assert answer.status == 500 and feature in answer.json()["message"]
