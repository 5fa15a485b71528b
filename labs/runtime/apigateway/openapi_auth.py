"""Authorizers declared in an OpenAPI body, made into the API's authorizers and given to its methods and routes.

What API Gateway imports (api-gateway-swagger-extensions-authorizer.html, api-gateway-swagger-extensions-authtype.html,
http-api-open-api.html) and AWS SAM writes for an ``Auth`` section (sam-property-api-apiauth.html): a security
scheme (``securityDefinitions`` in Swagger 2, ``components.securitySchemes`` in OpenAPI 3) with an
``x-amazon-apigateway-authorizer`` of type ``token`` / ``request`` (a Lambda authorizer: ``authorizerUri``,
``identitySource``, ``authorizerResultTtlInSeconds``, ``identityValidationExpression``,
``authorizerCredentials``; a token authorizer reads the header the scheme names), ``cognito_user_pools``
(``providerARNs``) or, on HTTP APIs, ``jwt`` (``jwtConfiguration``). An operation's ``security`` (else the
body's top-level ``security``) names the schemes it uses: a Lambda or Cognito authorizer, an API key scheme
(``type: apiKey``, ``name: x-api-key`` without an authorizer) for ``apiKeyRequired``, ``sigv4`` for IAM; SAM's
``NONE`` opens it. Lambda authorizers are then served as any other (``apigateway/access.py``); Cognito, JWT and
IAM authorization are created as AWS would and answer a 500 saying they are not simulated.
"""

from __future__ import annotations

from typing import Any

__all__ = ["http_authorizers", "http_route_auth", "rest_authorizers", "rest_method_auth", "security_schemes"]

_REST_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}


def security_schemes(body: Any) -> dict[str, dict]:
    """The body's security schemes by name (Swagger 2 and OpenAPI 3 alike)."""
    if not isinstance(body, dict):
        return {}
    components = body.get("components") if isinstance(body.get("components"), dict) else {}
    schemes = {**(components.get("securitySchemes") or {}), **(body.get("securityDefinitions") or {})}
    return {name: scheme for name, scheme in schemes.items() if isinstance(scheme, dict)}


def _requirements(body: dict, operation: dict) -> list[str]:
    """The scheme names an operation requires: its own ``security``, else the body's."""
    security = operation.get("security", body.get("security")) or []
    names: list[str] = []
    for requirement in security if isinstance(security, list) else []:
        if isinstance(requirement, dict):
            names += [str(name) for name in requirement]
    return names


def _is_api_key(scheme: dict) -> bool:
    return (
        scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and "x-amazon-apigateway-authorizer" not in scheme
    )


def _is_sigv4(scheme: dict) -> bool:
    return str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4"


def rest_authorizers(apigateway: Any, api_id: str, body: Any, warn) -> dict[str, tuple[str, str]]:
    """Create the REST API's authorizers; {scheme name: (authorizationType, authorizer id)}."""
    made = {}
    for name, scheme in security_schemes(body).items():
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not isinstance(spec, dict):
            continue
        kind = _REST_TYPES.get(str(spec.get("type", "")).lower())
        if kind is None:
            warn(
                f"the authorizer {name} of type {spec.get('type')!r}: REST APIs take token, request or cognito_user_pools"
            )
            continue
        params: dict[str, Any] = {"restApiId": api_id, "name": name, "type": kind}
        for key, api_key in (
            ("authorizerUri", "authorizerUri"),
            ("authorizerCredentials", "authorizerCredentials"),
            ("identityValidationExpression", "identityValidationExpression"),
            ("authorizerResultTtlInSeconds", "authorizerResultTtlInSeconds"),
            ("providerARNs", "providerARNs"),
        ):
            if key in spec:
                params[api_key] = spec[key]
        source = spec.get("identitySource")
        if source is None and kind in ("TOKEN", "COGNITO_USER_POOLS"):
            source = f"method.request.header.{scheme.get('name') or 'Authorization'}"
        if source is not None:
            params["identitySource"] = ", ".join(source) if isinstance(source, list) else str(source)
        method_type = "CUSTOM" if kind in ("TOKEN", "REQUEST") else kind  # a method's authorizationType
        made[name] = (method_type, apigateway.create_authorizer(**params)["id"])
        if kind == "COGNITO_USER_POOLS":
            warn(f"the Cognito user pool authorizer {name}: requests to its methods answer 500")
    return made


def rest_method_auth(body: dict, operation: dict, authorizers: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """PutMethod's authorization parameters for ``operation``."""
    schemes = security_schemes(body)
    params: dict[str, Any] = {"authorizationType": "NONE", "apiKeyRequired": False}
    for name in _requirements(body, operation):
        scheme = schemes.get(name, {})
        if name in authorizers:
            params["authorizationType"], params["authorizerId"] = authorizers[name]
        elif _is_api_key(scheme) or name.lower() == "api_key":
            params["apiKeyRequired"] = True
        elif _is_sigv4(scheme) or "sigv4" in name.lower():
            params["authorizationType"] = "AWS_IAM"
    return params


def http_authorizers(apigatewayv2: Any, api_id: str, body: Any, warn) -> dict[str, tuple[str, str]]:
    """Create the HTTP API's authorizers; {scheme name: (AuthorizationType, authorizer id)}."""
    made = {}
    for name, scheme in security_schemes(body).items():
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not isinstance(spec, dict):
            continue
        kind = str(spec.get("type", "")).lower()
        params: dict[str, Any] = {"ApiId": api_id, "Name": name}
        if kind == "request":
            params["AuthorizerType"] = "REQUEST"
            for key, api_key in (
                ("authorizerUri", "AuthorizerUri"),
                ("authorizerCredentials", "AuthorizerCredentialsArn"),
                ("authorizerPayloadFormatVersion", "AuthorizerPayloadFormatVersion"),
                ("enableSimpleResponses", "EnableSimpleResponses"),
                ("authorizerResultTtlInSeconds", "AuthorizerResultTtlInSeconds"),
            ):
                if key in spec:
                    params[api_key] = spec[key]
            source = spec.get("identitySource") or []
            params["IdentitySource"] = (
                source if isinstance(source, list) else [s.strip() for s in str(source).split(",")]
            )
            made[name] = ("CUSTOM", apigatewayv2.create_authorizer(**params)["AuthorizerId"])
        elif kind == "jwt":
            config = spec.get("jwtConfiguration") or {}
            params.update(
                AuthorizerType="JWT",
                IdentitySource=[str(spec.get("identitySource") or "$request.header.Authorization")],
                JwtConfiguration={
                    "Audience": config.get("audience") or [],
                    "Issuer": config.get("issuer", ""),
                },
            )
            made[name] = ("JWT", apigatewayv2.create_authorizer(**params)["AuthorizerId"])
            warn(f"the JWT authorizer {name}: requests to its routes answer 500")
        else:
            warn(f"the authorizer {name} of type {spec.get('type')!r}: HTTP APIs take request or jwt")
    return made


def http_route_auth(body: dict, operation: dict, authorizers: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """CreateRoute's authorization parameters for ``operation``."""
    schemes = security_schemes(body)
    for name in _requirements(body, operation):
        if name in authorizers:
            kind, authorizer_id = authorizers[name]
            return {"AuthorizationType": kind, "AuthorizerId": authorizer_id}
        if _is_sigv4(schemes.get(name, {})) or "sigv4" in name.lower():
            return {"AuthorizationType": "AWS_IAM"}
    return {}
