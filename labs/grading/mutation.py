"""Mutation testing of a lab's grader: wrong versions of the solution that the grader must not pass.

A *mutant* is the lab's solution with one small change: in Python (through ``ast``) a flipped comparison, a
swapped ``and``/``or``, an off-by-one number, a changed string, a deleted statement or a returned value
replaced by ``None``; in JSON (state machines, policies, patterns, configurations) a deleted key, a changed
value, an IAM action widened to ``service:*`` or a state's ``Next`` re-pointed; in YAML (SAM templates) a
deleted key, a changed value, a widened action or a ``!Ref`` / ``!GetAtt`` re-pointed to another resource.
Each mutant is graded through ``runner.grade``, like a submission:

- **killed**: it scored less than full marks (the grader noticed);
- **survived**: full marks for wrong code, a gap in the grader, reported with its diff;
- **equivalent**: survived, but the author marked it as changing nothing the lab requires, with a reason,
  in lab.toml (``[[mutation.equivalent]] id = "..." reason = "..."``);
- **crashed**: grading raised (``InfrastructureError``: the grader itself broke) or ran over its time budget.

Generation is deterministic: every candidate change is listed in file and source order, then ``count`` are
drawn with ``random.Random(seed)``. Pure Python: no Django.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import random
import re
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from labs.grading.catalog import LabError, LabSpec

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_SEED",
    "Mutant",
    "MutationReport",
    "equivalents_of",
    "generate_mutants",
    "mutate_lab",
]

DEFAULT_SEED = 0
DEFAULT_COUNT = 12
_COMPARE_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One wrong version of the solution: ``id`` is stable (file, place and change), ``files`` the whole
    submission to grade, ``diff`` the change as a unified diff."""

    id: str
    file: str
    files: dict[str, str] = field(repr=False)
    diff: str = field(repr=False)


@dataclass
class MutationReport:
    slug: str
    seed: int
    candidates: int  # how many mutants the solution has in all
    results: list[dict]  # {id, file, status, score, max_score, diff, reason|message}

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result["status"] == status)

    @property
    def score(self) -> float:
        """Killed among the mutants that are not equivalent (1.0 when there are none)."""
        relevant = len(self.results) - self.count("equivalent")
        return self.count("killed") / relevant if relevant else 1.0

    def as_dict(self) -> dict:
        statuses = ("killed", "survived", "equivalent", "crashed")
        return {
            "slug": self.slug,
            "seed": self.seed,
            "candidates": self.candidates,
            "mutants": len(self.results),
            **{status: self.count(status) for status in statuses},
            "score": round(self.score, 4),
            "results": self.results,
        }


# -- generation ----------------------------------------------------------------------------------------------
def generate_mutants(
    files: dict[str, str], *, seed: int = DEFAULT_SEED, count: int | None = DEFAULT_COUNT
) -> tuple[list[Mutant], int]:
    """``count`` mutants of ``files`` (all of them when ``count`` is None) drawn with ``seed``, in file and
    source order, and how many candidates there were. A file that does not parse gives no mutants."""
    candidates: list[Mutant] = []
    for name in files:
        for mutant_id, text in _mutations_of(name, files[name]):
            if text == files[name]:
                continue
            diff = "".join(
                difflib.unified_diff(
                    _as_mutated(name, files[name]).splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"solution/{name}",
                    f"mutant/{name}",
                    n=1,
                )
            )
            candidates.append(Mutant(mutant_id, name, {**files, name: text}, diff))
    unique = list({mutant.id: mutant for mutant in candidates}.values())
    if count is None or count >= len(unique):
        return unique, len(unique)
    chosen = sorted(random.Random(seed).sample(range(len(unique)), count))  # noqa: S311 - not for secrets
    return [unique[index] for index in chosen], len(unique)


def _as_mutated(name: str, text: str) -> str:
    """The file as its mutants are written (JSON is re-serialized), so a diff shows only the change."""
    if name.endswith(".json"):
        try:
            return json.dumps(json.loads(text), indent=2) + "\n"
        except ValueError:
            return text
    return text


def _mutations_of(name: str, text: str) -> Iterator[tuple[str, str]]:
    if name.endswith(".py"):
        yield from _python_mutations(name, text)
    elif name.endswith(".json"):
        yield from _json_mutations(name, text)
    elif name.endswith((".yaml", ".yml")):
        yield from _yaml_mutations(name, text)


