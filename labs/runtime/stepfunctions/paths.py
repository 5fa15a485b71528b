"""JSONPath as Amazon States Language uses it: Paths, Reference Paths and payload templates.

A path is compiled once (``compile_path``) and evaluated many times. ``$`` is the state's input, ``$$`` the
context object and ``$name`` a variable (variables arrived in Nov 2024 with ``Assign``). A *definite* path
(only names and indices) yields one value; any other path (wildcards, slices, unions, filters, ``..``)
yields the list of what it matched, as Step Functions' JSONPath engine (Jayway) does.

A payload template (``Parameters``, ``ResultSelector``, ``ItemSelector``) is compiled into a function: keys
ending in ``.$`` take the value of a path or an intrinsic function call; other values are copied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from labs.runtime.stepfunctions import intrinsics

__all__ = ["JsonPath", "PathSyntaxError", "NoMatchError", "compile_path", "compile_template", "set_path"]

_NAME = re.compile(r"[A-Za-z_][\w-]*")
_NOTHING = object()


class PathSyntaxError(ValueError):
    """The text is not a valid path; the message says why and at which character."""


class NoMatchError(LookupError):
    """A definite path found nothing in the data. ``path`` is the path's text."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class JsonPath:
    """A compiled path. ``root`` is "input", "context" or "variable" (then ``variable`` holds its name)."""

    __slots__ = ("text", "root", "variable", "steps", "definite", "is_reference")

    def __init__(self, text: str, root: str, variable: str | None, steps: list[tuple]) -> None:
        self.text = text
        self.root = root
        self.variable = variable
        self.steps = steps
        self.definite = all(kind in ("key", "index") for kind, _ in steps)
        self.is_reference = self.definite and root == "input"

    def find(self, data: Any) -> list:
        """Every value the path matches, in document order."""
        nodes = [data]
        for kind, arg in self.steps:
            nodes = _filter(nodes, arg, data) if kind == "filter" else _STEP[kind](nodes, arg)
            if not nodes:
                break
        return nodes

    def value(self, data: Any) -> Any:
        """The definite path's value (``NoMatchError`` when absent), or the list of matches."""
        if not self.definite:
            return self.find(data)
        node = data
        for kind, arg in self.steps:
            if kind == "key":
                if not isinstance(node, dict) or arg not in node:
                    raise NoMatchError(self.text)
                node = node[arg]
            else:
                if not isinstance(node, list) or not -len(node) <= arg < len(node):
                    raise NoMatchError(self.text)
                node = node[arg]
        return node

    def normalized(self) -> str:
        """The path as AWS echoes it in error causes: ``$['a']['b'][0]``."""
        parts = [f"['{arg}']" if kind == "key" else f"[{arg}]" for kind, arg in self.steps]
        return "$" + "".join(parts)

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"


