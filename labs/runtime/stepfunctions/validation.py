"""Validating a definition before it runs, as CreateStateMachine does: every problem at once, with where.

Each problem has AWS's code (``SCHEMA_VALIDATION_FAILED``, ``MISSING_TRANSITION_TARGET``,
``UNREACHABLE_STATE``, ``INVALID_JSON_DESCRIPTION``, ...), a message ending in the JSON pointer of the
field (``at /States/Foo/Next``), and the line in the source text when the definition came as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labs.runtime.core.json_locations import escape_pointer, line_numbers, nearest_line
from labs.runtime.stepfunctions import intrinsics
from labs.runtime.stepfunctions.expressions import (
    ExpressionSyntaxError,
    compile_expression_template,
    is_expression,
)
from labs.runtime.stepfunctions.paths import PathSyntaxError, compile_path
from labs.runtime.stepfunctions.state_checks import StateChecks

__all__ = ["DefinitionError", "Problem", "validate", "load_definition"]

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_COMMON = {"Type", "Comment", "QueryLanguage"}
_JSONPATH_IO = {"InputPath", "OutputPath"}
_FIELDS = {
    "Pass": {"Next", "End", "Result", "ResultPath", "Parameters", "Assign", "Output"} | _JSONPATH_IO,
    "Task": {
        "Next",
        "End",
        "Resource",
        "Parameters",
        "ResultPath",
        "ResultSelector",
        "Retry",
        "Catch",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Assign",
        "Arguments",
        "Output",
        "Credentials",
    }
    | _JSONPATH_IO,
    "Choice": {"Choices", "Default", "Assign", "Output"} | _JSONPATH_IO,
    "Wait": {"Next", "End", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign", "Output"}
    | _JSONPATH_IO,
    "Succeed": {"Output"} | _JSONPATH_IO,
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": {
        "Next",
        "End",
        "Branches",
        "Parameters",
        "ResultPath",
        "ResultSelector",
        "Retry",
        "Catch",
        "Assign",
        "Arguments",
        "Output",
    }
    | _JSONPATH_IO,
    "Map": {
        "Next",
        "End",
        "Iterator",
        "ItemProcessor",
        "ItemsPath",
        "Items",
        "ItemSelector",
        "Parameters",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ResultPath",
        "ResultSelector",
        "Retry",
        "Catch",
        "ToleratedFailurePercentage",
        "ToleratedFailureCount",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCountPath",
        "ItemBatcher",
        "ItemReader",
        "ResultWriter",
        "Label",
        "Assign",
        "Output",
    }
    | _JSONPATH_IO,
}
_JSONPATH_ONLY = {
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultPath",
    "ResultSelector",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "Iterator",
    "Result",
}
_JSONATA_ONLY = {"Arguments", "Output", "Items"}
_NEEDS_TRANSITION = {"Pass", "Task", "Wait", "Parallel", "Map"}
# A value and its ...Path form (or its older name) are alternatives: AWS rejects a state that sets both.
_PAIRED_FIELDS = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ItemSelector", "Parameters"),
)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    location: str  # a JSON pointer into the definition
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.code}: {self.message} at {self.location or '/'}{where}"


class DefinitionError(ValueError):
    """The definition is invalid; ``problems`` lists every problem (AWS: InvalidDefinition)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "Invalid State Machine Definition: " + ", ".join(f"'{problem}'" for problem in problems)
        )


def load_definition(source: str | dict) -> dict:
    """Parse and validate a definition (text or dict); raises ``DefinitionError``."""
    problems = validate(source)
    if problems:
        raise DefinitionError(problems)
    return json.loads(source) if isinstance(source, str) else source


def validate(source: str | dict) -> list[Problem]:
    """Every problem of a definition (an empty list when it is valid)."""
    lines: dict[str, int] = {}
    if isinstance(source, str):
        try:
            definition = json.loads(source)
        except ValueError as error:
            line = getattr(error, "lineno", None)
            return [
                Problem("INVALID_JSON_DESCRIPTION", f"The definition is not valid JSON: {error}", "", line)
            ]
        lines = line_numbers(source)
    else:
        definition = source
    checker = _Checker()
    checker.machine(definition, "", "JSONPath")
    return [
        Problem(p.code, p.message, p.location, lines.get(p.location) or nearest_line(lines, p.location))
        for p in checker.problems
    ]


