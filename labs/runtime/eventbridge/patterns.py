"""Amazon EventBridge event patterns: validate a pattern once, then match events with plain functions.

The rules follow AWS's documentation (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
and .../eb-create-pattern-operators.html):

- A pattern is a JSON object. Its keys name fields of the event; a value is either an object (a nested pattern)
  or a non-empty array of conditions, any one of which may match (OR). Keys are ANDed. ``"$or"`` takes a list of
  patterns, any of which may match.
- A condition is a literal (string, number, boolean or null: exact match; numbers compare as numbers, so 5 matches
  5.0) or an object with one operator: ``prefix``, ``suffix`` (each also ``{"equals-ignore-case": ...}``),
  ``equals-ignore-case``, ``wildcard``, ``anything-but`` (a value, a list of strings or of numbers, or
  ``{"prefix"|"suffix"|"equals-ignore-case"|"wildcard": ...}``), ``numeric`` (``["<", 10]``,
  ``[">", 0, "<=", 5]``, ``["=", 3]``), ``exists`` (true / false) and ``cidr`` (IPv4 or IPv6).
- When the event's field holds an array, the condition matches if any element matches; arrays of objects are
  searched element by element for nested fields.
- A missing field matches only ``{"exists": false}``; ``exists`` looks at leaf values, so a field that holds an
  object does not "exist" as a leaf.

``compile_pattern`` raises ``InvalidEventPatternError`` naming the problem and its JSON path, in the way AWS's
``InvalidEventPatternException`` does; ``matches`` is the one-call form, caching compiled patterns.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable

__all__ = ["CompiledPattern", "InvalidEventPatternError", "compile_pattern", "matches"]

_MISSING = object()
_SCALARS = (str, int, float, bool, type(None))
_NUMERIC_LIMIT = 1.0e9  # AWS limits numeric matching to -1e9 .. +1e9
_LOWER, _UPPER = {">", ">="}, {"<", "<="}

Condition = Callable[[object], bool]  # takes one event value (or _MISSING), says whether it matches


class InvalidEventPatternError(ValueError):
    """The pattern is not valid; the message says why and where (a JSON path such as ``$.detail.state[0]``)."""

    def __init__(self, problem: str, path: str, located: bool = True) -> None:
        self.problem, self.path = problem, path
        where = f" at {path}" if located else ""
        super().__init__(f"Event pattern is not valid. Reason: {problem}{where}")


class CompiledPattern:
    """A validated pattern; ``matches(event)`` is a pure function of the event."""

    def __init__(self, pattern: dict, test: Callable[[object], bool]) -> None:
        self.pattern = pattern
        self._test = test

    def matches(self, event: dict) -> bool:
        return self._test(event)


def compile_pattern(pattern: dict | str) -> CompiledPattern:
    """Validate ``pattern`` (a dict or JSON text) and return a reusable matcher."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as error:
            raise InvalidEventPatternError(f"the pattern is not valid JSON ({error})", "$") from None
    if not isinstance(pattern, dict):
        raise InvalidEventPatternError("the pattern must be a JSON object", "$")
    return CompiledPattern(pattern, _compile_object(pattern, "$"))


@functools.lru_cache(maxsize=1024)
def _compiled_from_text(text: str) -> CompiledPattern:
    return compile_pattern(text)


def matches(pattern: dict | str, event: dict) -> bool:
    """Whether ``event`` matches ``pattern``. Raises ``InvalidEventPatternError`` for an invalid pattern."""
    text = pattern if isinstance(pattern, str) else json.dumps(pattern, sort_keys=True)
    return _compiled_from_text(text).matches(event)


# -- compiling the structure --------------------------------------------------------------------------------
def _compile_object(pattern: dict, path: str) -> Callable[[object], bool]:
    """A pattern object: every key must match (AND); ``$or`` adds alternatives."""
    if not pattern:
        raise InvalidEventPatternError("an empty object is not a pattern", path)
    tests: list[Callable[[object], bool]] = []
    for key, value in pattern.items():
        where = f"{path}.{key}"
        if key == "$or":
            tests.append(_compile_or(value, where))
        elif not isinstance(value, dict | list):
            raise InvalidEventPatternError("match values must be in an array or an object", where)
        elif "." in key:
            tests.append(_dotted_field(key, value, where))
        elif isinstance(value, dict):
            tests.append(_field(key, _compile_object(value, where), nested=True))
        else:
            tests.append(_field(key, _compile_leaf(value, where), nested=False))

    if len(tests) == 1:
        return tests[0]
    # Keys are ANDed, so their order is free: exact-string fields first, nested objects and $or last.
    tests.sort(key=lambda check: getattr(check, "cost", 0 if check.__name__ == "check_strings" else 3))

    def test(event: object) -> bool:
        for check in tests:  # noqa: SIM110 - a plain loop: runs for every rule and event, faster than all()
            if not check(event):
                return False
        return True

    return test


