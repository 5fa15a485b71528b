"""Build the sandbox's wheelhouse: the packages a Lambda handler may import, from requirements-sandbox.lock.

    python -m tools.wheelhouse build LOCK TARGET      (run by `make setup`)

Installs every pin of LOCK (hash-checked, no dependency resolution: the lock is complete) with uv into a
staging folder, then splits it into one folder per distribution (``TARGET/<name>/``, holding that
distribution's top-level modules and its ``.dist-info``), so that an execution environment can be given
exactly the distributions its function asked for and their dependencies, nothing else. Distributions the
Lambda runtime itself provides (boto3, botocore and their dependencies, bound separately into the sandbox)
get no folder. ``TARGET/manifest.json`` lists each distribution's version, folder and the distributions it
requires on this interpreter; ``labs.runtime.awslambda.wheelhouse`` reads it. TARGET is replaced whole.
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What the Lambda Python runtime provides itself (the sandbox binds these from the host: host.py).
RUNTIME_DISTRIBUTIONS = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"}


def _top_level(dist: metadata.Distribution, staging: Path) -> set[str]:
    """The top-level names (packages, modules, the .dist-info) a distribution installed into ``staging``."""
    names = set()
    for file in dist.files or []:
        first = Path(file).parts[0]
        if first not in ("..", "bin") and (staging / first).exists():
            names.add(first)
    return names


def _requires(dist: metadata.Distribution) -> list[str]:
    """The distributions ``dist`` needs on this interpreter (its extras are not asked for)."""
    needed = set()
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            needed.add(canonicalize_name(requirement.name))
    return sorted(needed)


def build(lock: Path, target: Path, python: str = sys.executable) -> dict:
    """Install ``lock`` into ``target`` as described above; return the manifest."""
    uv = Path(python).parent / "uv"
    with tempfile.TemporaryDirectory(prefix="wheelhouse-") as temporary:
        staging = Path(temporary) / "site"
        subprocess.run(
            [str(uv), "pip", "install", "--quiet", "--python", python, "--require-hashes", "--no-deps"]
            + ["--target", str(staging), "-r", str(lock)],
            check=True,
        )
        split = Path(temporary) / "split"
        split.mkdir()
        packages, runtime = {}, {}
        for dist in metadata.distributions(path=[str(staging)]):
            name, version = canonicalize_name(dist.metadata["Name"]), dist.version
            if name in RUNTIME_DISTRIBUTIONS:
                runtime[name] = version
                continue
            packages[name] = {"version": version, "directory": name, "requires": _requires(dist)}
            folder = split / name  # read the metadata above first: this moves the .dist-info away
            folder.mkdir()
            for entry in _top_level(dist, staging):
                shutil.move(str(staging / entry), str(folder / entry))
        manifest = {
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "packages": dict(sorted(packages.items())),
            "runtime": dict(sorted(runtime.items())),
        }
        (split / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        # Bytecode now: the sandbox is read-only, so without it every cold start would compile the sources
        # again (measured: Powertools' Logger and event handler import in about twice the time without it).
        compileall.compile_dir(str(split), quiet=1, workers=1)
        for path in [split, *split.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)  # read by the sandbox's unprivileged user
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(split), str(target))
    return manifest


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build":
        manifest = build(Path(argv[1]), Path(argv[2]))
        listed = ", ".join(f"{name} {info['version']}" for name, info in manifest["packages"].items())
        print(f"wheelhouse: {argv[2]}: {listed}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
