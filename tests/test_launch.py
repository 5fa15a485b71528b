"""`make run` serves a class: the launcher in serve mode starts gunicorn with the classroom settings and a Celery
worker, prints the URL and the demo logins last, answers with the site's own error pages (no debug page), serves
collected static files through WhiteNoise, refuses a foreign Host header, and stops cleanly on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.launch import banner, web_command, worker_command

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (a string to format, nothing binds)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, host: str | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def wait_for(path: Path, text: str, process: subprocess.Popen, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, f"the launcher exited early:\n{output[-3000:]}"
        time.sleep(0.3)
    raise AssertionError(f"no {text!r} within {timeout_s} s:\n{path.read_text()[-3000:]}")


@pytest.fixture
def classroom_env(tmp_path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.classroom",
        VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
    )
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return env


def test_serve_mode_is_safe_for_a_class_and_stops_cleanly(classroom_env, tmp_path):
    port = free_port()
    log = tmp_path / "launch.log"
    with log.open("w") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "config.launch", "--mode", "serve", "--port", str(port)],
            cwd=ROOT,
            env=classroom_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        output = wait_for(log, "Stop: Ctrl-C", launcher, 120)
        # the summary comes last, after gunicorn's and the worker's start-up lines, with the generated logins
        summary = output[output.index("Serverless Learning is running") :]
        assert f"http://127.0.0.1:{port}/accounts/login/" in summary
        assert "username instructor" in summary and "instructor-demo-pass" not in summary
        assert "Starting gunicorn" in output[: len(output) - len(summary)]
        assert (Path(classroom_env["VAR_DIR"]) / "secret_key").stat().st_mode & 0o077 == 0

        status, _, page = get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404
        assert "<h1>Page not found</h1>" in page and "Back to the courses" in page
        assert "URLconf" not in page and "DEBUG = True" not in page and "Traceback" not in page

        stylesheet = next(part.split('"')[0] for part in page.split('href="')[1:] if "site." in part)
        assert stylesheet != "/static/css/site.css", (
            "collected, fingerprinted names under the manifest storage"
        )
        status, headers, css = get(f"http://127.0.0.1:{port}{stylesheet}")
        assert status == 200 and "max-age=315360000" in headers.get("Cache-Control", "") and "{" in css

        status, _, page = get(f"http://127.0.0.1:{port}/", host="evil.example")
        assert (
            status == 400 and "This request could not be understood" in page and "DisallowedHost" not in page
        )
    finally:
        launcher.send_signal(signal.SIGTERM)
        code = launcher.wait(timeout=40)
    assert code == 0, log.read_text()[-3000:]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_dev_mode_keeps_the_auto_reloading_server_and_serve_mode_quiets_the_worker(tmp_path):
    assert web_command("py", "dev", "127.0.0.1", "8000") == ["py", "manage.py", "runserver", "127.0.0.1:8000"]
    serve = web_command("py", "serve", ALL_INTERFACES, "8000")
    assert serve[1:4] == ["-m", "gunicorn", "config.wsgi:application"] and "0.0.0.0:8000" in serve
    assert "--quiet" in worker_command("py", "serve", "2", tmp_path)
    assert "--quiet" not in worker_command("py", "dev", "2", tmp_path)


def test_the_banner_names_the_lan_address_only_when_listening_on_every_interface(monkeypatch):
    monkeypatch.setattr("config.launch.lan_addresses", lambda: ["192.168.1.20"])
    logins = [{"role": "instructor", "username": "instructor", "password": "pw-1"}]
    lan = banner("serve", ALL_INTERFACES, "8000", logins)
    assert "Students open:   http://192.168.1.20:8000/" in lan and "password pw-1" in lan
    local = banner("serve", "127.0.0.1", "8000", logins)
    assert "192.168.1.20" not in local and "make run HOST=0.0.0.0" in local
