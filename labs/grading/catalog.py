"""The lab catalog: one folder per lab under ``labs/content/<slug>/``, loaded and validated.

A lab folder holds::

    lab.toml          the manifest (below)
    instructions.md   what the student reads, Markdown
    grader.py         trusted checks (labs.grading.checks), run on the host against a fresh simulated account
    starter/          the files the student starts from (one per editable file)
    solution/         the reference solution (never shown to students; tests prove it scores full marks)

The manifest::

    title = "Squared number"
    summary = "One sentence for the catalog."
    course = "serverless"              # the course and lesson the lab belongs to
    lesson = "lambda-fundamentals"
    order = 1
    editable = ["app.py"]              # files the student edits, in tab order
    [limits]
    grading_seconds = 20               # a grading running longer than this (plus a grace) is re-enqueued
    [playground]                       # optional: a Test button that invokes the student's draft with an event
    handler = "app.lambda_handler"     # <editable .py file>.<function>; only labs with one handler have it
    function = "squared"               # optional: the function's name in the trace (default: the lab's slug)
    event = { number = 5 }             # optional: the event the Test box starts with (a TOML table)
    # or, for a Step Functions lab, a "Start execution" box instead of the Test button:
    # state_machine = "workflow.json"  # the editable ASL file; the grader defines start_execution(lab, input)
    # event = { order_id = "o-1" }     # optional: the execution input the box starts with
    [checks]                           # every check of the grader, in exactly one list
    visible = ["returns_square"]       # shown (and run by "Run checks") before submitting
    after_deadline = ["rejects_text"]  # results shown once the deadline has passed
    hidden = ["big_numbers"]           # only their pass/fail counts, never their names or messages
    [[mutation.equivalent]]            # optional, repeated: a mutant of the solution that changes nothing
    id = "app.py:12:4: ..."            # required (manage.py mutate_lab; read by labs.grading.mutation)
    reason = "why it is still right"

Pure Python: no Django. Every problem is a ``LabError`` naming the lab and the file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from courses.facts import FactError, content_dir, course_facts, resolve_tags
from labs.grading.checks import Check, checks_of, setup_of

__all__ = ["CATALOG_DIR", "LabError", "LabSpec", "VISIBILITIES", "load_catalog", "load_lab"]

CATALOG_DIR = Path(__file__).resolve().parent.parent / "content"
VISIBILITIES = ("visible", "after_deadline", "hidden")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_HANDLER = re.compile(r"^(?P<module>[A-Za-z_][A-Za-z0-9_]*)\.(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


class LabError(ValueError):
    """A lab folder is invalid: ``slug`` and ``file`` say where, the message says what."""

    def __init__(self, slug: str, file: str, message: str) -> None:
        super().__init__(f"lab {slug}: {file}: {message}")
        self.slug, self.file, self.message = slug, file, message


@dataclass
class LabSpec:
    slug: str
    path: Path
    title: str
    summary: str
    course: str
    lesson: str
    order: int
    editable: list[str]
    instructions: str
    starter: dict[str, str]
    solution: dict[str, str]
    checks: list[Check]
    visibility: dict[str, str]  # check id -> one of VISIBILITIES
    grading_seconds: int = 20
    playground_handler: str = ""  # "" when the lab has no playground
    playground_function: str = ""
    playground_event: dict = field(default_factory=dict)
    # the editable ASL file that the "Start execution" box runs ("" when the playground is a Test button)
    playground_state_machine: str = ""
    grader: ModuleType | None = None
    content_hash: str = ""

    @property
    def points(self) -> int:
        return sum(check.points for check in self.checks)

    def setup(self):
        return setup_of(self.grader) if self.grader else None


def load_catalog(root: Path = CATALOG_DIR) -> list[LabSpec]:
    """Every lab under ``root``, sorted by order then slug. Raises ``LabError`` for the first invalid lab."""
    labs = [load_lab(path) for path in sorted(root.iterdir()) if (path / "lab.toml").exists()]
    return sorted(labs, key=lambda lab: (lab.order, lab.slug))


def _instructions(slug: str, path: Path, course: str) -> str:
    """instructions.md with its ``{{ fact:key }}`` tags replaced from the course's facts.yaml."""
    text = _text(slug, path, "instructions.md")
    try:
        return resolve_tags(text, course_facts(content_dir() / course), path / "instructions.md")
    except FactError as exc:
        if exc.path.name != "instructions.md":  # the course's facts.yaml itself is bad: say so
            raise LabError(slug, "instructions.md", f"its course's facts: {exc}") from None
        where = f"line {exc.line}: " if exc.line else ""
        raise LabError(slug, "instructions.md", f"{where}{exc.problem}") from None


