"""Production modules stay readable: at most 500 lines a file and 80 lines a function (README:
Architecture). Tests, benchmarks, migrations and lab content are not production modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tuple(
    sorted(
        path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name not in {"tests", "bench"}
    )
)
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
# Kept out of this check, each for its reason (remove an entry once its module is within limits):
EXEMPT: dict[str, str] = {}


def production_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith("labs/content/"):
                continue
            if any(relative.startswith(prefix) for prefix in EXEMPT):
                continue
            files.append(path)
    return files


def test_the_check_sees_the_production_modules():
    names = {path.relative_to(ROOT).as_posix() for path in production_files()}
    assert {"labs/jobs.py", "quizzes/spec_data.py", "gradebook/selectors.py"} <= names
    assert "labs/runtime/awslambda/service.py" in names  # the runtime is held to the same limits
    assert not any(name.startswith("labs/content/") for name in names)


def test_no_production_file_is_over_500_lines():
    long = []
    for path in production_files():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_FILE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "split by concept:\n" + "\n".join(long)


def test_no_function_is_over_80_lines():
    long = []
    for path in production_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)} line {node.lineno}: {node.name} is {lines} lines")
    assert not long, "\n".join(long)