# -- Python --------------------------------------------------------------------------------------------------
def _python_mutations(name: str, text: str) -> Iterator[tuple[str, str]]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    # parts of f-strings carry the whole f-string's position: they are left alone
    in_fstrings = {
        id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in in_fstrings:
            continue
        for label, replacement in _node_changes(node):
            where = f"{name}:{node.lineno}:{node.col_offset}"
            yield f"{where}: {label}", _replace_segment(text, node, replacement)


def _node_changes(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(what changed, the node's new source) for each mutation of this node."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            if type(op) in _COMPARE_SWAPS:
                changed = copy.deepcopy(node)
                changed.ops[index] = _COMPARE_SWAPS[type(op)]()
                yield f"{ast.unparse(node)} -> {ast.unparse(changed)}", ast.unparse(changed)
    elif isinstance(node, ast.BoolOp):
        changed = copy.deepcopy(node)
        changed.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        label = f"{_short(ast.unparse(node))}: {type(node.op).__name__.lower()} -> {type(changed.op).__name__.lower()}"
        yield label, ast.unparse(changed)
    elif isinstance(node, ast.Constant) and _mutable_constant(node.value):
        for value in _changed_values(node.value):
            yield f"{node.value!r} -> {value!r}", repr(value)
    elif isinstance(node, ast.Return) and node.value is not None:
        yield f"return {_short(ast.unparse(node.value))} -> return None", "return None"
    if isinstance(node, ast.stmt) and _deletable(node):
        yield f"delete {_short(ast.unparse(node).splitlines()[0])}", "pass"


def _mutable_constant(value: object) -> bool:
    """Numbers, booleans and identifier-like strings ("VIP-", "ConditionalCheckFailedException"); prose
    (a string with a space: messages, log lines) is left alone, since no grader should require its wording."""
    if isinstance(value, str):
        return " " not in value and "\n" not in value
    return isinstance(value, (bool, int, float))


def _deletable(node: ast.stmt) -> bool:
    """Statements whose deletion is a meaningful mutant: not definitions or imports (a NameError kills
    them trivially), not ``pass`` or docstrings, not logging or ``print`` calls (no grader requires a log
    line)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return False
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        called = ast.unparse(node.value.func)
        if called == "print" or called.split(".")[0] in ("logger", "logging", "log"):
            return False
    return not isinstance(node, ast.Assign) or node.col_offset > 0


def _changed_values(value: object) -> list:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value + 1]
    if isinstance(value, str):
        return [value[:-1]] if value else ["x"]
    return []


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _replace_segment(text: str, node: ast.AST, replacement: str) -> str:
    """``text`` with ``node``'s source replaced (ast offsets are UTF-8 byte columns)."""
    lines = text.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno - 1  # type: ignore[operator]
    head = lines[start].encode()[: node.col_offset].decode()
    tail = lines[end].encode()[node.end_col_offset :].decode()  # type: ignore[misc]
    return "".join(lines[:start]) + head + replacement + tail + "".join(lines[end + 1 :])


# -- JSON ----------------------------------------------------------------------------------------------------
def _json_mutations(name: str, text: str) -> Iterator[tuple[str, str]]:
    try:
        document = json.loads(text)
    except ValueError:
        return
    states = _state_names(document)
    for path, parent, key, value in _json_nodes(document):
        where = f"{name}:{path}"
        if isinstance(parent, dict):
            yield f"{where}: delete", _json_with(document, parent, key, _DELETE)
        if isinstance(value, str) and _is_action(path, value):
            yield (
                f"{where}: {value} -> widened",
                _json_with(document, parent, key, value.split(":")[0] + ":*"),
            )
        if isinstance(value, str) and value in states and len(states) > 1:
            other = states[(states.index(value) + 1) % len(states)]
            yield f"{where}: {value} -> {other}", _json_with(document, parent, key, other)
        elif not isinstance(value, (dict, list)) and value is not None:
            for changed in _changed_values(value):
                yield f"{where}: {value!r} -> {changed!r}", _json_with(document, parent, key, changed)


_DELETE = object()


def _json_nodes(
    value, path: str = "$", parent=None, key=None
) -> Iterator[tuple[str, object, object, object]]:
    if parent is not None:
        yield path, parent, key, value
    if isinstance(value, dict):
        for child_key, child in value.items():
            yield from _json_nodes(child, f"{path}.{child_key}", value, child_key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _json_nodes(child, f"{path}[{index}]", value, index)


def _json_with(document, parent, key, new) -> str:
    """The document re-serialized with ``parent[key]`` replaced (or deleted), leaving ``document`` as it was."""
    old = parent[key]
    if new is _DELETE:
        items = list(parent.items())
        del parent[key]
        result = json.dumps(document, indent=2) + "\n"
        parent.clear()
        parent.update(items)
        return result
    parent[key] = new
    result = json.dumps(document, indent=2) + "\n"
    parent[key] = old
    return result


def _state_names(document) -> list[str]:
    names: list[str] = []
    for _path, _parent, key, value in _json_nodes(document):
        if key == "States" and isinstance(value, dict):
            names += [name for name in value if name not in names]
    return names


_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")


def _is_action(path: str, value: str) -> bool:
    return ".Action" in path and bool(_ACTION.match(value))


# -- YAML (line based, so CloudFormation's !Ref and !GetAtt tags stay as written) -----------------------------
_YAML_ENTRY = re.compile(r"^(?P<indent>\s*)(?P<dash>- )?(?P<key>[\w:./-]+):(?P<rest>.*)$")
_YAML_REF = re.compile(r"!(?P<tag>Ref|GetAtt) (?P<target>[A-Za-z0-9]+)")


def _yaml_mutations(name: str, text: str) -> Iterator[tuple[str, str]]:
    lines = text.splitlines(keepends=True)
    resources = _logical_ids(lines)
    for number, line in enumerate(lines):
        where = f"{name}:{number + 1}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        entry = _YAML_ENTRY.match(line.rstrip("\n"))
        if entry and not entry["dash"] and entry["indent"]:
            end = _block_end(lines, number)
            yield f"{where}: delete {entry['key']}", "".join(lines[:number] + lines[end:])
        for label, new_line in _yaml_line_changes(line, resources):
            yield f"{where}: {label}", "".join([*lines[:number], new_line, *lines[number + 1 :]])


def _yaml_line_changes(line: str, resources: list[str]) -> Iterator[tuple[str, str]]:
    for match in _YAML_REF.finditer(line):
        target = match["target"]
        if target in resources and len(resources) > 1:
            other = resources[(resources.index(target) + 1) % len(resources)]
            new = line[: match.start("target")] + other + line[match.end("target") :]
            yield f"!{match['tag']} {target} -> {other}", new
    value = re.search(r"(?::|- )\s*(?P<value>[^\s#!'\"{}\[\]][^#]*?)\s*$", line)
    if value is None or ": " in value["value"]:
        return
    text = value["value"]
    if re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", text):
        widened = text.split(":")[0] + ":*"
        yield f"{text} -> {widened}", line[: value.start("value")] + widened + line[value.end("value") :]
        return
    changed = _yaml_scalar_change(text)
    if changed is not None:
        yield f"{text} -> {changed}", line[: value.start("value")] + changed + line[value.end("value") :]


def _yaml_scalar_change(text: str) -> str | None:
    if text in ("true", "false"):
        return "false" if text == "true" else "true"
    if re.fullmatch(r"-?\d+", text):
        return str(int(text) + 1)
    return None


def _logical_ids(lines: list[str]) -> list[str]:
    ids, inside = [], False
    for line in lines:
        if re.match(r"^\S", line):
            inside = line.startswith("Resources:")
        elif inside and (match := re.match(r"^  ([A-Za-z0-9]+):\s*$", line)):
            ids.append(match.group(1))
    return ids


def _block_end(lines: list[str], start: int) -> int:
    """The line after ``lines[start]``'s block: its more-indented lines, and a list written at the key's own
    indentation (``Statement:`` followed by ``- Effect: ...``)."""
    indent = _indent(lines[start])
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not (
            _indent(line) > indent or (_indent(line) == indent and line.lstrip().startswith("- "))
        ):
            break
        end += 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# -- the author's equivalents, and running ------------------------------------------------------------------
def equivalents_of(lab: LabSpec) -> dict[str, str]:
    """``{mutant id: reason}`` from lab.toml's ``[[mutation.equivalent]]`` entries. Raises ``LabError``."""
    manifest = tomllib.loads((lab.path / "lab.toml").read_text(encoding="utf-8"))
    entries = (manifest.get("mutation") or {}).get("equivalent", [])
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or not entry.get("id") or not str(entry.get("reason", "")).strip():
            raise LabError(lab.slug, "lab.toml", "each [[mutation.equivalent]] needs an 'id' and a 'reason'")
        found[str(entry["id"])] = str(entry["reason"])
    return found


def mutate_lab(
    lab: LabSpec,
    grade: Callable[[LabSpec, dict[str, str]], dict],
    *,
    seed: int = DEFAULT_SEED,
    count: int | None = DEFAULT_COUNT,
    budget_s: float | None = None,
    on_result: Callable[[dict], None] | None = None,
) -> MutationReport:
    """Grade ``count`` mutants of ``lab``'s solution with ``grade`` (``runner.grade``, or a stand-in in
    tests). A grading slower than ``budget_s`` (default: the lab's ``grading_seconds``) counts as crashed."""
    mutants, candidates = generate_mutants(lab.solution, seed=seed, count=count)
    equivalent = equivalents_of(lab)
    budget = budget_s if budget_s is not None else lab.grading_seconds
    results = []
    for mutant in mutants:
        result = _graded(lab, mutant, grade, budget, equivalent)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return MutationReport(lab.slug, seed, candidates, results)


def _graded(lab, mutant: Mutant, grade, budget: float, equivalent: dict[str, str]) -> dict:
    result = {"id": mutant.id, "file": mutant.file, "diff": mutant.diff, "score": None, "max_score": None}
    started = time.perf_counter()
    try:
        report = grade(lab, mutant.files)
    except Exception as error:  # noqa: BLE001 - any failure to grade is what "crashed" reports
        return {**result, "status": "crashed", "message": f"{type(error).__name__}: {error}"}
    elapsed = time.perf_counter() - started
    result.update(score=report["score"], max_score=report["max_score"], seconds=round(elapsed, 2))
    if elapsed > budget:
        return {**result, "status": "crashed", "message": f"grading took {elapsed:.1f} s, over {budget} s"}
    if report["score"] < report["max_score"]:
        failed = [check["id"] for check in report["checks"] if not check["passed"]]
        return {**result, "status": "killed", "message": "failed " + ", ".join(failed)}
    if mutant.id in equivalent:
        return {**result, "status": "equivalent", "reason": equivalent[mutant.id]}
    return {**result, "status": "survived", "message": "full marks for wrong code"}
