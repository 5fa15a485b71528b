"""The project's import graph: no cycles, apps layered, the runtime reached only through labs.grading.

Read with ``ast`` (no module is imported), so every import counts, including those inside function
bodies: moving an import into a function hides a cycle from Python, not from this test. Imports inside
functions are also listed on their own, and only the few kept on purpose (each with its reason) pass.
"""

from __future__ import annotations

import ast
import graphlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every top-level package of the project (a new app is found, and must be given a rung below).
PACKAGES = tuple(
    sorted(
        path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name not in {"tests", "bench"}
    )
)
# Lab folders are content: a grader is loaded from its file by labs.grading.catalog, never imported by name.
NOT_MODULES = ("labs/content/",)

# Apps from the bottom up: a module may import its own app and the apps on lower rungs, never a higher
# one. Apps on the same rung do not import each other (quizzes and labs both sit below the gradebook).
# ``config.htmx`` is a leaf (the request type views are written against); the rest of config sits on top.
RUNGS = {
    "tools": 0,  # developer tools (the lock file check): import no app
    "config.htmx": 0,
    "accounts": 1,
    "courses": 2,
    "quizzes": 3,
    "labs": 3,
    "gradebook": 4,
    "practice": 4,  # exams, spaced review, mastery: read quizzes and labs
    "lti": 5,  # the LMS integration: reads the gradebook, hears courses.signals.score_changed
    "config": 6,
}

# Not imported by name: settings modules are chosen by DJANGO_SETTINGS_MODULE (production refuses to load
# without its secrets), and the sandbox's two scripts run inside the sandbox with their own import path.
NOT_IMPORTED_ALONE = (
    "config.settings.",
    "labs.runtime.sandbox.lambda_runtime",
    "labs.runtime.sandbox.forkserver",
)

# Imports inside a function that are kept on purpose: (module, function) -> why.
FUNCTION_IMPORTS_KEPT = {
    ("accounts.apps", "ready"): "Django's rule: signal receivers connect once the app registry is ready",
    ("courses.apps", "ready"): "Django's rule: signal receivers connect once the app registry is ready",
    ("lti.apps", "ready"): "Django's rule: signal receivers connect once the app registry is ready",
    ("config.celery_app", "_warm_up_grading"): "the runtime is loaded by worker processes only, never by web",
    ("config.celery_app", "_sweep_abandoned_code"): "the runtime is loaded by worker processes only",
    ("config.celery_app", "_close_sandboxes"): "the runtime is loaded by worker processes only",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    function: str | None  # the enclosing function, None at module level


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def first_party_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(NOT_MODULES):
                modules[module_name(path)] = path
    return modules


def _imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def target(dotted: str) -> str | None:
        """The first-party module ``dotted`` names (its longest first-party prefix), else None."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in modules:
                return candidate
        return None

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # "from package import module" imports the module; "from module import name" the module
                names = [f"{base}.{alias.name}" for alias in child.names] + [base]
            targets = []
            if isinstance(child, ast.ImportFrom):
                # "from labs import jobs" imports labs.jobs; "from labs.jobs import lab_spec", labs.jobs
                targets = [target(dotted) or target(base) for dotted in names[:-1]]
            else:
                targets = [target(dotted) for dotted in names]
            for imported in dict.fromkeys(targets):
                if imported is not None and imported != name:
                    found.append(Import(name, imported, child.lineno, function))
            visit(child, inner)

    visit(tree, None)
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    modules = first_party_modules()
    return [found for name, path in modules.items() for found in _imports_of(name, path, modules)]


def _app(module: str) -> str:
    return "config.htmx" if module == "config.htmx" else module.split(".")[0]


def test_the_graph_is_read():
    modules = first_party_modules()
    assert {"labs.jobs", "labs.grading.runner", "gradebook.selectors", "labs.views.review"} <= set(modules)
    edges = {
        (found.importer, found.imported)
        for found in _imports_of("labs.tasks", modules["labs.tasks"], modules)
    }
    assert ("labs.tasks", "labs.services") in edges and ("labs.tasks", "labs.grading") in edges


def test_no_import_cycles(imports):
    graph: dict[str, set[str]] = {}
    for found in imports:
        graph.setdefault(found.importer, set()).add(found.imported)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        where = {(f.importer, f.imported): f for f in imports}
        steps = [f"{a} (line {where[(a, b)].line}) -> {b}" for a, b in zip(cycle, cycle[1:], strict=False)]
        pytest.fail("import cycle: " + "; ".join(steps))


def test_the_cycle_check_finds_a_cycle():
    graph = {"labs.services": {"labs.tasks"}, "labs.tasks": {"labs.services"}}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()


def test_every_app_has_a_rung():
    assert set(PACKAGES) <= set(RUNGS), (
        f"place each app on a rung of RUNGS: {sorted(set(PACKAGES) - set(RUNGS))}"
    )


def test_apps_import_only_downwards(imports):
    wrong = []
    for found in imports:
        low, high = _app(found.importer), _app(found.imported)
        if low == high or low not in RUNGS or high not in RUNGS:
            continue
        if RUNGS[high] >= RUNGS[low]:
            wrong.append(f"{found.importer} line {found.line} imports {found.imported}")
    assert not wrong, "an app imports one on its own rung or above:\n" + "\n".join(wrong)


def test_only_labs_grading_imports_the_runtime(imports):
    outside = [
        f"{found.importer} line {found.line}"
        for found in imports
        if found.imported.startswith("labs.runtime")
        and not found.importer.startswith(("labs.runtime", "labs.grading"))
    ]
    assert not outside, "imports labs.runtime outside labs.grading: " + ", ".join(outside)


# Django-free modules of Django apps that grading may read: the course's facts table, so a grader checks the same
# number a lesson states (courses/facts.py imports only the standard library and yaml; tests/courses/test_facts.py
# proves it loads without Django).
PURE_FOR_GRADING = ("courses.facts",)


def test_the_runtime_and_grading_import_nothing_of_the_django_side(imports):
    wrong = [
        f"{found.importer} line {found.line} imports {found.imported}"
        for found in imports
        if (found.importer.startswith("labs.runtime") and not found.imported.startswith("labs.runtime"))
        or (
            found.importer.startswith("labs.grading")
            and not found.imported.startswith(("labs.runtime", "labs.grading"))
            and found.imported not in PURE_FOR_GRADING
        )
    ]
    assert not wrong, "\n".join(wrong)


def test_imports_inside_functions_are_only_the_ones_kept_on_purpose(imports):
    hidden = sorted(
        f"{found.importer}.{found.function} line {found.line} imports {found.imported}"
        for found in imports
        if found.function is not None
        and (found.importer, found.function) not in FUNCTION_IMPORTS_KEPT
        # the runtime's own lazy imports are its package's business (labs/runtime/README.md)
        and not found.importer.startswith("labs.runtime")
    )
    assert not hidden, "first-party imports inside functions (move them to the top):\n" + "\n".join(hidden)


def test_the_grading_package_loads_without_django():
    code = "import sys, labs.grading; print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_module_imports(tmp_path):
    """Every first-party module imports in a fresh interpreter once Django is set up: a module that no
    test happens to import (a management command, a migration) cannot hide a broken or circular import."""
    names = sorted(name for name in first_party_modules() if not name.startswith(NOT_IMPORTED_ALONE))
    script = tmp_path / "import_all.py"
    script.write_text(
        "import importlib, sys, django\n"
        "django.setup()\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
