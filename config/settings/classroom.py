"""One machine serving a class (`make run`): the embedded default (SQLite, the filesystem broker, a Celery
worker beside gunicorn) with DEBUG off, the site's own error pages and a secret key of its own.

Differs from production in what one laptop on a classroom network needs: no Redis (one web process holds the
cache, see config/launch.py), plain HTTP cookies, a key generated once into var/, and the host names and LAN
addresses of this machine as ALLOWED_HOSTS.
"""

import os
import secrets
from pathlib import Path

from config.lan import served_host_names

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR, env_bool, env_list


def persistent_secret_key(path: Path) -> str:
    """The key stored at ``path``, generated (50 random URL-safe characters, readable by the owner only) the
    first time, so sessions and password-reset links survive a restart and no public key is ever used."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


DEBUG = False
SECRET_KEY = SECRET_KEY or persistent_secret_key(VAR_DIR / "secret_key")
# A Host header naming another site is refused (it would end up in password-reset links); ALLOWED_HOSTS=...
# replaces the computed list, e.g. with the name a DNS server gives this machine.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ",".join(served_host_names()))
DEMO_USERS = env_bool("DEMO_USERS", True)
# The demo accounts get random passwords here (printed by `make run`): the class shares the network.
DEMO_PASSWORDS_GENERATED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic runs in `make run`; fingerprinted names let WhiteNoise send far-future cache headers
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
SECURE_CONTENT_TYPE_NOSNIFF = True
