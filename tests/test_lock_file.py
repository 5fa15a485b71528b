"""The environment the suite runs in is the one requirements.lock describes (``make setup`` installs exactly the lock).

A version that drifted (a package installed by hand, a stale .venv, a lock edited without reinstalling) fails here
with each difference named, so a green run always means "green with the locked versions". ``make upgrade`` runs the
suite against its candidate lock by setting LOCK_FILE.
"""

import json
import os
from pathlib import Path

import pytest

from tools import lockfile, wheelhouse

LOCK = Path(os.environ.get("LOCK_FILE", lockfile.LOCK))
SANDBOX_LOCK = lockfile.ROOT / "requirements-sandbox.lock"
WHEELHOUSE = lockfile.ROOT / "var" / "sandbox-packages"


def test_installed_packages_are_exactly_the_locked_versions():
    problems = lockfile.differences(LOCK)
    assert not problems, (
        "the installed packages differ from the lock file; run `make setup` to install the locked versions "
        "(or `make upgrade` to move the lock deliberately):\n  " + "\n  ".join(problems)
    )


def test_the_lock_satisfies_every_range_in_pyproject():
    problems = lockfile.ranges_unmet(LOCK)
    assert not problems, (
        "requirements.lock is out of date with pyproject.toml; run `make lock`:\n  " + "\n  ".join(problems)
    )


def _lock(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text(text)
    return path


def test_a_drifted_missing_or_extra_package_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(
        lockfile, "installed", lambda: {"moto": "5.2.7", "django": "5.2.20", "extra-pkg": "1.0"}
    )
    lock = _lock(
        tmp_path,
        "# header\nmoto==5.2.6 \\\n    --hash=sha256:00\ndjango==5.2.20\nredis==7.0.1\n"
        "pywin32==312 ; sys_platform == 'win32'\n",
    )
    assert lockfile.differences(lock) == [
        "moto 5.2.7 is installed but requirements.lock line 2 locks 5.2.6",
        "redis 7.0.1 is locked (requirements.lock line 5) but not installed",
        "extra-pkg 1.0 is installed but not in requirements.lock",
    ]


def test_a_range_the_lock_does_not_meet_is_named(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["moto>=5.3,<6"]\n[project.optional-dependencies]\ndev = ["ruff"]\n'
    )
    lock = _lock(tmp_path, "moto==5.2.6\n")
    assert lockfile.ranges_unmet(lock, pyproject) == [
        "pyproject.toml asks for 'moto>=5.3,<6' but requirements.lock line 1 pins 5.2.6",
        "pyproject.toml asks for 'ruff', which requirements.lock does not pin",
    ]


def test_a_line_that_is_not_a_pin_is_refused_with_its_line(tmp_path):
    with pytest.raises(ValueError, match=r"requirements.lock line 2: not a pinned requirement: 'moto>=5'"):
        lockfile.read_pins(_lock(tmp_path, "django==5.2.20\nmoto>=5\n"))


def test_upgrade_shows_what_moved(tmp_path):
    old = _lock(tmp_path, "moto==5.2.6\nsix==1.16.0\n")
    new = tmp_path / "new.lock"
    new.write_text("moto==5.2.7\nuv==0.13.9\n")
    assert lockfile.changed(old, new) == ["  moto 5.2.6 -> 5.2.7", "- six 1.16.0", "+ uv 0.13.9"]


# -- requirements-sandbox.lock: the packages Lambda handlers may import (the wheelhouse) -------------------------
def test_the_sandbox_lock_meets_its_inputs_and_agrees_with_the_host_lock():
    problems = lockfile.input_ranges_unmet(SANDBOX_LOCK, lockfile.ROOT / "requirements-sandbox.in")
    assert not problems, "requirements-sandbox.lock is out of date; run `make lock`:\n  " + "\n  ".join(
        problems
    )
    host = {pin.name: pin.version for pin in lockfile.read_pins(lockfile.LOCK)}
    # compiled with -c requirements.lock: a package both have (urllib3, the runtime's own) has one version
    differ = [
        f"{pin.name} {pin.version} (host: {host[pin.name]})"
        for pin in lockfile.read_pins(SANDBOX_LOCK)
        if pin.name in host and host[pin.name] != pin.version
    ]
    assert not differ, (
        "run `make lock`: the sandbox lock pins other versions than requirements.lock: " + ", ".join(differ)
    )
    lines = SANDBOX_LOCK.read_text().splitlines()
    unhashed = [
        pin.name for pin in lockfile.read_pins(SANDBOX_LOCK) if "--hash=sha256:" not in lines[pin.line]
    ]
    assert not unhashed, f"requirements-sandbox.lock pins without a hash: {unhashed}"


def test_make_setup_installed_the_sandbox_lock_as_the_wheelhouse():
    manifest = json.loads((WHEELHOUSE / "manifest.json").read_text())
    installed = {
        **{name: info["version"] for name, info in manifest["packages"].items()},
        **manifest["runtime"],
    }
    locked = {pin.name: pin.version for pin in lockfile.read_pins(SANDBOX_LOCK)}
    assert installed == locked, "the wheelhouse differs from requirements-sandbox.lock; run `make setup`"
    assert set(manifest["runtime"]) <= wheelhouse.RUNTIME_DISTRIBUTIONS
    assert all((WHEELHOUSE / info["directory"]).is_dir() for info in manifest["packages"].values())
    # compiled at build time: the sandbox cannot write __pycache__, and a cold start would compile each time
    assert list((WHEELHOUSE / "aws-lambda-powertools").rglob("__pycache__/*.pyc"))


def test_a_sandbox_input_the_lock_does_not_meet_is_named(tmp_path):
    inputs = tmp_path / "requirements-sandbox.in"
    inputs.write_text("# packages\nrequests>=3  # too new\naws-lambda-powertools\n")
    lock = _lock(tmp_path, "requests==2.34.2 \\\n    --hash=sha256:00\n")
    assert lockfile.input_ranges_unmet(lock, inputs) == [
        "requirements-sandbox.in line 2 asks for 'requests>=3' but requirements.lock line 1 pins 2.34.2",
        "requirements-sandbox.in line 3 asks for 'aws-lambda-powertools', which requirements.lock does not pin",
    ]
