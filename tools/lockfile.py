"""The lock file (``requirements.lock``): what it pins, and whether this environment matches it.

``make setup`` installs exactly the lock (``uv pip sync``); ``pyproject.toml`` keeps the compatible ranges for people
who install the package into their own environment. This module reads the lock without uv, so the test suite can
check that what is installed is what the suite was locked with, and ``make upgrade`` can show what moved.

    python -m tools.lockfile check [LOCK]        exit 1, listing each difference, when the environment differs
    python -m tools.lockfile diff OLD NEW        the packages whose pinned version changed
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# Installed by venv itself, or the project's own editable install: not pinned by the lock.
NOT_LOCKED = {"pip", "setuptools", "wheel", "serverless-learning"}
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]*))?")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503) name
    version: str
    marker: str | None
    line: int

    def applies(self) -> bool:
        """Whether this pin is for this interpreter and platform (a universal lock pins for several)."""
        return self.marker is None or Marker(self.marker).evaluate()


def read_pins(path: Path = LOCK) -> list[Pin]:
    """Every ``name==version`` line of a lock written by ``uv pip compile`` (hash lines and comments skipped).

    Raises ``ValueError`` naming the file and line of a requirement line that is not a pin.
    """
    pins = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text or text[0] in " #\t-":
            continue
        match = _PIN.match(text)
        if match is None:
            raise ValueError(f"{path.name} line {number}: not a pinned requirement: {text.strip()!r}")
        marker = (match["marker"] or "").strip() or None
        pins.append(Pin(canonicalize_name(match["name"]), match["version"], marker, number))
    return pins


def installed() -> dict[str, str]:
    return {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def differences(path: Path = LOCK) -> list[str]:
    """What differs between this environment and the lock, one sentence each (empty when they agree)."""
    have = installed()
    pins = [pin for pin in read_pins(path) if pin.applies()]
    problems = []
    for pin in pins:
        version = have.get(pin.name)
        if version is None:
            problems.append(
                f"{pin.name} {pin.version} is locked ({path.name} line {pin.line}) but not installed"
            )
        elif Version(version) != Version(pin.version):
            problems.append(
                f"{pin.name} {version} is installed but {path.name} line {pin.line} locks {pin.version}"
            )
    locked = {pin.name for pin in read_pins(path)}
    for name in sorted(set(have) - locked - NOT_LOCKED):
        problems.append(f"{name} {have[name]} is installed but not in {path.name}")
    return problems


def ranges_unmet(path: Path = LOCK, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """pyproject.toml's requirements (dependencies and every extra) that the lock's pins do not satisfy."""
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        wanted.extend(extra)
    pins: dict[str, list[Pin]] = {}
    for pin in read_pins(path):
        pins.setdefault(pin.name, []).append(pin)
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        candidates = pins.get(canonicalize_name(requirement.name), [])
        if not candidates:
            problems.append(f"pyproject.toml asks for {text!r}, which {path.name} does not pin")
        for pin in candidates:
            if not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(
                    f"pyproject.toml asks for {text!r} but {path.name} line {pin.line} pins {pin.version}"
                )
    return problems


def input_ranges_unmet(path: Path, inputs: Path) -> list[str]:
    """The requirements of a ``.in`` file (one a line, ``#`` comments) that the lock at ``path`` does not pin
    within range: how ``requirements-sandbox.lock`` is checked against ``requirements-sandbox.in``."""
    pins = {pin.name: pin for pin in read_pins(path)}
    problems = []
    for number, text in enumerate(inputs.read_text().splitlines(), start=1):
        text = text.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{inputs.name} line {number} asks for {text!r}, which {path.name} does not pin")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(
                f"{inputs.name} line {number} asks for {text!r} but {path.name} line {pin.line} pins {pin.version}"
            )
    return problems


def changed(old: Path, new: Path) -> list[str]:
    """Lines like ``moto 5.2.6 -> 5.2.7``, ``+ newpkg 1.0``, ``- oldpkg 2.0``, sorted by name."""
    before = {pin.name: pin.version for pin in read_pins(old)}
    after = {pin.name: pin.version for pin in read_pins(new)}
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            lines.append(f"- {name} {before[name]}")
        elif name not in before:
            lines.append(f"+ {name} {after[name]}")
        elif before[name] != after[name]:
            lines.append(f"  {name} {before[name]} -> {after[name]}")
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) <= 2:
        path = Path(argv[1]) if len(argv) == 2 else LOCK
        problems = differences(path) + ranges_unmet(path)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if argv[:1] == ["diff"] and len(argv) == 3:
        lines = changed(Path(argv[1]), Path(argv[2]))
        print("\n".join(lines) if lines else "no version changed")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