class _Checker(StateChecks):
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, location: str, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        self.problems.append(Problem(code, message, location))

    def machine(self, definition: Any, at: str, language: str) -> None:
        if not isinstance(definition, dict):
            self.add("The definition must be a JSON object", at)
            return
        allowed = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
        if at:
            allowed = {"Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"}
        for key in definition:
            if key not in allowed:
                self.add(f"Field '{key}' is not supported", f"{at}/{escape_pointer(key)}")
        language = self.language(definition, at, language)
        states = definition.get("States")
        if not isinstance(states, dict) or not states:
            self.add("The field 'States' should be a non-empty object", f"{at}/States")
            return
        start = definition.get("StartAt")
        if not isinstance(start, str):
            self.add("The field 'StartAt' should be non-null", f"{at}/StartAt")
        elif start not in states:
            self.add(f"Missing 'Next' target: {start}", f"{at}/StartAt", "MISSING_TRANSITION_TARGET")
        if "TimeoutSeconds" in definition:
            self.positive_int(definition["TimeoutSeconds"], f"{at}/TimeoutSeconds")
        for name, spec in states.items():
            self.state(name, spec, f"{at}/States/{escape_pointer(name)}", states, language)
        self.reachability(states, start, at)

    def language(self, spec: dict, at: str, inherited: str) -> str:
        language = spec.get("QueryLanguage", inherited)
        if language not in ("JSONPath", "JSONata"):
            self.add("QueryLanguage must be JSONPath or JSONata", f"{at}/QueryLanguage")
            return inherited
        if (
            inherited == "JSONata"
            and language == "JSONPath"
            and "QueryLanguage" in spec
            and at.count("/States/") > 0
        ):
            self.add("A state cannot use JSONPath when the state machine uses JSONata", f"{at}/QueryLanguage")
        return language

    def reachability(self, states: dict, start: Any, at: str) -> None:
        seen, todo = set(), [start] if start in states else []
        while todo:
            name = todo.pop()
            if name in seen or name not in states:
                continue
            seen.add(name)
            spec = states[name] if isinstance(states[name], dict) else {}
            targets = [spec.get("Next"), spec.get("Default")]
            targets += [rule.get("Next") for rule in spec.get("Choices", []) if isinstance(rule, dict)]
            targets += [catch.get("Next") for catch in spec.get("Catch", []) if isinstance(catch, dict)]
            todo += [target for target in targets if isinstance(target, str)]
        for name in states:
            if name not in seen and start in states:
                self.add(
                    f'State "{name}" is not reachable.',
                    f"{at}/States/{escape_pointer(name)}",
                    "UNREACHABLE_STATE",
                )
        terminal = any(
            isinstance(spec, dict) and (spec.get("End") is True or spec.get("Type") in ("Succeed", "Fail"))
            for spec in states.values()
        )
        if not terminal:
            self.add("Workflow has no terminal state", f"{at}/States", "NO_TERMINAL_STATE")

    def state(self, name: str, spec: Any, at: str, states: dict, inherited: str) -> None:
        if len(name) > 80:
            self.add("State names must be at most 80 characters", at)
        if not isinstance(spec, dict):
            self.add("A state must be a JSON object", at)
            return
        kind = spec.get("Type")
        if kind not in STATE_TYPES:
            self.add(f"The field 'Type' should be one of {', '.join(STATE_TYPES)}", f"{at}/Type")
            return
        language = self.language(spec, at, inherited)
        jsonata = language == "JSONata"
        for key in spec:
            where = f"{at}/{escape_pointer(key)}"
            if key not in _FIELDS[kind] | _COMMON:
                self.add(f"Field '{key}' is not supported by a {kind} state", where)
            elif jsonata and key in _JSONPATH_ONLY:
                self.add(f"The field '{key}' is not supported in a JSONata state", where)
            elif not jsonata and key in _JSONATA_ONLY:
                self.add(f"The field '{key}' is only supported when QueryLanguage is JSONata", where)
        if kind in _NEEDS_TRANSITION:
            has_next, has_end = "Next" in spec, spec.get("End") is True
            if has_next == has_end:
                self.add("A state must have exactly one of 'Next' or 'End': true", at)
        self.transition(spec.get("Next"), f"{at}/Next", states)
        for field in ("InputPath", "OutputPath", "ItemsPath"):
            if spec.get(field) is not None:
                self.path(spec[field], f"{at}/{field}")
        if spec.get("ResultPath") is not None:
            self.path(spec["ResultPath"], f"{at}/ResultPath", reference=True)
        for field in ("Parameters", "ResultSelector", "ItemSelector", "Assign", "Arguments", "Output"):
            if field in spec:
                self.template(spec[field], f"{at}/{field}", jsonata)
        for value, field in _PAIRED_FIELDS:
            if value in spec and field in spec:
                self.add(f"Only one of {value}, {field} may be set", at)
        self.assignments(spec.get("Assign"), f"{at}/Assign")
        for index, rule in enumerate(spec.get("Choices") or []):
            if isinstance(rule, dict):
                self.assignments(rule.get("Assign"), f"{at}/Choices/{index}/Assign")
        getattr(self, f"check_{kind.lower()}")(spec, at, states, language)
        self.retry_and_catch(spec, at, states, jsonata)

    def assignments(self, assign: Any, at: str) -> None:
        """Variable names: an identifier of at most 80 characters, and never the reserved ``states``."""
        if assign is None:
            return
        if not isinstance(assign, dict):
            self.add("The field 'Assign' must be a JSON object", at)
            return
        for key in assign:
            name = key[:-2] if key.endswith(".$") else key
            where = f"{at}/{escape_pointer(key)}"
            if name == "states":
                self.add("The variable name 'states' is reserved by Step Functions", where)
            elif not name.isidentifier() or len(name) > 80:
                self.add(
                    f"Invalid variable name '{name}': it must start with a letter or '_', "
                    "contain only letters, digits and '_', and be at most 80 characters",
                    where,
                )

    def transition(self, target: Any, at: str, states: dict) -> None:
        if target is None:
            return
        if not isinstance(target, str) or target not in states:
            self.add(f"Missing 'Next' target: {target}", at, "MISSING_TRANSITION_TARGET")

    def path(self, text: Any, at: str, reference: bool = False) -> None:
        try:
            path = compile_path(text)
        except PathSyntaxError as error:
            self.add(
                f"The value for the field '{at.rsplit('/', 1)[-1]}' must be a valid JSONPath: {error}", at
            )
            return
        if reference and not path.is_reference:
            self.add(f"The value for the field '{at.rsplit('/', 1)[-1]}' must be a valid Reference Path", at)

    def template(self, value: Any, at: str, jsonata: bool) -> None:
        if jsonata:
            self.expressions(value, at)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{at}/{escape_pointer(key)}"
                if key.endswith(".$"):
                    if not isinstance(item, str):
                        self.add(
                            f"The value for the field '{key}' must be a STRING that contains a JSONPath",
                            where,
                        )
                    elif intrinsics.is_intrinsic(item):
                        try:
                            call = intrinsics.compile_intrinsic(item)
                        except intrinsics.IntrinsicSyntaxError as error:
                            self.add(
                                f"The value for the field '{key}' must be a valid intrinsic function: {error}",
                                where,
                            )
                        else:
                            for path in call.paths:
                                self.path(path, where)
                    else:
                        self.path(item, where)
                else:
                    self.template(item, where, jsonata)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.template(item, f"{at}/{index}", jsonata)

    def expressions(self, value: Any, at: str) -> None:
        if isinstance(value, str) and is_expression(value):
            try:
                compile_expression_template(value)
            except ExpressionSyntaxError as error:
                self.add(str(error), at)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.expressions(item, f"{at}/{escape_pointer(key)}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.expressions(item, f"{at}/{index}")

    def positive_int(
        self, value: Any, at: str, allow_zero: bool = False, expression_ok: bool = False
    ) -> None:
        if expression_ok and is_expression(value):
            self.expressions(value, at)
            return
        low = 0 if allow_zero else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.add(f"The value for the field '{at.rsplit('/', 1)[-1]}' must be an integer >= {low}", at)

    def one_of(self, spec: dict, fields: tuple[str, ...], at: str, required: bool = True) -> str | None:
        present = [field for field in fields if field in spec]
        if len(present) > 1:
            self.add(f"Only one of {', '.join(present)} may be set", at)
        elif not present and required:
            self.add(f"One of {', '.join(fields)} is required", at)
        return present[0] if len(present) == 1 else None
