"""Where this project meets pylti1p3: the tool configuration read from our tables, and a message launch
that is stricter than the library's defaults.

pylti1p3 2.0 checks signature, expiry, state, nonce presence, registration and deployment. Two things it
leaves to the tool are added here:

* a nonce is accepted once: pylti1p3 only checks that the nonce was issued at login, so the same id_token
  posted twice would pass. ``validate`` marks it used with an atomic ``cache.add``.
* the platform's keys are cached (``LTI_JWKS_CACHE_S``) and fetched again when a token names a key id that
  the cached set lacks (the platform rotated its keys); at most one re-fetch per key set every
  ``LTI_JWKS_REFRESH_S`` so that made-up key ids cannot make us hammer the platform.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deployment import Deployment as LibDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config.abstract import ToolConfAbstract

from . import keys
from .http import TimeoutSession
from .models import Deployment, Platform

NONCE_TTL_S = 24 * 3600


def registration_for(platform: Platform) -> Registration:
    """The pylti1p3 registration of ``platform``, signing with our current key."""
    key = keys.signing_key()
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.keyset_url)
        .set_tool_private_key(key.private_key_pem)
        .set_tool_public_key(keys.public_pem(key))
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


class ToolConfig(ToolConfAbstract):
    """Registrations from the Platform table: an issuer may have many client ids (one per registration);
    only active platforms and their known deployments are accepted (an unknown deployment is refused, never
    created on the fly)."""

    def __init__(self) -> None:
        super().__init__()
        self.platform: Platform | None = None
        self.deployment: Deployment | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return None  # every lookup names the client id (check_iss_has_many_clients)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platforms = Platform.objects.filter(issuer=iss, is_active=True)
        if client_id:
            platforms = platforms.filter(client_id=client_id)
        elif platforms.count() != 1:
            return None  # without a client id the issuer must name exactly one registration
        self.platform = platforms.first()
        return registration_for(self.platform) if self.platform else None

    def find_deployment(self, iss, deployment_id):
        return None

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        self.deployment = (
            Deployment.objects.select_related("platform")
            .filter(
                platform__issuer=iss,
                platform__client_id=client_id,
                platform__is_active=True,
                deployment_id=deployment_id,
            )
            .first()
        )
        if self.deployment is None:
            return None
        return LibDeployment().set_deployment_id(deployment_id)


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


class MessageLaunch(DjangoMessageLaunch):
    """A launch that refuses replays and follows the platform's key rotation (see the module doc)."""

    def __init__(self, request, tool_config: ToolConfig, **kwargs) -> None:
        kwargs["launch_data_storage"] = _storage()
        kwargs.setdefault("requests_session", TimeoutSession())
        super().__init__(request, tool_config, **kwargs)
        self.set_public_key_caching(_storage(), cache_lifetime=settings.LTI_JWKS_CACHE_S)
        self._keyset_was_cached = False

    def validate(self):
        """pylti1p3's checks, then the nonce is spent: only a fully valid launch uses it up, and the same
        id_token posted again is refused."""
        super().validate()
        nonce = self._get_jwt_body()["nonce"]
        digest = hashlib.sha256(f"{self._get_iss()}|{nonce}".encode()).hexdigest()
        if not cache.add(f"lti:nonce-used:{digest}", 1, timeout=NONCE_TTL_S):
            raise LtiException("This launch was already used (replayed nonce).")
        return self

    def fetch_public_key(self, key_set_url: str):
        storage = self._public_key_cache_data_storage
        self._keyset_was_cached = bool(storage and storage.get_value(_keyset_cache_key(key_set_url)))
        return super().fetch_public_key(key_set_url)

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException as error:
            if "Unable to find public key" not in str(error) or not self._keyset_was_cached:
                raise
        # The cached key set lacks the token's kid: the platform may have rotated. Fetch it again, once.
        key_set_url = self._registration.get_key_set_url()
        if not cache.add(
            f"lti:jwks-refetch:{_keyset_cache_key(key_set_url)}", 1, settings.LTI_JWKS_REFRESH_S
        ):
            raise LtiException("Unable to find public key (the platform's key set was re-read moments ago).")
        self._public_key_cache_data_storage.set_value(_keyset_cache_key(key_set_url), None, 1)
        self._registration.set_key_set(None)
        self._keyset_was_cached = False
        return super().get_public_key()

    @property
    def tool_config(self) -> ToolConfig:
        return self._tool_config

    def resource_link_id(self) -> str:
        claim = self._get_jwt_body().get("https://purl.imsglobal.org/spec/lti/claim/resource_link", {})
        return claim.get("id", "")


def _keyset_cache_key(key_set_url: str) -> str:
    # the key pylti1p3 uses for its public key cache (MessageLaunch.fetch_public_key)
    return "key-set-url-" + hashlib.md5(key_set_url.encode("utf-8")).hexdigest()  # noqa: S324


def oidc_login(request) -> DjangoOIDCLogin:
    return DjangoOIDCLogin(request, ToolConfig(), launch_data_storage=_storage())


def message_launch(request) -> MessageLaunch:
    return MessageLaunch(request, ToolConfig())


def launch_from_cache(launch_id: str, request) -> MessageLaunch:
    """A validated launch kept by pylti1p3 (for the deep-linking picker's second request)."""
    return MessageLaunch.from_cache(launch_id, request, ToolConfig())


def service_connector(platform: Platform) -> ServiceConnector:
    return ServiceConnector(registration_for(platform), requests_session=TimeoutSession())
