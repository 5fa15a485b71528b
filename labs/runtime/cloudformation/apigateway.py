"""API Gateway resources (REST APIs and HTTP APIs) created through the account's boto3 clients.

SAM's ``Api`` and ``HttpApi`` events produce an API whose routes live in an OpenAPI ``Body`` (paths with
``x-amazon-apigateway-integration``). API Gateway imports that body itself; here it is turned into the
equivalent calls (CreateResource / PutMethod / PutIntegration, or CreateIntegration / CreateRoute) so the
routes are visible through the ordinary API, exactly as an imported API's would be.
"""

from __future__ import annotations

import re
from typing import Any

from labs.runtime.apigateway.aws_call import REST_SERVICES
from labs.runtime.apigateway.caching import stage_setting_patches
from labs.runtime.apigateway.openapi_auth import (
    http_authorizers,
    http_route_auth,
    rest_authorizers,
    rest_method_auth,
    security_schemes,
)
from labs.runtime.apigateway.service_integrations import SUBTYPES
from labs.runtime.cloudformation.resources import Created, Provisioner, ResourceFailure, not_simulated

__all__ = ["HANDLERS"]

_EXECUTE_API = re.compile(r"^https?://[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/|$)")
_HTTP_METHODS = {"get", "post", "put", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}


def _method_name(openapi_method: str) -> str:
    return "ANY" if openapi_method == "x-amazon-apigateway-any-method" else openapi_method.upper()


def _warn_body(ctx: Provisioner, logical_id: str, body: Any, kind: str) -> None:
    """Warnings for what an OpenAPI body asks of API Gateway that the data plane does not do."""
    if not isinstance(body, dict):
        return
    for name, scheme in security_schemes(body).items():
        if (
            scheme.get("type") in ("oauth2", "openIdConnect")
            and "x-amazon-apigateway-authorizer" not in scheme
        ):
            not_simulated(
                ctx,
                logical_id,
                f"the {scheme['type']} scheme {name} (API Gateway uses none without an x-amazon-apigateway-authorizer)",
            )
        elif str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4":
            not_simulated(
                ctx,
                logical_id,
                f"IAM authorization (the sigv4 scheme {name}): requests to its methods answer 500",
            )
    handled = {"x-amazon-apigateway-cors", "x-amazon-apigateway-binary-media-types"}
    for key in sorted(k for k in body if str(k).startswith("x-amazon-apigateway-") and k not in handled):
        not_simulated(ctx, logical_id, f"{key} in the OpenAPI body")
    for path, method, operation in _operations(body, logical_id):
        integration = operation.get("x-amazon-apigateway-integration")
        if isinstance(integration, dict):
            kind_written = str(integration.get("type", "aws_proxy")).upper()
            subtype = integration.get("integrationSubtype")
            _warn_integration(
                ctx, logical_id, kind, kind_written, integration.get("uri"), subtype, f"{method} {path}"
            )


def _warn_integration(
    ctx, logical_id: str, kind: str, type_: str, uri: Any, subtype: Any, where: str
) -> None:
    """A warning for an integration the data plane does not serve. REST APIs serve AWS integrations of the
    services in REST_SERVICES and Lambda, MOCK, and HTTP / HTTP_PROXY to APIs of the account; HTTP APIs their
    subtypes and HTTP_PROXY to APIs of the account (the sandbox has no internet)."""
    uri = str(uri or "")
    service = uri.split(":")[4:5]
    if kind == "REST API" and type_ == "AWS" and service and service[0] in (*REST_SERVICES, "lambda"):
        return
    if kind == "REST API" and type_ == "MOCK":
        return
    if type_ == "AWS_PROXY" and (not subtype or subtype in SUBTYPES):
        return
    described = f"{type_} ({subtype})" if subtype else type_
    if type_ == "HTTP_PROXY" or (kind == "REST API" and type_ == "HTTP"):
        if _EXECUTE_API.match(uri):
            return
        described = f"{type_} to {uri} (the sandbox has no internet; APIs of this account are served)"
    not_simulated(ctx, logical_id, f"{kind} integrations of type {described} ({where}): requests answer 500")