def _compile_or(alternatives: object, path: str) -> Callable[[object], bool]:
    if not isinstance(alternatives, list) or not alternatives:
        raise InvalidEventPatternError("$or must be a non-empty array of patterns", path)
    tests = []
    for index, alternative in enumerate(alternatives):
        if not isinstance(alternative, dict):
            raise InvalidEventPatternError("each $or alternative must be an object", f"{path}[{index}]")
        tests.append(_compile_object(alternative, f"{path}[{index}]"))
    return lambda event: any(check(event) for check in tests)


def _dotted_field(key: str, value: dict | list, path: str) -> Callable[[object], bool]:
    """EventBridge flattens field names with dots, so ``"detail.state"`` in a pattern names the ``state``
    field inside ``detail`` (and an event key written with a dot is matched by the nested pattern)."""
    head, _, rest = key.partition(".")
    literal = (
        _field(key, _compile_object(value, path), nested=True)
        if isinstance(value, dict)
        else _field(key, _compile_leaf(value, path), nested=False)
    )
    nested = _field(head, _compile_object({rest: value}, path), nested=True)
    return lambda event: literal(event) or nested(event)


def _field(key: str, test: Callable, nested: bool) -> Callable[[object], bool]:
    """Apply ``test`` to field ``key`` of an event object (or of each object in an array)."""
    strings = getattr(test, "strings", None)
    if strings is not None and not nested:
        # The hot path of most rules (``"source": ["aws.s3"]``): one dict lookup and one set lookup.
        def check_strings(event: object) -> bool:
            if type(event) is dict:
                value = event.get(key, _MISSING)
                if type(value) is str:
                    return value in strings
                return test(value)
            if isinstance(event, list):  # an array of objects: any element may match
                return any(check_strings(element) for element in event)
            return test(event.get(key, _MISSING) if isinstance(event, dict) else _MISSING)

        return check_strings

    def check(event: object) -> bool:
        if isinstance(event, dict):
            value = event.get(key, _MISSING)
        elif isinstance(event, list):  # an array of objects: any element may match
            return any(check(element) for element in event)
        else:
            value = _MISSING
        if nested:
            if isinstance(value, dict | list):
                return test(value)
            return test({}) if value is _MISSING else False
        return test(value)

    check.cost = 2 if nested else 1  # type: ignore[attr-defined]
    return check


def _compile_leaf(conditions: list, path: str) -> Callable[[object], bool]:
    if not conditions:
        raise InvalidEventPatternError("empty arrays are not allowed", path)
    compiled = [
        _compile_condition(condition, f"{path}[{index}]") for index, condition in enumerate(conditions)
    ]
    wants_absence = [c for c in compiled if getattr(c, "exists", None) is False]
    others = [c for c in compiled if c not in wants_absence]

    absent_matches = bool(wants_absence)
    strings = frozenset(conditions) if all(isinstance(condition, str) for condition in conditions) else None

    def test(value: object) -> bool:
        if type(value) in _SCALARS:  # the common case: one leaf value
            for condition in others:  # noqa: SIM110 - the hot path; a loop beats any() here
                if condition(value):
                    return True
            return False
        items = _flattened(value) if isinstance(value, list) else [] if value is _MISSING else [value]
        leaves = [item for item in items if not isinstance(item, dict)]
        if not leaves:  # missing, an object, or an array with no leaf values: only "exists": false matches
            return absent_matches
        return any(condition(leaf) for condition in others for leaf in leaves)

    test.strings = strings  # type: ignore[attr-defined]
    return test


def _flattened(values: list) -> list:
    """An event array's values, arrays inside it opened up (EventBridge matches ``[["a"], ["b"]]`` like
    ``["a", "b"]``)."""
    out: list = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flattened(value))
        else:
            out.append(value)
    return out


