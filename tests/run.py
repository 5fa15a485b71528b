"""Run the whole suite, as `make test` does.

Pass 1 runs every test on the embedded default (SQLite). Pass 2 runs every test that touches the
database again on PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/platform),
so both engines stay supported. In CI (CI=true) a missing PostgreSQL, Redis or Chromium is a failure,
never a silent skip; on a developer machine a missing PostgreSQL skips pass 2 with a loud warning.
"""

import os
import socket
import subprocess
import sys
from urllib.parse import urlparse

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/platform")
# Folders whose tests use the database; the runtime's tests (tests/labs/runtime) do not, and run once.
DB_TEST_PATHS = [
    "tests/accounts",
    "tests/courses",
    "tests/quizzes",
    "tests/labs",
    "tests/gradebook",
    "tests/integration",
    "tests/lti",
    "tests/practice",
]


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def pytest(args: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "pytest", *args]
    print("+", " ".join(command), flush=True)
    return subprocess.call(command, env=env)


def main() -> int:
    extra = sys.argv[1:]
    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    base_env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    status = pytest(["tests", *extra], base_env)
    if status not in (0,):
        return status
    if not reachable(PG_URL):
        if IN_CI:
            print(f"FAIL: PostgreSQL is required in CI but {PG_URL} does not answer.", file=sys.stderr)
            return 1
        print(
            f"\n*** WARNING: PostgreSQL at {PG_URL} does not answer: the PostgreSQL pass was NOT run. ***\n",
            file=sys.stderr,
        )
        return status
    paths = [path for path in DB_TEST_PATHS if os.path.isdir(path)]
    pg_env = dict(base_env, DATABASE_URL=PG_URL)
    print(f"\nPostgreSQL pass ({PG_URL}):", flush=True)
    return pytest([*paths, "-m", "not browser", "-p", "no:cacheprovider", *extra], pg_env)


if __name__ == "__main__":
    sys.exit(main())
