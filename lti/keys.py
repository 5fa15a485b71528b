"""Our RSA key pairs: generated at run time and kept in the database (never in the repository).

The newest key that is not retired signs our messages (client assertions for the platform's token
endpoint, deep-linking responses). ``rotate`` makes a new signing key and retires the previous one; a
retired key stays in the published JWKS for ``LTI_KEY_GRACE_DAYS`` so that tokens signed just before the
rotation still verify at the platform, then ``purge_retired`` drops it.
"""

from __future__ import annotations

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jwcrypto.jwk import JWK

from .models import ToolKey

KEY_BITS = 2048


def _grace() -> timedelta:
    return timedelta(days=getattr(settings, "LTI_KEY_GRACE_DAYS", 7))


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = JWK.from_pem(pem.encode())
    kid = jwk.thumbprint()  # RFC 7638: the same kid that pylti1p3 derives from the public key
    public = json.loads(jwk.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey.objects.create(kid=kid, private_key_pem=pem, public_jwk=public)


def signing_key() -> ToolKey:
    """The current signing key, made on first use (reads only once one exists)."""
    return ToolKey.objects.filter(retired_at__isnull=True).first() or _first_key()


@transaction.atomic
def _first_key() -> ToolKey:
    # Locked so that two first uses at once make one key (a no-op lock on SQLite, which serializes writes).
    return ToolKey.objects.select_for_update().filter(retired_at__isnull=True).first() or _new_key()


@transaction.atomic
def rotate() -> ToolKey:
    """A new signing key; the previous ones are retired (still published during the grace period)."""
    now = timezone.now()
    ToolKey.objects.select_for_update().filter(retired_at__isnull=True).update(retired_at=now)
    return _new_key()


def purge_retired(now=None) -> int:
    """Delete keys retired longer ago than the grace period. Returns how many went."""
    now = now or timezone.now()
    deleted, _ = ToolKey.objects.filter(retired_at__lt=now - _grace()).delete()
    return deleted


def public_jwks() -> dict:
    """Every published public key as a JWKS (the signing key first). Reads only, unless no key exists yet."""
    signing_key()
    cutoff = timezone.now() - _grace()
    keys = ToolKey.objects.exclude(retired_at__lt=cutoff)
    return {"keys": [key.public_jwk for key in keys]}


def public_pem(key: ToolKey) -> str:
    return JWK.from_pem(key.private_key_pem.encode()).export_to_pem().decode()
