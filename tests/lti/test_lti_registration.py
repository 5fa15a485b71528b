"""Registration three ways: LTI Dynamic Registration with the test platform, the staff page, and
manage.py lti_register; plus our JWKS and key rotation."""

import re
import secrets

import jwt
import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from lti import keys
from lti.models import Platform, RegistrationInvite, ToolKey
from tests.helpers import csp_directives, frame_ancestors

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def invite(course=None) -> str:
    return RegistrationInvite.objects.create(token=secrets.token_urlsafe(16), course=course).token


def register_url(live_server, lms, token: str, invite_token: str) -> str:
    query = {
        "openid_configuration": lms.url("/.well-known/openid-configuration"),
        "registration_token": token,
    }
    if invite_token:
        query["invite"] = invite_token
    return requests.Request("GET", f"{live_server.url}/lti/register/", params=query).prepare().url


def test_dynamic_registration_registers_us_and_the_platform_then_launches_work(
    live_server, lms, course, lab, browser_factory
):
    lms.add_context(
        "lms-dyn",
        "Dyn course",
        members=[{"user_id": "s1", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]}],
    )
    token = secrets.token_hex(8)
    lms.registration_tokens.add(token)
    page = requests.get(register_url(live_server, lms, token, invite(course)), timeout=10)
    assert page.status_code == 200, page.text
    assert "org.imsglobal.lti.close" in page.text
    assert frame_ancestors(page) == f"frame-ancestors 'self' {lms.issuer}"
    # the closing script runs under the policy by its nonce
    nonce = re.search(r"'nonce-([^']+)'", csp_directives(page)["script-src"]).group(1)
    assert f'<script nonce="{nonce}">(window.opener' in page.text

    platform = Platform.objects.get(registered_by="dynamic")
    assert platform.issuer == lms.issuer and platform.client_id.startswith("dyn-")
    assert list(platform.deployments.values_list("deployment_id", flat=True)) == ["dyn-dep-1"]
    assert platform.default_course == course
    sent = lms.clients[platform.client_id]["registration"]
    assert sent["initiate_login_uri"] == f"{live_server.url}/lti/login/"
    assert sent["redirect_uris"] == [f"{live_server.url}/lti/launch/"]
    assert sent["jwks_uri"] == f"{live_server.url}/lti/jwks/"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    messages = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]["messages"]
    assert {m["type"] for m in messages} == {"LtiDeepLinkingRequest", "LtiResourceLinkRequest"}

    # the new registration works: a launch lands in the invite's course
    params = lms.login_params(
        user="s1", context_id="lms-dyn", client_id=platform.client_id, deployment_id="dyn-dep-1"
    )
    answer = browser_factory().launch(params)
    assert answer.headers["Location"] == f"/courses/{course.slug}/"


def test_dynamic_registration_needs_an_unused_invite(live_server, lms, course):
    token = secrets.token_hex(8)
    lms.registration_tokens.add(token)
    assert (
        "not valid or was already used"
        in requests.get(register_url(live_server, lms, token, ""), timeout=10).text
    )
    used = invite()
    RegistrationInvite.objects.filter(token=used).update(used_at="2026-01-01T00:00:00Z")
    answer = requests.get(register_url(live_server, lms, token, used), timeout=10)
    assert answer.status_code == 400 and "not valid or was already used" in answer.text
    assert not Platform.objects.exists()


def test_dynamic_registration_reports_a_refused_registration_token(live_server, lms, course):
    answer = requests.get(register_url(live_server, lms, "wrong-token", invite()), timeout=10)
    assert answer.status_code == 400
    assert "registration:" in answer.text and "HTTP 401" in answer.text
    assert not Platform.objects.exists()
    assert RegistrationInvite.objects.filter(used_at__isnull=True).count() == 1  # still usable


def test_lti_register_command_registers_and_updates(lms, course):
    args = [
        "lti_register",
        "--issuer",
        lms.issuer,
        "--client-id",
        "c1",
        "--deployment-id",
        "d1",
        "--auth-login-url",
        lms.url("/auth"),
        "--auth-token-url",
        lms.url("/token"),
        "--keyset-url",
        lms.url("/jwks"),
        "--course",
        course.slug,
    ]
    call_command(*args)
    call_command(*args[:-2], "--deployment-id", "d2")
    platform = Platform.objects.get()
    assert (platform.issuer, platform.client_id, platform.registered_by) == (lms.issuer, "c1", "command")
    assert sorted(platform.deployments.values_list("deployment_id", flat=True)) == ["d1", "d2"]
    with pytest.raises(CommandError, match="--course: no course with slug 'nope'"):
        call_command(*args[:-1], "nope")
    with pytest.raises(CommandError, match="keyset URL: 'ftp://x' is not an absolute"):
        call_command(*args[:-3], "ftp://x")


def test_https_is_required_outside_development(settings, lms):
    from lti.services import RegistrationError, platform_register

    settings.LTI_ALLOW_HTTP = False
    with pytest.raises(RegistrationError, match="issuer: 'http://127.0.0.1"):
        platform_register(**lms.registration_args())


def test_staff_register_a_platform_by_hand_and_others_cannot(client, lms, instructor):
    staff = User.objects.create_user(username="admin", password="admin-pass-123", is_staff=True)
    data = {
        "issuer": lms.issuer,
        "client_id": "manual-1",
        "deployment_ids": "d1, d2",
        "auth_login_url": lms.url("/auth"),
        "auth_token_url": lms.url("/token"),
        "keyset_url": lms.url("/jwks"),
    }
    client.force_login(instructor)
    assert client.post("/lti/platforms/", data).status_code == 302  # to the admin login: staff only
    assert not Platform.objects.exists()
    client.force_login(staff)
    assert client.get("/lti/platforms/").status_code == 200
    answer = client.post("/lti/platforms/", data)
    assert answer.status_code == 302
    platform = Platform.objects.get()
    assert sorted(platform.deployments.values_list("deployment_id", flat=True)) == ["d1", "d2"]
    bad = client.post("/lti/platforms/", {**data, "auth_token_url": "not a url"})
    assert "auth token URL: &#x27;not a url&#x27; is not an absolute" in bad.content.decode()
    client.post("/lti/platforms/invite/", {})
    assert RegistrationInvite.objects.count() == 1
    assert (
        f"/lti/register/?invite={RegistrationInvite.objects.get().token}"
        in client.get("/lti/platforms/").content.decode()
    )


def test_our_jwks_publishes_the_signing_key_and_a_rotated_one_during_its_grace(client, settings):
    first = keys.signing_key()
    body = client.get("/lti/jwks/").json()
    assert [k["kid"] for k in body["keys"]] == [first.kid]
    assert set(body["keys"][0]) >= {"kty", "n", "e", "kid", "alg", "use"} and "d" not in body["keys"][0]
    second = keys.rotate()
    assert keys.signing_key() == second
    assert [k["kid"] for k in client.get("/lti/jwks/").json()["keys"]] == [second.kid, first.kid]
    # what the new key signs verifies with the published JWKS
    token = jwt.encode({"x": 1}, second.private_key_pem, algorithm="RS256", headers={"kid": second.kid})
    published = {k["kid"]: k for k in client.get("/lti/jwks/").json()["keys"]}
    assert jwt.decode(token, jwt.PyJWK(published[second.kid]).key, algorithms=["RS256"]) == {"x": 1}
    settings.LTI_KEY_GRACE_DAYS = 0
    assert keys.purge_retired() == 1
    assert list(ToolKey.objects.values_list("kid", flat=True)) == [second.kid]
