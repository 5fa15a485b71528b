"""Production: secrets are required, cookies are secure, static files are compressed and fingerprinted."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY, REDIS_URL, SECRET_KEY, env_bool

MIN_SECRET_KEY_LENGTH = 50  # as Django's own deploy check (security.W009)

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key: set a secret, random one in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"SECRET_KEY is too short or too simple: production needs at least {MIN_SECRET_KEY_LENGTH} random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not REDIS_URL:
    # Several web processes must share one cache: sessions and per-user page caches live there.
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production (shared cache, sessions and Celery broker)."
    )

DEBUG = False
DEMO_USERS = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# HSTS: browsers keep to HTTPS for this long (sent on HTTPS responses only); SECURE_HSTS_SECONDS=0 turns it off.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# X-Forwarded-Proto is believed only when told the proxy in front always sets it (else a client could claim HTTPS).
if env_bool("TRUST_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail: SMTP always (EMAIL_HOST, default localhost:587 unless set; see base.py for the variables) ----------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
if not EMAIL_HOST:  # noqa: F405
    EMAIL_HOST = "localhost"
