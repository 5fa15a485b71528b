"""Development: the embedded default that `make run` uses."""

import os

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY, SECRET_KEY, env_bool

DEBUG = env_bool("DEBUG", True)
# A development-only key, so a fresh clone starts with nothing to configure. Production refuses it.
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
DEMO_USERS = env_bool("DEMO_USERS", True)
os.environ.setdefault("DJANGO_ENV", "local")