def _operations(body: Any, logical_id: str):
    if not isinstance(body, dict):
        raise ResourceFailure("Body must be an OpenAPI document (an object)")
    for path, item in (body.get("paths") or {}).items():
        if not isinstance(item, dict):
            raise ResourceFailure(f"Body.paths.{path} must be an object")
        for method, operation in item.items():
            if method.lower() in _HTTP_METHODS and isinstance(operation, dict):
                yield path, _method_name(method.lower()), operation


# -- REST APIs (v1) ----------------------------------------------------------------------------------------
def _rest_api(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    apigateway = ctx.client("apigateway")
    body = props.get("Body")
    if "BodyS3Location" in props:
        raise ResourceFailure("BodyS3Location is not simulated: put the OpenAPI document in Body")
    title = ((body or {}).get("info") or {}).get("title") if isinstance(body, dict) else None
    params: dict[str, Any] = {"name": props.get("Name") or title or logical_id}
    if "Description" in props:
        params["description"] = props["Description"]
    if "EndpointConfiguration" in props:
        params["endpointConfiguration"] = {"types": props["EndpointConfiguration"].get("Types", ["EDGE"])}
    if "BinaryMediaTypes" in props:
        params["binaryMediaTypes"] = props["BinaryMediaTypes"]
    _warn_body(ctx, logical_id, body, "REST API")
    if isinstance(body, dict) and body.get("x-amazon-apigateway-binary-media-types"):
        params.setdefault("binaryMediaTypes", body["x-amazon-apigateway-binary-media-types"])
    api_id = apigateway.create_rest_api(**params)["id"]
    ctx.began(api_id)
    resources = {item["path"]: item["id"] for item in apigateway.get_resources(restApiId=api_id)["items"]}
    root_id = resources["/"]
    if body is not None:
        warn = lambda feature: not_simulated(ctx, logical_id, feature)  # noqa: E731
        authorizers = rest_authorizers(apigateway, api_id, body, warn)
        for path, method, operation in _operations(body, logical_id):
            resource_id = _rest_resource(apigateway, api_id, resources, path)
            auth = rest_method_auth(body, operation, authorizers)
            _rest_method(apigateway, api_id, resource_id, method, operation, auth)
    for name in sorted(
        set(props) - {"Name", "Body", "Description", "EndpointConfiguration", "BinaryMediaTypes", "Tags"}
    ):
        ctx.warn(logical_id, f"property {name} is not simulated and was ignored")
    return Created(api_id, {"RootResourceId": root_id, "RestApiId": api_id})


def _rest_resource(apigateway, api_id: str, resources: dict[str, str], path: str) -> str:
    """The id of ``path``'s resource, creating it and its missing parents (one per path segment)."""
    if path in resources:
        return resources[path]
    parent_path, _, part = path.rstrip("/").rpartition("/")
    parent_id = _rest_resource(apigateway, api_id, resources, parent_path or "/")
    resources[path] = apigateway.create_resource(restApiId=api_id, parentId=parent_id, pathPart=part)["id"]
    return resources[path]


def _rest_method(apigateway, api_id: str, resource_id: str, method: str, operation: dict, auth: dict) -> None:
    apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, **auth)
    integration = operation.get("x-amazon-apigateway-integration")
    if not isinstance(integration, dict):
        return
    params: dict[str, Any] = {
        "restApiId": api_id,
        "resourceId": resource_id,
        "httpMethod": method,
        "type": str(integration.get("type", "aws_proxy")).upper(),
    }
    for openapi_key, api_key in (
        ("httpMethod", "integrationHttpMethod"),
        ("uri", "uri"),
        ("credentials", "credentials"),
        ("requestTemplates", "requestTemplates"),
        ("passthroughBehavior", "passthroughBehavior"),
        ("requestParameters", "requestParameters"),
        ("cacheKeyParameters", "cacheKeyParameters"),
        ("cacheNamespace", "cacheNamespace"),
        ("contentHandling", "contentHandling"),
    ):
        if openapi_key in integration:
            params[api_key] = integration[openapi_key]
    apigateway.put_integration(**params)
    # responses: {selection pattern or "default": {statusCode, responseTemplates}} (api-gateway-swagger-extensions)
    for pattern, response in (integration.get("responses") or {}).items():
        if not isinstance(response, dict):
            continue
        status = str(response.get("statusCode", "200"))
        apigateway.put_method_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=status
        )
        extra: dict[str, Any] = {} if pattern == "default" else {"selectionPattern": pattern}
        for key in ("responseTemplates", "responseParameters", "contentHandling"):
            if key in response:
                extra[key] = response[key]
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=status, **extra
        )