# -- one condition --------------------------------------------------------------------------------------------
def _compile_condition(condition: object, path: str) -> Condition:
    if condition is None or isinstance(condition, bool | str):
        return lambda value: value is condition or (isinstance(value, str) and value == condition)
    if isinstance(condition, int | float):
        number = float(condition)
        return lambda value: _is_number(value) and float(value) == number
    if not isinstance(condition, dict):
        raise InvalidEventPatternError("a condition must be a value or an object with one operator", path)
    if len(condition) != 1:
        raise InvalidEventPatternError("a condition object must have exactly one operator", path)
    [(operator, operand)] = condition.items()
    where = f"{path}.{operator}"
    compilers = {
        "prefix": _compile_prefix,
        "suffix": _compile_suffix,
        "equals-ignore-case": _compile_equals_ignore_case,
        "wildcard": _compile_wildcard,
        "anything-but": _compile_anything_but,
        "numeric": _compile_numeric,
        "exists": _compile_exists,
        "cidr": _compile_cidr,
    }
    if operator not in compilers:
        raise InvalidEventPatternError(f'unrecognized match type "{operator}"', where)
    return compilers[operator](operand, where)


def _string_operand(operand: object, path: str, what: str) -> tuple[str, bool]:
    """(text, ignore_case) for operators that take a string or ``{"equals-ignore-case": string}``."""
    if isinstance(operand, str):
        return operand, False
    if operand is None and what in ("prefix", "suffix"):
        raise InvalidEventPatternError(f"Null {what} not allowed", path)  # AWS's own words
    if isinstance(operand, dict) and list(operand) == ["equals-ignore-case"]:
        inner = operand["equals-ignore-case"]
        if isinstance(inner, str):
            return inner, True
    raise InvalidEventPatternError(f"{what} match pattern must be a string", path)


def _compile_affix(operand: object, path: str, which: str) -> Condition:
    """``prefix`` or ``suffix``: the value starts (ends) with the text, optionally ignoring case."""
    text, ignore_case = _string_operand(operand, path, which)
    method = str.startswith if which == "prefix" else str.endswith
    if ignore_case:
        folded = text.casefold()
        return lambda value: isinstance(value, str) and method(value.casefold(), folded)
    return lambda value: isinstance(value, str) and method(value, text)


def _compile_prefix(operand: object, path: str) -> Condition:
    return _compile_affix(operand, path, "prefix")


def _compile_suffix(operand: object, path: str) -> Condition:
    return _compile_affix(operand, path, "suffix")


def _compile_equals_ignore_case(operand: object, path: str) -> Condition:
    if not isinstance(operand, str):
        raise InvalidEventPatternError("equals-ignore-case match pattern must be a string", path)
    folded = operand.casefold()
    return lambda value: isinstance(value, str) and value.casefold() == folded


def _wildcard_regex(operand: object, path: str) -> re.Pattern:
    if not isinstance(operand, str):
        raise InvalidEventPatternError("wildcard match pattern must be a string", path)
    if re.search(r"(?<!\\)\*\*", operand):
        raise InvalidEventPatternError("consecutive wildcard characters are not allowed", path)
    parts, index = [], 0
    while index < len(operand):
        char = operand[index]
        if char == "\\" and index + 1 < len(operand) and operand[index + 1] in "*\\":
            parts.append(re.escape(operand[index + 1]))  # \* is a literal star, \\ a literal backslash
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


_MAX_WILDCARD_COMPLEXITY = 100  # Ruler's default limit on states a pattern's matcher may have active at once


def _wildcard_tokens(operand: str) -> list[str | None]:
    """The wildcard pattern as characters, ``None`` for an unescaped ``*``."""
    tokens: list[str | None] = []
    index = 0
    while index < len(operand):
        if operand[index] == "\\" and index + 1 < len(operand) and operand[index + 1] in "*\\":
            tokens.append(operand[index + 1])
            index += 2
        else:
            tokens.append(None if operand[index] == "*" else operand[index])
            index += 1
    return tokens


def _wildcard_complexity(tokens: list[str | None]) -> int:
    """The most matcher states any input can keep active at once (EventBridge's rule engine, Ruler, measures
    a pattern this way and refuses one over its limit): every set of states reachable from the start is
    explored, one character at a time, over the pattern's own characters and one other."""

    def closure(states: frozenset) -> frozenset:
        out = set(states)
        for state in sorted(states):
            while state < len(tokens) and tokens[state] is None:
                state += 1
                out.add(state)
        return frozenset(out)

    alphabet = {token for token in tokens if token is not None} | {"\x00"}
    start = closure(frozenset({0}))
    seen, todo, worst = {start}, [start], len(start)
    while todo and len(seen) < 5000:
        states = todo.pop()
        for char in alphabet:
            following = set()
            for state in states:
                if state < len(tokens) and tokens[state] is None:
                    following.add(state)
                elif state < len(tokens) and tokens[state] == char:
                    following.add(state + 1)
            step = closure(frozenset(following))
            if step and step not in seen:
                seen.add(step)
                todo.append(step)
                worst = max(worst, len(step))
    return worst