def load_lab(path: Path) -> LabSpec:
    """Load and validate one lab folder. Raises ``LabError``."""
    slug = path.name
    if not _SLUG.match(slug):
        raise LabError(slug, ".", "the folder name must be a slug (lowercase letters, digits and dashes)")
    manifest = _manifest(slug, path / "lab.toml")
    editable = manifest["editable"]
    instructions = _instructions(slug, path, manifest["course"])
    starter = {name: _text(slug, path, f"starter/{name}") for name in editable}
    solution = {name: _text(slug, path, f"solution/{name}") for name in editable}
    grader = _import_grader(slug, path / "grader.py")
    try:
        checks = checks_of(grader)
    except ValueError as error:
        raise LabError(slug, "grader.py", str(error)) from None
    if not checks:
        raise LabError(slug, "grader.py", "declares no checks (use @check from labs.grading.checks)")
    visibility = _visibility(slug, manifest.get("checks", {}), [check.id for check in checks])
    limits = manifest.get("limits", {})
    seconds = limits.get("grading_seconds", 20)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= 120:
        raise LabError(slug, "lab.toml", "[limits] grading_seconds must be an integer from 1 to 120")
    handler, function, event, state_machine = _playground(slug, manifest.get("playground"), editable)
    if state_machine and not callable(getattr(grader, "start_execution", None)):
        raise LabError(
            slug,
            "grader.py",
            "[playground] state_machine needs start_execution(lab, input) in the grader "
            "(it starts the student's state machine with the box's input and returns the execution)",
        )
    return LabSpec(
        slug=slug,
        path=path,
        title=manifest["title"],
        summary=manifest.get("summary", ""),
        course=manifest["course"],
        lesson=manifest["lesson"],
        order=manifest.get("order", 0),
        editable=editable,
        instructions=instructions,
        starter=starter,
        solution=solution,
        checks=checks,
        visibility=visibility,
        grading_seconds=seconds,
        playground_handler=handler,
        playground_function=function,
        playground_event=event,
        playground_state_machine=state_machine,
        grader=grader,
        content_hash=_content_hash(path, instructions),
    )


def _manifest(slug: str, path: Path) -> dict:
    if not path.exists():
        raise LabError(slug, "lab.toml", "is missing")
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise LabError(slug, "lab.toml", f"is not valid TOML: {error}") from None
    for key, kind in (("title", str), ("course", str), ("lesson", str), ("editable", list)):
        if not isinstance(manifest.get(key), kind) or not manifest[key]:
            raise LabError(slug, "lab.toml", f"'{key}' is required ({kind.__name__})")
    if not isinstance(manifest.get("order", 0), int):
        raise LabError(slug, "lab.toml", "'order' must be an integer")
    names = manifest["editable"]
    for name in names:
        if not isinstance(name, str) or not _FILE_NAME.match(name):
            raise LabError(slug, "lab.toml", f"editable file {name!r} must be a plain file name")
    if len(set(names)) != len(names):
        raise LabError(slug, "lab.toml", "'editable' lists a file twice")
    return manifest


