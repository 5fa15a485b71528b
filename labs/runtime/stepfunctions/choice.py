"""Choice rules (JSONPath query language): compile a rule once, then evaluate it against a state's input.

Typed comparisons are false when the variable has another type (``StringEquals`` on a number is false, not
an error), as the specification says. A ``Variable`` (or the second operand of a ``...Path`` operator) that
is absent is an error (AWS: States.Runtime) for every operator but ``IsPresent``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from labs.runtime.stepfunctions.paths import JsonPath, NoMatchError, compile_path

__all__ = ["COMPARISONS", "ChoicePathError", "compile_rule", "parse_timestamp", "string_matches"]

Lookup = Callable[[JsonPath], Any]


class ChoicePathError(LookupError):
    """A rule's path references nothing in the input; ``path`` is its text."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp with an uppercase T and a Z or an offset, as Step Functions requires; else None."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def string_matches(value: str, pattern: str) -> bool:
    """``StringMatches``: ``*`` matches any run of characters; ``\\*`` and ``\\\\`` are literal."""
    regex, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "*\\":
            regex.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        regex.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


_KINDS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], bool]]] = {
    # kind: (convert a value for comparing, is this value of the kind)
    "String": (lambda v: v, lambda v: isinstance(v, str)),
    "Numeric": (lambda v: v, _is_number),
    "Boolean": (lambda v: v, lambda v: isinstance(v, bool)),
    "Timestamp": (parse_timestamp, lambda v: parse_timestamp(v) is not None),
}
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
COMPARISONS: dict[str, tuple[str, str, bool]] = {}  # operator name -> (kind, relation, operand is a path)
for _kind in _KINDS:
    for _relation in _RELATIONS:
        if _kind == "Boolean" and _relation != "Equals":
            continue
        COMPARISONS[f"{_kind}{_relation}"] = (_kind, _relation, False)
        COMPARISONS[f"{_kind}{_relation}Path"] = (_kind, _relation, True)
TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}


def compile_rule(rule: dict) -> Callable[[Lookup], bool]:
    """Compile a Choice rule (top-level or nested, without ``Next``) into ``holds(lookup)``.

    The definition is assumed valid (``validation`` checks it first); ``lookup(path)`` returns a path's
    value or raises ``NoMatchError``.
    """
    if "And" in rule:
        parts = [compile_rule(sub) for sub in rule["And"]]
        return lambda lookup: all(part(lookup) for part in parts)
    if "Or" in rule:
        parts = [compile_rule(sub) for sub in rule["Or"]]
        return lambda lookup: any(part(lookup) for part in parts)
    if "Not" in rule:
        inner = compile_rule(rule["Not"])
        return lambda lookup: not inner(lookup)
    variable = compile_path(rule["Variable"])
    operator = next(key for key in rule if key in COMPARISONS or key in TYPE_TESTS or key in _OTHER)
    operand = rule[operator]

    if operator == "IsPresent":

        def is_present(lookup: Lookup) -> bool:
            try:
                lookup(variable)
            except NoMatchError:
                return operand is False
            return operand is True

        return is_present
    if operator in TYPE_TESTS:
        test = TYPE_TESTS[operator]

        def type_test(lookup: Lookup) -> bool:
            return test(_value(lookup, variable)) is operand

        return type_test
    if operator == "StringMatches":

        def matches(lookup: Lookup) -> bool:
            value = _value(lookup, variable)
            return isinstance(value, str) and string_matches(value, operand)

        return matches
    kind, relation, operand_is_path = COMPARISONS[operator]
    convert, is_kind = _KINDS[kind]
    compare = _RELATIONS[relation]
    other_path = compile_path(operand) if operand_is_path else None
    constant = None if operand_is_path else convert(operand)

    def comparison(lookup: Lookup) -> bool:
        try:
            value = lookup(variable)
        except NoMatchError:
            raise ChoicePathError(variable.text) from None
        if other_path is not None:
            other = _value(lookup, other_path)
            if not is_kind(other):
                return False
            other = convert(other)
        else:
            other = constant
        return is_kind(value) and compare(convert(value), other)

    return comparison


_OTHER = {"IsPresent", "StringMatches"}


def _value(lookup: Lookup, path: JsonPath) -> Any:
    try:
        return lookup(path)
    except NoMatchError:
        raise ChoicePathError(path.text) from None
