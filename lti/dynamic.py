"""LTI Dynamic Registration (IMS LTI Dynamic Registration 1.0): the LMS administrator pastes our
registration URL; the LMS opens it with ``openid_configuration`` and ``registration_token``; we read the
platform's configuration, register ourselves at its registration endpoint and save the platform.

The URL carries a single-use invite made by our staff (``RegistrationInvite``), so that not just anyone
who finds /lti/register/ can make us trust a new issuer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.utils import timezone

from .http import TimeoutSession
from .models import Platform, RegistrationInvite
from .services import RegistrationError, check_url, platform_register

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


def invite_check(token: str) -> RegistrationInvite:
    invite = RegistrationInvite.objects.filter(token=token or "", used_at__isnull=True).first()
    if invite is None:
        raise RegistrationError(
            "This registration link is not valid or was already used: ask the platform's staff for a new one."
        )
    return invite


def _get_json(session: requests.Session, url: str, what: str, **kwargs) -> dict:
    try:
        response = session.request(kwargs.pop("method", "GET"), url, **kwargs)
    except requests.RequestException as error:
        raise RegistrationError(f"{what}: could not reach {url}: {error}") from error
    if not response.ok:
        raise RegistrationError(f"{what}: {url} answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError as error:
        raise RegistrationError(f"{what}: {url} did not answer JSON") from error
    if not isinstance(body, dict):
        raise RegistrationError(f"{what}: {url} did not answer a JSON object")
    return body


def tool_configuration(*, base_url: str, title: str) -> dict:
    """Our client registration request (the spec's section 3.5), ``base_url`` like https://learn.example.org."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login/",
        "redirect_uris": [f"{base_url}/lti/launch/"],
        "client_name": title,
        "jwks_uri": f"{base_url}/lti/jwks/",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIG: {
            "domain": urlsplit(base_url).netloc,
            "target_link_uri": f"{base_url}/lti/launch/",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": f"{base_url}/lti/launch/",
                    "label": title,
                },
                {"type": "LtiResourceLinkRequest", "target_link_uri": f"{base_url}/lti/launch/"},
            ],
        },
    }


def dynamic_register(
    *, invite_token: str, openid_configuration: str, registration_token: str, base_url: str, title: str
) -> Platform:
    """Run the whole exchange and save the platform; raises RegistrationError saying which step failed."""
    invite = invite_check(invite_token)
    check_url(openid_configuration, "openid_configuration")
    session = TimeoutSession()
    config = _get_json(session, openid_configuration, "platform configuration")
    missing = [
        key
        for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not config.get(key)
    ]
    if missing:
        raise RegistrationError(f"platform configuration: missing {', '.join(missing)}")
    # The spec: the issuer must be on the host that served the configuration.
    if urlsplit(config["issuer"]).netloc != urlsplit(openid_configuration).netloc:
        raise RegistrationError(
            f"platform configuration: issuer {config['issuer']} is not on the host of {openid_configuration}"
        )
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    answer = _get_json(
        session,
        check_url(config["registration_endpoint"], "registration_endpoint"),
        "registration",
        method="POST",
        json=tool_configuration(base_url=base_url, title=title),
        headers=headers,
    )
    if not answer.get("client_id"):
        raise RegistrationError("registration: the platform's answer has no client_id")
    deployment_id = (answer.get(TOOL_CONFIG) or {}).get("deployment_id")
    product = (config.get(PLATFORM_CONFIG) or {}).get("product_family_code", "")
    with transaction.atomic():
        platform = platform_register(
            issuer=config["issuer"],
            client_id=str(answer["client_id"]),
            deployment_ids=[str(deployment_id)] if deployment_id else [],
            auth_login_url=config["authorization_endpoint"],
            auth_token_url=config["token_endpoint"],
            keyset_url=config["jwks_uri"],
            auth_audience=config.get("authorization_server", ""),
            title=f"{product or urlsplit(config['issuer']).netloc}",
            course=invite.course,
            registered_by="dynamic",
        )
        updated = RegistrationInvite.objects.filter(pk=invite.pk, used_at__isnull=True).update(
            used_at=timezone.now(), platform=platform
        )
        if not updated:
            raise RegistrationError("This registration link was used meanwhile.")
    return platform