def _playground(slug: str, table: object, editable: list[str]) -> tuple[str, str, dict, str]:
    """(handler, function name, default event, state machine file) of the optional ``[playground]``
    table; ("", "", {}, "") without one. A playground is either a handler or a state machine."""
    if table is None:
        return "", "", {}, ""
    if not isinstance(table, dict):
        raise LabError(slug, "lab.toml", "[playground] must be a table")
    unknown = set(table) - {"handler", "function", "event", "state_machine"}
    if unknown:
        raise LabError(slug, "lab.toml", f"[playground] has unknown keys {sorted(unknown)}")
    event = table.get("event", {})
    if not isinstance(event, dict):
        raise LabError(slug, "lab.toml", "[playground] event must be a table (the JSON object to start from)")
    if "state_machine" in table:
        if "handler" in table or "function" in table:
            raise LabError(slug, "lab.toml", "[playground] has a handler or a state_machine, not both")
        state_machine = table["state_machine"]
        if (
            not isinstance(state_machine, str)
            or not state_machine.endswith(".json")
            or state_machine not in editable
        ):
            raise LabError(
                slug,
                "lab.toml",
                f"[playground] state_machine {state_machine!r} must be an editable .json file",
            )
        return "", "", event, state_machine
    handler = table.get("handler")
    match = _HANDLER.match(handler) if isinstance(handler, str) else None
    if match is None:
        raise LabError(
            slug, "lab.toml", "[playground] handler must look like 'app.lambda_handler' (file.function)"
        )
    if f"{match['module']}.py" not in editable:
        raise LabError(
            slug,
            "lab.toml",
            f"[playground] handler {handler!r} names {match['module']}.py, which is not an editable file",
        )
    function = table.get("function", slug)
    if not isinstance(function, str) or not _FUNCTION_NAME.match(function):
        raise LabError(
            slug,
            "lab.toml",
            "[playground] function must be a Lambda function name (letters, digits, - and _)",
        )
    return handler, function, event, ""


def _text(slug: str, root: Path, relative: str) -> str:
    path = root / relative
    if not path.is_file():
        raise LabError(slug, relative, "is missing")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LabError(slug, relative, "is not UTF-8 text") from None


def _import_grader(slug: str, path: Path) -> ModuleType:
    if not path.exists():
        raise LabError(slug, "grader.py", "is missing")
    name = f"labs_catalog_{slug.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as error:  # noqa: BLE001 - any error in the grader is reported against its file
        line = next((frame.lineno for frame in _frames(error) if frame.filename == str(path)), None)
        where = f"grader.py line {line}" if line else "grader.py"
        raise LabError(slug, where, f"cannot be imported: {type(error).__name__}: {error}") from None
    sys.modules[name] = module
    return module


def _frames(error: BaseException):
    return traceback.extract_tb(error.__traceback__)


def _visibility(slug: str, table: dict, check_ids: list[str]) -> dict[str, str]:
    unknown_lists = set(table) - set(VISIBILITIES)
    if unknown_lists:
        raise LabError(slug, "lab.toml", f"[checks] has unknown lists {sorted(unknown_lists)}")
    visibility: dict[str, str] = {}
    for kind in VISIBILITIES:
        for check_id in table.get(kind, []):
            if check_id not in check_ids:
                raise LabError(slug, "lab.toml", f"[checks] {kind} names {check_id!r}, which grader.py lacks")
            if check_id in visibility:
                raise LabError(slug, "lab.toml", f"[checks] lists {check_id!r} twice")
            visibility[check_id] = kind
    missing = [check_id for check_id in check_ids if check_id not in visibility]
    if missing:
        raise LabError(slug, "lab.toml", f"[checks] must give a visibility to {', '.join(missing)}")
    if "visible" not in visibility.values():
        raise LabError(slug, "lab.toml", "[checks] needs at least one visible check")
    return visibility


def _content_hash(path: Path, instructions: str) -> str:
    """The lab's files, plus its instructions as rendered: an edited facts.yaml changes the hash too."""
    digest = hashlib.sha256(instructions.encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()
