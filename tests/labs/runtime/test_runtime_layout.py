"""The runtime's layout: every module imports on its own, no import cycles, shallow packages of a few modules.

``labs/runtime/`` is grouped by AWS service (see the table in labs/runtime/README.md): at most 10 modules at its
top, packages of 3 to 10 modules (``stepfunctions/`` may hold more), nothing deeper than two levels. The files
that run inside the sandbox are imported as the fork server imports them (top-level modules beside it).
"""

import ast
import graphlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "labs" / "runtime"
SANDBOX = RUNTIME / "sandbox"
MAX_TOP_MODULES = 10
PACKAGE_SIZE = (3, 10)
LARGER_PACKAGES = {"stepfunctions"}  # already more than 10 modules before the regrouping

# Imported by the driver before any runtime module, so that each fork pays only for the runtime's own modules:
# they are third-party libraries the runtime uses, and loading them first cannot hide a cycle among ours.
PRELOADED = [
    "boto3",
    "botocore.session",
    "moto",
    "moto.backends",
    "moto.core.botocore_stubber",
    "moto.awslambda.models",
    "moto.iam.models",
    "jsonata",
    "yaml",
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sandbox_files() -> set[str]:
    """The files bound into the sandbox at /var/runtime, as the host's bubblewrap arguments name them."""
    tree = ast.parse((SANDBOX / "host.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "_SANDBOX_FILES" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("labs/runtime/sandbox/host.py no longer names _SANDBOX_FILES")


SANDBOX_FILES = _sandbox_files()
HOST_FILES = sorted(
    path
    for path in RUNTIME.rglob("*.py")
    if "__pycache__" not in path.parts and not (path.parent == SANDBOX and path.name in SANDBOX_FILES)
)
HOST_MODULES = [_module_name(path) for path in HOST_FILES]

DRIVER = textwrap.dedent(
    """
    import importlib, json, os, sys, traceback

    def start(name, sandbox_dir):
        # A forked child imports one module and reports an error or the frameworks it pulled in.
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                if sandbox_dir:
                    sys.path.insert(0, sandbox_dir)
                importlib.import_module(name)
                loaded = sorted({m.split(".")[0] for m in sys.modules} & {"django", "celery", "labs", "moto"})
                report = {"ok": True, "loaded": loaded}
            except BaseException:
                report = {"ok": False, "error": traceback.format_exc(limit=-3)}
            os.write(write, json.dumps(report).encode())
            os._exit(0)
        os.close(write)
        return name, pid, read

    def finish(name, pid, read):
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        return json.loads(b"".join(chunks) or b'{"ok": false, "error": "the child died"}')

    def each_alone(names, sandbox_dir=None, at_once=os.cpu_count() or 1):
        for first in range(0, len(names), at_once):
            children = [start(name, sandbox_dir) for name in names[first : first + at_once]]
            for child in children:
                results[child[0]] = finish(*child)

    plan = json.loads(sys.argv[1])
    results = {}
    each_alone(plan["sandbox"], plan["sandbox_dir"])  # first, with only the standard library loaded
    for name in plan["preload"]:
        importlib.import_module(name)
    each_alone(plan["host"])
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def imported_alone() -> dict:
    """Each runtime module imported on its own, in a child forked from one interpreter that has loaded none of
    them (one fresh interpreter per module at the cost of a fork)."""
    plan = {
        "sandbox": sorted(name.removesuffix(".py") for name in SANDBOX_FILES),
        "sandbox_dir": str(SANDBOX),
        "preload": PRELOADED,
        "host": HOST_MODULES,
    }
    completed = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(plan)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", HOST_MODULES)
def test_each_module_imports_alone_and_loads_no_django(imported_alone, name):
    report = imported_alone[name]
    assert report["ok"], f"importing {name} alone fails:\n{report['error']}"
    assert not {"django", "celery"} & set(report["loaded"]), f"{name} loads {report['loaded']}"


@pytest.mark.parametrize("name", sorted(SANDBOX_FILES))
def test_sandbox_files_import_as_the_fork_server_imports_them(imported_alone, name):
    """Inside the sandbox these files are top-level modules beside the fork server, with no project code, moto
    or Django to import: each must stand on the standard library (and boto3)."""
    report = imported_alone[name.removesuffix(".py")]
    assert report["ok"], f"importing {name} as the sandbox does fails:\n{report['error']}"
    assert not report["loaded"], f"{name} loads {report['loaded']}, which the sandbox does not have"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, known: set[str]) -> set[str]:
    """Runtime modules that ``path`` imports, at any depth (functions included), except under TYPE_CHECKING."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    found.add(submodule)  # ``from labs.runtime.core import wire``
                elif base in known:
                    found.add(base)  # ``from labs.runtime.core.wire import parse_request``
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(name)
    return found


def test_no_import_cycle_between_runtime_modules():
    known = set(HOST_MODULES)
    graph = {_module_name(path): _imports(path, known) for path in HOST_FILES}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = error.args[1]
        pytest.fail("import cycle in labs/runtime: " + " -> ".join(cycle))
    assert set(order) == known


def test_runtime_is_shallow_and_grouped_in_small_packages():
    problems = []
    top = sorted(path.name for path in RUNTIME.glob("*.py"))
    if len(top) > MAX_TOP_MODULES:
        problems.append(f"{len(top)} modules directly in labs/runtime/ (at most {MAX_TOP_MODULES}): {top}")
    for path in HOST_FILES + [SANDBOX / name for name in SANDBOX_FILES]:
        depth = len(path.relative_to(RUNTIME).parts)
        if depth > 3:
            problems.append(f"{path.relative_to(ROOT)} is more than two levels below labs/runtime/")
    for folder in sorted(p for p in RUNTIME.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        modules = sorted(p.name for p in folder.glob("*.py") if p.name != "__init__.py")
        where = folder.relative_to(ROOT)
        if not (folder / "__init__.py").exists():
            problems.append(f"{where}/ has no __init__.py")
        low, high = PACKAGE_SIZE
        if len(modules) < low or (len(modules) > high and folder.name not in LARGER_PACKAGES):
            problems.append(
                f"{where}/ holds {len(modules)} modules (packages hold {low} to {high}): {modules}"
            )
    assert not problems, "\n".join(problems)


def test_the_sandbox_mounts_every_file_the_fork_server_imports():
    """The fork server runs from /var/runtime with only the files the host binds there: each one it or its
    siblings import must be among them, or the sandbox would not start."""
    names = {name.removesuffix(".py") for name in SANDBOX_FILES}
    for file_name in SANDBOX_FILES:
        tree = ast.parse((SANDBOX / file_name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                imported = {(node.module or "").split(".")[0]}
            else:
                continue
            local = {name for name in imported if (SANDBOX / f"{name}.py").exists()}
            assert local <= names, f"{file_name} imports {local - names}, which is not bound at /var/runtime"