def _resource(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    created = ctx.client("apigateway").create_resource(
        restApiId=props["RestApiId"], parentId=props["ParentId"], pathPart=props["PathPart"]
    )
    return Created(created["id"], {"ResourceId": created["id"]})


def _method(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    apigateway = ctx.client("apigateway")
    api_id, resource_id, method = props["RestApiId"], props["ResourceId"], props["HttpMethod"].upper()
    params: dict[str, Any] = {
        "restApiId": api_id,
        "resourceId": resource_id,
        "httpMethod": method,
        "authorizationType": props.get("AuthorizationType", "NONE"),
    }
    for cfn_key, api_key in (
        ("ApiKeyRequired", "apiKeyRequired"),
        ("RequestParameters", "requestParameters"),
        ("AuthorizerId", "authorizerId"),
        ("OperationName", "operationName"),
    ):
        if cfn_key in props:
            params[api_key] = props[cfn_key]
    apigateway.put_method(**params)
    integration = props.get("Integration")
    if integration:
        call: dict[str, Any] = {
            "restApiId": api_id,
            "resourceId": resource_id,
            "httpMethod": method,
            "type": integration.get("Type", "AWS_PROXY"),
        }
        for cfn_key, api_key in (
            ("IntegrationHttpMethod", "integrationHttpMethod"),
            ("Uri", "uri"),
            ("Credentials", "credentials"),
            ("RequestTemplates", "requestTemplates"),
            ("PassthroughBehavior", "passthroughBehavior"),
            ("RequestParameters", "requestParameters"),
            ("CacheKeyParameters", "cacheKeyParameters"),
            ("CacheNamespace", "cacheNamespace"),
            ("ContentHandling", "contentHandling"),
        ):
            if cfn_key in integration:
                call[api_key] = integration[cfn_key]
        _warn_integration(
            ctx, logical_id, "REST API", str(call["type"]).upper(), integration.get("Uri"), None, method
        )
        apigateway.put_integration(**call)
        for response in integration.get("IntegrationResponses") or []:
            apigateway.put_integration_response(
                restApiId=api_id,
                resourceId=resource_id,
                httpMethod=method,
                statusCode=str(response.get("StatusCode", "200")),
                **{
                    api_key: response[cfn_key]
                    for cfn_key, api_key in (
                        ("ResponseTemplates", "responseTemplates"),
                        ("SelectionPattern", "selectionPattern"),
                        ("ResponseParameters", "responseParameters"),
                        ("ContentHandling", "contentHandling"),
                    )
                    if cfn_key in response
                },
            )
    for response in props.get("MethodResponses") or []:
        apigateway.put_method_response(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
            statusCode=str(response.get("StatusCode", "200")),
        )
    return Created(f"{api_id}|{resource_id}|{method}")


def _deployment(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params: dict[str, Any] = {"restApiId": props["RestApiId"]}
    if "StageName" in props:
        params["stageName"] = props["StageName"]
    if "Description" in props:
        params["description"] = props["Description"]
    deployment = ctx.client("apigateway").create_deployment(**params)
    return Created(deployment["id"], {"DeploymentId": deployment["id"]})


def _stage(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    apigateway = ctx.client("apigateway")
    api_id, name = props["RestApiId"], props.get("StageName") or logical_id
    existing = {stage["stageName"] for stage in apigateway.get_stages(restApiId=api_id).get("item", [])}
    if name in existing:  # a Deployment with StageName already made it (SAM's "Stage" stage does this)
        apigateway.update_stage(
            restApiId=api_id,
            stageName=name,
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": props["DeploymentId"]}],
        )
    else:
        params: dict[str, Any] = {
            "restApiId": api_id,
            "stageName": name,
            "deploymentId": props["DeploymentId"],
        }
        if props.get("Variables"):
            params["variables"] = props["Variables"]
        apigateway.create_stage(**params)
    patches = stage_setting_patches(props)
    if patches:
        apigateway.update_stage(restApiId=api_id, stageName=name, patchOperations=patches)
    return Created(name)


# -- HTTP APIs (v2) ----------------------------------------------------------------------------------------
def _http_api(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    apigatewayv2 = ctx.client("apigatewayv2")
    body = props.get("Body")
    if "BodyS3Location" in props:
        raise ResourceFailure("BodyS3Location is not simulated: put the OpenAPI document in Body")
    title = ((body or {}).get("info") or {}).get("title") if isinstance(body, dict) else None
    params: dict[str, Any] = {
        "Name": props.get("Name") or title or logical_id,
        "ProtocolType": props.get("ProtocolType", "HTTP"),
    }
    for key in ("Description", "RouteKey", "Target", "RouteSelectionExpression", "DisableExecuteApiEndpoint"):
        if key in props:
            params[key] = props[key]
    if "CorsConfiguration" in props:
        params["CorsConfiguration"] = props["CorsConfiguration"]
    elif isinstance(body, dict) and isinstance(body.get("x-amazon-apigateway-cors"), dict):
        # the extension's keys are CorsConfiguration's in camel case (http-api-open-api.html)
        params["CorsConfiguration"] = {
            k[:1].upper() + k[1:]: v for k, v in body["x-amazon-apigateway-cors"].items()
        }
    _warn_body(ctx, logical_id, body, "HTTP API")
    handled = {"Name", "Body", "ProtocolType", "CorsConfiguration", "Tags", "FailOnWarnings"}
    for key in sorted(set(props) - handled - set(params)):
        ctx.warn(logical_id, f"property {key} is not simulated and was ignored")
    api = apigatewayv2.create_api(**params)
    ctx.began(api["ApiId"])
    if body is not None:
        warn = lambda feature: not_simulated(ctx, logical_id, feature)  # noqa: E731
        authorizers = http_authorizers(apigatewayv2, api["ApiId"], body, warn)
        for path, method, operation in _operations(body, logical_id):
            integration = operation.get("x-amazon-apigateway-integration")
            route: dict[str, Any] = {
                "ApiId": api["ApiId"],
                "RouteKey": "$default" if path in ("$default", "/$default") else f"{method} {path}",
                **http_route_auth(body, operation, authorizers),
            }
            if isinstance(integration, dict):
                created = apigatewayv2.create_integration(**_v2_integration(api["ApiId"], integration))
                route["Target"] = f"integrations/{created['IntegrationId']}"
            apigatewayv2.create_route(**route)
    return Created(api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": api.get("ApiEndpoint", "")})


def _v2_integration(api_id: str, integration: dict) -> dict[str, Any]:
    """CreateIntegration's parameters for an OpenAPI ``x-amazon-apigateway-integration`` (http-api-open-api.html):
    a Lambda proxy, or an AWS service integration (``integrationSubtype``, ``requestParameters``, ``credentials``)."""
    params: dict[str, Any] = {
        "ApiId": api_id,
        "IntegrationType": str(integration.get("type", "aws_proxy")).upper(),
        "PayloadFormatVersion": str(integration.get("payloadFormatVersion", "2.0")),
    }
    if "integrationSubtype" in integration:
        params["IntegrationSubtype"] = integration["integrationSubtype"]
        params["PayloadFormatVersion"] = "1.0"  # the only version AWS service integrations take
    else:
        params["IntegrationUri"] = integration.get("uri", "")
        params["IntegrationMethod"] = integration.get("httpMethod", "POST")
    for openapi_key, api_key in (
        ("requestParameters", "RequestParameters"),
        ("credentials", "CredentialsArn"),
    ):
        if openapi_key in integration:
            params[api_key] = integration[openapi_key]
    return params


def _v2_call(operation: str, id_key: str):
    def handler(ctx: Provisioner, logical_id: str, props: dict) -> Created:
        client = ctx.client("apigatewayv2")
        members = client.meta.service_model.operation_model(operation).input_shape.members
        params = {key: value for key, value in props.items() if key in members}
        for name in sorted(set(props) - set(params)):
            ctx.warn(logical_id, f"property {name} is not simulated and was ignored")
        method = getattr(
            client, "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        )
        created = method(**params)
        return Created(str(created[id_key]), {id_key: created[id_key]})

    return handler


def _authorizer(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    """AWS::ApiGateway::Authorizer (aws-resource-apigateway-authorizer.html): properties are CreateAuthorizer's."""
    params: dict[str, Any] = {"restApiId": props["RestApiId"], "name": props.get("Name") or logical_id}
    for cfn_key in (
        "Type",
        "AuthorizerUri",
        "AuthorizerCredentials",
        "IdentitySource",
        "IdentityValidationExpression",
        "AuthorizerResultTtlInSeconds",
        "ProviderARNs",
        "AuthType",
    ):
        if cfn_key in props:
            params[cfn_key[:1].lower() + cfn_key[1:]] = props[cfn_key]
    if str(props.get("Type")) == "COGNITO_USER_POOLS":
        not_simulated(ctx, logical_id, "Cognito user pool authorizers: requests to their methods answer 500")
    created = ctx.client("apigateway").create_authorizer(**params)
    return Created(created["id"], {"AuthorizerId": created["id"]})


# -- API keys and usage plans -------------------------------------------------------------------------------
def _api_key(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params: dict[str, Any] = {"name": props.get("Name") or ctx.name(logical_id, 128)}
    for cfn_key, api_key in (
        ("Description", "description"),
        ("Enabled", "enabled"),
        ("Value", "value"),
        ("GenerateDistinctId", "generateDistinctId"),
    ):
        if cfn_key in props:
            params[api_key] = props[cfn_key]
    stage_keys = [
        {"restApiId": key.get("RestApiId"), "stageName": key.get("StageName")}
        for key in props.get("StageKeys") or []
        if isinstance(key, dict)
    ]
    if stage_keys:
        params["stageKeys"] = stage_keys
    key = ctx.client("apigateway").create_api_key(**params)
    return Created(key["id"], {"APIKeyId": key["id"]})


def _usage_plan(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    def lower(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].lower() + k[1:]: lower(v) for k, v in value.items()}
        return [lower(item) for item in value] if isinstance(value, list) else value

    params: dict[str, Any] = {"name": props.get("UsagePlanName") or ctx.name(logical_id, 128)}
    for cfn_key in ("Description", "ApiStages", "Throttle", "Quota"):
        if cfn_key in props:
            params[cfn_key[:1].lower() + cfn_key[1:]] = lower(props[cfn_key])
    plan = ctx.client("apigateway").create_usage_plan(**params)
    return Created(plan["id"], {"Id": plan["id"]})


def _usage_plan_key(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    created = ctx.client("apigateway").create_usage_plan_key(
        usagePlanId=props["UsagePlanId"], keyId=props["KeyId"], keyType=props.get("KeyType", "API_KEY")
    )
    return Created(created["id"], {"Id": created["id"]})


HANDLERS = {
    "AWS::ApiGateway::ApiKey": _api_key,
    "AWS::ApiGateway::UsagePlan": _usage_plan,
    "AWS::ApiGateway::UsagePlanKey": _usage_plan_key,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Resource": _resource,
    "AWS::ApiGateway::Method": _method,
    "AWS::ApiGateway::Deployment": _deployment,
    "AWS::ApiGateway::Stage": _stage,
    "AWS::ApiGateway::Authorizer": _authorizer,
    "AWS::ApiGatewayV2::Authorizer": _v2_call("CreateAuthorizer", "AuthorizerId"),
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::ApiGatewayV2::Integration": _v2_call("CreateIntegration", "IntegrationId"),
    "AWS::ApiGatewayV2::Route": _v2_call("CreateRoute", "RouteId"),
    "AWS::ApiGatewayV2::Stage": _v2_call("CreateStage", "StageName"),
    "AWS::ApiGatewayV2::Deployment": _v2_call("CreateDeployment", "DeploymentId"),
}
