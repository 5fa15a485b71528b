"""Settings shared by every environment. Everything configurable comes from environment variables.

With nothing set, the platform runs on the embedded default: SQLite in ``var/`` and a Celery broker
that needs no server (kombu's filesystem transport). Setting ``DATABASE_URL`` and ``REDIS_URL`` moves
it to PostgreSQL and Redis without code changes.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
# The key `local` falls back to, so a fresh clone runs with nothing to configure; production refuses it.
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (public on purpose)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",  # log-in throttling (see "Brute-force protection" below)
    "csp",  # Content-Security-Policy (see "Content-Security-Policy" below)
    "accounts",
    "courses",
    "quizzes",
    "labs",
    "gradebook",
    "lti",
    "practice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # before LtiFrameMiddleware: adds that one's frame-ancestors to the policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lti.middleware.LtiCookieMiddleware",  # before sessions: sees the cookies they set (lti/middleware.py)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lti.middleware.LtiFrameMiddleware",  # after X-Frame-Options: LTI sessions may be framed by their LMS
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out log-in into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the Celery worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.redis_cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "platform"}}
# Cached sessions read the database only on a cache miss: a logged-in page view costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    # kombu's filesystem transport needs its folders to exist before the first message.
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    # An unacknowledged task (its worker died) is delivered again once it is older than the visibility
    # timeout (longer than any grading); workers look for such tasks every restore interval (kombu's
    # default looks only every ~100 s: interval 10 s times a throttle of 10).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
        "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
        "unacked_restore_throttle": 1,
        # A worker that consumes several queues takes from them in name order: "celery" (students'
        # submissions) before "playground" before "regrades", so a lab-wide re-grade only uses what live
        # grading leaves idle (kombu's default takes from each queue in turn). See "Celery queues" below.
        "queue_order_strategy": "sorted",
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A new pool process warms up (config/celery_app.py) before it reports ready. Celery's default 4 s for that
# is shorter than the warm-up on a busy machine: bench/bench_chaos.py saw every replacement of a killed
# process killed again for being late, and grading stopped for good (issue 17).
CELERY_WORKER_PROC_ALIVE_TIMEOUT = float(os.environ.get("CELERY_WORKER_PROC_ALIVE_TIMEOUT", "60"))
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
# --- Celery queues (issue 17; labs/tasks.py) ---
# Students' submissions (and everything else) stay on the default queue; an instructor's re-grades and the
# Test button's runs have their own, so a lab-wide re-grade never sits in front of live submissions. A
# worker must consume all three (config/launch.py does), or run one worker pool per queue in production
# (README, "Deploying for a large class"). On Redis a worker of several queues serves them in name order
# (queue_order_strategy above): the names are chosen so that order is the priority.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "labs.tasks.regrade_submission": {"queue": "regrades"},
    "labs.tasks.enqueue_gradings": {"queue": "regrades"},
    "labs.tasks.run_playground": {"queue": "playground"},
}
# The sweep re-enqueues lab submissions stuck in queued or running (labs/services.py: submission_sweep).
CELERY_BEAT_SCHEDULE = {
    "labs-sweep-stuck-submissions": {"task": "labs.tasks.sweep_stuck_submissions", "schedule": 60.0},
    "lti-sweep-pending-grades": {"task": "lti.tasks.sweep_pending_grades", "schedule": 300.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Labs -----------------------------------------------------------------------------------------
LABS_MAX_IN_FLIGHT = int(os.environ.get("LABS_MAX_IN_FLIGHT", "3"))  # per student, across labs

# --- LTI 1.3 (lti/) -------------------------------------------------------------------------------
LTI_ALLOW_HTTP = env_bool("LTI_ALLOW_HTTP", DEBUG)  # http:// platform URLs: development and tests only
LTI_JWKS_CACHE_S = int(os.environ.get("LTI_JWKS_CACHE_S", "3600"))  # platforms' public keys, cached
LTI_JWKS_REFRESH_S = int(os.environ.get("LTI_JWKS_REFRESH_S", "10"))  # seconds between re-reads of a key set
LTI_KEY_GRACE_DAYS = int(os.environ.get("LTI_KEY_GRACE_DAYS", "7"))  # a rotated-out key stays published

# --- Auth -----------------------------------------------------------------------------------------
# The model backend, with the logged-in user kept in the shared cache (see accounts/backends.py).
# The throttle comes first: a locked-out username or address is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["accounts.throttling.LoginThrottleBackend", "accounts.backends.CachedModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

# --- E-mail (password resets) -------------------------------------------------------------------------
# With EMAIL_HOST set, mail goes out over SMTP; without it, it is printed to the terminal (development and
# `make run`, where the instructor can pass a reset link on). Production always uses SMTP (production.py).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the first byte (port 465)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS (port 587)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Serverless Learning <noreply@localhost>")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: set one (SSL for port 465, TLS for 587)."
    )
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))  # Django's default

# --- Demo accounts (seed_demo) -----------------------------------------------------------------------
# Where seed_demo records the demo logins, for the launcher to print them (owner-readable only).
DEMO_LOGINS_FILE = VAR_DIR / "demo-logins.json"

# --- Brute-force protection (issue 17; accounts/throttling.py) --------------------------------------
# django-axes counts failed log-ins (site and admin) in the cache: Redis in production, so every web
# process shares the counts; the per-process local cache in development and tests (axes.W001 says so).
from datetime import timedelta  # noqa: E402

AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_CACHE = "default"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # two counts; either one locks
LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("LOGIN_FAILURES_PER_USERNAME", "5"))
# A class behind one NAT address shares this count: high enough for thirty students' typos.
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30"))
AXES_FAILURE_LIMIT = max(LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_USERNAME)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
AXES_ENABLE_ADMIN = False  # the counts are in the cache, so axes' admin tables would stay empty
AXES_VERBOSE = False
# Behind N reverse proxies that each append to X-Forwarded-For, the address is read from that header.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
SIGNUP_LIMIT_PER_ADDRESS = int(os.environ.get("SIGNUP_LIMIT_PER_ADDRESS", "60"))  # accounts per hour
if not REDIS_URL:
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]  # the local cache: one web process in development

# --- Content-Security-Policy (issue 17; django-csp 4) -----------------------------------------------
# Every settings module (development, tests, production) sends it, so the browser tests run under it.
# Scripts: only our own static files, plus <script nonce="{{ request.csp_nonce }}"> for the two LTI pages
# that must act on load; no inline handlers (static/js/site.js reads data-* attributes instead) and no eval
# (htmx's [filter] triggers use eval, so the site uses none). Styles allow inline: Mermaid writes <style>
# and style attributes into each diagram, htmx adds its indicator style, and progress bars set a width.
# No frame-ancestors: X-Frame-Options DENY covers it, and lti/middleware.py adds the LMS's origin.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # data: for Mermaid's and CodeMirror's small inline images
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}

# --- I18n -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
WHITENOISE_USE_FINDERS = True  # serve straight from static/ when collectstatic has not run (development)

# --- Course content -------------------------------------------------------------------------------
COURSE_CONTENT_DIR = Path(os.environ.get("COURSE_CONTENT_DIR", BASE_DIR / "courses" / "content"))
# Called by import_course for each course, inside its transaction: f(course=, directory=, report=).
COURSE_CONTENT_HOOKS = ["quizzes.content.import_course_quizzes", "practice.content.import_exam_pools"]
# Functions f(request, lesson) -> HTML that fill the lesson page's slot below the lesson (knowledge check).
LESSON_PANELS = ["quizzes.panels.knowledge_check_panel"]
# Functions f(request, course) -> HTML shown on an enrolled student's course page (checks and quizzes).
COURSE_PANELS = [
    "gradebook.panels.course_assessments_panel",
    "quizzes.panels.course_quiz_panel",
    "practice.panels.course_practice_panel",
]
# What one graded quiz weighs in the gradebook's course total, in points (a lab weighs its own points).
GRADEBOOK_QUIZ_POINTS = int(os.environ.get("GRADEBOOK_QUIZ_POINTS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"client_error_without_traceback": {"()": "config.log_filters.ClientErrorWithoutTraceback"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # cfn-lint logs every template it checks (after the SAM transform) at INFO: hundreds of lines per lab
        # grading that deploys a student's template
        "cfnlint": {"level": "WARNING"},
        # a 403 or 404 is logged on one line, without a traceback (config/log_filters.py)
        "django.request": {"filters": ["client_error_without_traceback"]},
        "axes": {"level": "WARNING"},  # failed log-ins and lockouts, not every successful log-in
    },
}