@lru_cache(maxsize=4096)
def compile_path(text: str) -> JsonPath:
    """Parse ``text``; raises ``PathSyntaxError``."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"The path {text!r} must start with '$'")
    position, root, variable = 1, "input", None
    if text.startswith("$$"):
        position, root = 2, "context"
    else:
        name = _NAME.match(text, 1)
        if name:
            position, root, variable = name.end(), "variable", name.group()
    steps: list[tuple] = []
    while position < len(text):
        position = _parse_step(text, position, steps)
    return JsonPath(text, root, variable, steps)


def _parse_step(text: str, position: int, steps: list[tuple]) -> int:
    if text.startswith("..", position):
        position += 2
        if text.startswith("*", position):
            steps.append(("descend", None))
            return position + 1
        name = _NAME.match(text, position)
        if not name:
            raise PathSyntaxError(f"Expected a field name after '..' at character {position} of {text!r}")
        steps.append(("descend", name.group()))
        return name.end()
    if text[position] == ".":
        position += 1
        if text.startswith("[", position):
            return position  # Jayway reads "$.[0]" and "$.a.[0]" as "$[0]" and "$.a[0]"
        if text.startswith("*", position):
            steps.append(("wild", None))
            return position + 1
        name = re.compile(r"[^.\[\]\s]+").match(text, position)
        if not name:
            raise PathSyntaxError(f"Expected a field name at character {position} of {text!r}")
        steps.append(("key", name.group()))
        return name.end()
    if text[position] == "[":
        end = _closing_bracket(text, position)
        steps.append(_bracket(text[position + 1 : end].strip(), text, position))
        return end + 1
    raise PathSyntaxError(f"Unexpected {text[position]!r} at character {position} of {text!r}")


def _closing_bracket(text: str, start: int) -> int:
    depth, quote = 0, None
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == "\\":
                continue
            if char == quote and text[index - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return index
    raise PathSyntaxError(f"Unclosed '[' at character {start} of {text!r}")


def _bracket(inner: str, text: str, position: int) -> tuple:
    if inner == "*":
        return ("wild", None)
    if inner.startswith("?(") and inner.endswith(")"):
        return ("filter", _compile_filter(inner[2:-1], text))
    if ":" in inner and not inner.startswith(("'", '"')):
        try:
            bounds = [int(part) if part.strip() else None for part in inner.split(":")]
        except ValueError:
            raise PathSyntaxError(f"Invalid slice [{inner}] at character {position} of {text!r}") from None
        if len(bounds) > 3 or (len(bounds) == 3 and bounds[2] == 0):
            raise PathSyntaxError(f"Invalid slice [{inner}] at character {position} of {text!r}")
        return ("slice", slice(*bounds))
    members = [member.strip() for member in inner.split(",")]
    parsed = []
    for member in members:
        if len(member) >= 2 and member[0] == member[-1] and member[0] in "'\"":
            parsed.append(member[1:-1].replace("\\'", "'"))
        elif re.fullmatch(r"-?\d+", member):
            parsed.append(int(member))
        else:
            raise PathSyntaxError(f"Invalid subscript [{inner}] at character {position} of {text!r}")
    if len(parsed) == 1:
        return ("key", parsed[0]) if isinstance(parsed[0], str) else ("index", parsed[0])
    return ("union", parsed)


# -- steps over node lists ------------------------------------------------------------------------------------
def _key(nodes: list, name: str) -> list:
    return [node[name] for node in nodes if isinstance(node, dict) and name in node]


def _index(nodes: list, index: int) -> list:
    return [node[index] for node in nodes if isinstance(node, list) and -len(node) <= index < len(node)]


def _wild(nodes: list, _: None) -> list:
    out: list = []
    for node in nodes:
        if isinstance(node, dict):
            out.extend(node.values())
        elif isinstance(node, list):
            out.extend(node)
    return out


def _slice(nodes: list, bounds: slice) -> list:
    return [item for node in nodes if isinstance(node, list) for item in node[bounds]]


def _union(nodes: list, members: list) -> list:
    out: list = []
    for member in members:
        out.extend(_key(nodes, member) if isinstance(member, str) else _index(nodes, member))
    return out


def _descend(nodes: list, name: str | None) -> list:
    out: list = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if name is None:
                out.extend(node.values())
            elif name in node:
                out.append(node[name])
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            if name is None:
                out.extend(node)
            for child in node:
                visit(child)

    for node in nodes:
        visit(node)
    return out


def _filter(nodes: list, predicate: Callable[[Any, Any], bool], root: Any = None) -> list:
    out: list = []
    for node in nodes:
        children = node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
        out.extend(child for child in children if predicate(child, root))
    return out


_STEP = {
    "key": _key,
    "index": _index,
    "wild": _wild,
    "slice": _slice,
    "union": _union,
    "descend": _descend,
    "filter": _filter,
}

# -- filter expressions: ?(@.a > 1 && @.b == 'x'), ?(@.flag) ---------------------------------------------------
_COMPARISON = re.compile(r"^(@[^=!<>\s]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compile_filter(expression: str, text: str) -> Callable[[Any, Any], bool]:
    alternatives = [part.strip() for part in expression.split("||")]
    compiled = [[_compile_term(term.strip(), text) for term in alt.split("&&")] for alt in alternatives]
    return lambda node, root: any(all(term(node, root) for term in terms) for terms in compiled)


def _compile_term(term: str, text: str) -> Callable[[Any, Any], bool]:
    match = _COMPARISON.match(term)
    if match is None:
        if not term.startswith("@"):
            raise PathSyntaxError(f"Invalid filter term {term!r} in {text!r}")
        field = compile_path("$" + term[1:])
        return lambda node, root: bool(field.find(node))
    field = compile_path("$" + match.group(1)[1:])
    operator = _OPERATORS[match.group(2)]
    operand = _operand(match.group(3).strip(), text)

    def term_holds(node: Any, root: Any) -> bool:
        found = field.find(node)
        if not found:
            return False
        other = operand(node, root)
        if other is _NOTHING:
            return False
        try:
            return operator(found[0], other)
        except TypeError:
            return False  # comparing a string with a number matches nothing, as in Jayway

    return term_holds


def _operand(literal_text: str, text: str) -> Callable[[Any, Any], Any]:
    """The right-hand side of a filter comparison: a literal, ``@.field`` (the item) or ``$.field`` (the
    document the path is evaluated on, as Jayway reads ``$`` inside a filter)."""
    if literal_text.startswith(("@", "$")) and not literal_text.startswith("$$"):
        other = compile_path("$" + literal_text[1:])
        on_item = literal_text.startswith("@")

        def lookup(node: Any, root: Any) -> Any:
            found = other.find(node if on_item else root)
            return found[0] if found else _NOTHING

        return lookup
    if literal_text.startswith("'") and literal_text.endswith("'"):
        literal_text = json.dumps(literal_text[1:-1])
    try:
        literal = json.loads(literal_text)
    except ValueError:
        raise PathSyntaxError(f"Invalid value {literal_text!r} in filter of {text!r}") from None
    return lambda node, root: literal


# -- Reference Paths: where ResultPath puts a result ------------------------------------------------------------
def set_path(data: Any, path: JsonPath, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at the reference path (``$`` replaces everything).

    Missing objects along the way are created. Raises ``NoMatchError`` when a step goes through something
    that is not an object (AWS: States.ResultPathMatchFailure).
    """
    if not path.steps:
        return value
    if not path.is_reference or any(kind != "key" for kind, _ in path.steps):
        raise NoMatchError(path.text)
    if not isinstance(data, dict):
        raise NoMatchError(path.text)
    root = dict(data)
    node = root
    for _, name in path.steps[:-1]:
        child = node.get(name, _NOTHING)
        if child is _NOTHING:
            child = {}
        elif not isinstance(child, dict):
            raise NoMatchError(path.text)
        else:
            child = dict(child)
        node[name] = child
        node = child
    node[path.steps[-1][1]] = value
    return root