def _compile_wildcard(operand: object, path: str) -> Condition:
    regex = _wildcard_regex(operand, path)
    if operand.count("*") > 1 and _wildcard_complexity(_wildcard_tokens(operand)) > _MAX_WILDCARD_COMPLEXITY:
        # AWS's message names no location (Ruler measures the compiled machine, not one field); the
        # exception still carries the path. The wording as PutRule returns it, quoted from a real rejection:
        # "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or
        # fewer repeating character sequences after a wildcard character" (operators page, "Wildcard
        # matching": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)
        raise InvalidEventPatternError(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
            "sequences after a wildcard character",
            path,
            located=False,
        )
    return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None


def _compile_anything_but(operand: object, path: str) -> Condition:
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise InvalidEventPatternError("anything-but takes one operator", path)
        [(operator, inner)] = operand.items()
        where = f"{path}.{operator}"
        if operator in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            if inner is None and operator in ("prefix", "suffix"):
                raise InvalidEventPatternError(f"Null {operator} not allowed", where)
            values = inner if isinstance(inner, list) else [inner]
            if not values or not all(isinstance(v, str) for v in values):
                raise InvalidEventPatternError(
                    f"anything-but {operator} must be a string or a list of strings", where
                )
            compile_one = {
                "prefix": _compile_prefix,
                "suffix": _compile_suffix,
                "equals-ignore-case": _compile_equals_ignore_case,
                "wildcard": _compile_wildcard,
            }[operator]
            checks = [compile_one(v, where) for v in values]

            def positive(value: object) -> bool:
                return any(check(value) for check in checks)

        else:
            raise InvalidEventPatternError(f'unsupported anything-but operator "{operator}"', where)
        return lambda value: isinstance(value, str) and not positive(value)
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise InvalidEventPatternError("anything-but list must not be empty", path)
    if all(isinstance(v, str) for v in values):
        excluded = set(values)
        return lambda value: isinstance(value, str) and value not in excluded
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        numbers = {float(v) for v in values}
        return lambda value: _is_number(value) and float(value) not in numbers
    raise InvalidEventPatternError("anything-but values must be all strings or all numbers", path)


def _compile_numeric(operand: object, path: str) -> Condition:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise InvalidEventPatternError(
            'numeric takes one or two comparisons, such as [">", 0, "<=", 5]', path
        )
    checks: list[Callable[[float], bool]] = []
    lower = upper = None
    for index in range(0, len(operand), 2):
        operator, bound = operand[index], operand[index + 1]
        where = f"{path}[{index}]"
        if operator not in ("=", "<", "<=", ">", ">="):
            raise InvalidEventPatternError(f'unrecognized numeric range operator "{operator}"', where)
        if not _is_number(bound) or abs(float(bound)) > _NUMERIC_LIMIT:
            raise InvalidEventPatternError(
                "numeric bounds must be numbers between -1e9 and 1e9", f"{path}[{index + 1}]"
            )
        if operator == "=" and len(operand) != 2:
            raise InvalidEventPatternError('"=" cannot be combined with another comparison', where)
        if operator in _LOWER:
            if lower is not None:
                raise InvalidEventPatternError("numeric range has two lower bounds", where)
            lower = float(bound)
        if operator in _UPPER:
            if upper is not None:
                raise InvalidEventPatternError("numeric range has two upper bounds", where)
            upper = float(bound)
        checks.append(_comparison(operator, float(bound)))
    if lower is not None and upper is not None and lower >= upper:
        raise InvalidEventPatternError("the lower bound must be less than the upper bound", path)
    return lambda value: _is_number(value) and all(check(float(value)) for check in checks)


def _comparison(operator: str, bound: float) -> Callable[[float], bool]:
    return {
        "=": lambda x: x == bound,
        "<": lambda x: x < bound,
        "<=": lambda x: x <= bound,
        ">": lambda x: x > bound,
        ">=": lambda x: x >= bound,
    }[operator]


def _compile_exists(operand: object, path: str) -> Condition:
    if not isinstance(operand, bool):
        raise InvalidEventPatternError("exists match pattern must be either true or false", path)

    def condition(value: object) -> bool:
        return operand  # reached only for a present leaf value: exists true matches, exists false does not

    condition.exists = operand  # type: ignore[attr-defined]
    return condition


def _compile_cidr(operand: object, path: str) -> Condition:
    if not isinstance(operand, str):
        raise InvalidEventPatternError("cidr match pattern must be a string", path)
    try:
        network = ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise InvalidEventPatternError(f'"{operand}" is not a valid CIDR block', path) from None

    def condition(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return condition


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