# -- payload templates -----------------------------------------------------------------------------------------
class TemplateError(LookupError):
    """A ``.$`` field's path found nothing: ``field`` and ``path`` name it (AWS: States.Runtime)."""

    def __init__(self, field: str, path: str) -> None:
        super().__init__(field, path)
        self.field = field
        self.path = path


def compile_template(template: Any) -> Callable[[Callable[[JsonPath], Any], Any], Any]:
    """Compile a payload template into ``render(lookup, rng)``.

    ``lookup(path)`` returns the value of a compiled path (input, context or variable); it raises
    ``NoMatchError`` when a definite path matches nothing, which becomes ``TemplateError``.
    Raises ``PathSyntaxError`` / ``intrinsics.IntrinsicSyntaxError`` for a malformed field.
    """
    if isinstance(template, dict):
        fields = []
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                fields.append((key[:-2], _compile_dynamic(key, value)))
            else:
                fields.append((key, compile_template(value)))

        def render_object(lookup, rng):
            return {name: render(lookup, rng) for name, render in fields}

        return render_object
    if isinstance(template, list):
        items = [compile_template(item) for item in template]
        return lambda lookup, rng: [render(lookup, rng) for render in items]
    constant = template
    if isinstance(constant, str | int | float | bool) or constant is None:
        return lambda lookup, rng: constant
    return lambda lookup, rng: json.loads(json.dumps(constant))


def _compile_dynamic(key: str, text: str) -> Callable[[Callable[[JsonPath], Any], Any], Any]:
    if intrinsics.is_intrinsic(text):
        # Its paths are compiled here, once, not on every evaluation.
        return intrinsics.compile_intrinsic(text).compile(lambda path_text: _path_reader(key, path_text))
    path = compile_path(text)

    def render_path(lookup, rng):
        try:
            return lookup(path)
        except NoMatchError:
            raise TemplateError(key, text) from None

    return render_path


def _path_reader(key: str, text: str) -> Callable[[Callable[[JsonPath], Any], Any], Any]:
    """``read(lookup, rng)``: the value of an intrinsic's path argument ``text`` in the template field ``key``."""
    try:
        path = compile_path(text)
    except PathSyntaxError:  # validation rejects such a definition; otherwise fail when evaluated, as before
        return lambda lookup, rng: lookup(compile_path(text))

    def read(lookup, rng):
        try:
            return lookup(path)
        except NoMatchError:
            raise TemplateError(key, text) from None

    return read
