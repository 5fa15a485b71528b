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
from labs.runtime.stepfunctions.choice import COMPARISONS, TYPE_TESTS, parse_timestamp
from labs.runtime.stepfunctions.expressions import (
    ExpressionSyntaxError,
    compile_expression_template,
    is_expression,
)
from labs.runtime.stepfunctions.paths import PathSyntaxError, compile_path
from labs.runtime.stepfunctions.tasks import parse_resource

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


class _Checker:
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

    # -- per type ---------------------------------------------------------------------------------------------
    def check_pass(self, spec, at, states, language) -> None:
        pass

    def check_succeed(self, spec, at, states, language) -> None:
        pass

    def check_task(self, spec, at, states, language) -> None:
        resource = spec.get("Resource")
        if not isinstance(resource, str):
            self.add("The field 'Resource' should be non-null", f"{at}/Resource")
        elif parse_resource(resource) is None:
            self.add(
                f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, or "
                "the resource is not available in this region.",
                f"{at}/Resource",
                "INVALID_RESOURCE",
            )
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            if field in spec:
                self.positive_int(spec[field], f"{at}/{field}", expression_ok=True)
            if f"{field}Path" in spec:
                self.path(spec[f"{field}Path"], f"{at}/{field}Path")
        timeout, heartbeat = spec.get("TimeoutSeconds"), spec.get("HeartbeatSeconds")
        if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
            self.add("HeartbeatSeconds must be smaller than TimeoutSeconds", f"{at}/HeartbeatSeconds")

    def check_wait(self, spec, at, states, language) -> None:
        field = self.one_of(spec, ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"), at)
        if field == "Seconds":
            self.positive_int(spec["Seconds"], f"{at}/Seconds", allow_zero=True, expression_ok=True)
        elif field == "Timestamp" and not is_expression(spec["Timestamp"]):
            if parse_timestamp(spec["Timestamp"]) is None:
                self.add(
                    "The value for the field 'Timestamp' must be a valid RFC3339 timestamp", f"{at}/Timestamp"
                )
        elif field in ("SecondsPath", "TimestampPath"):
            self.path(spec[field], f"{at}/{field}")

    def check_fail(self, spec, at, states, language) -> None:
        for field in ("Error", "Cause"):
            self.one_of(spec, (field, f"{field}Path"), at, required=False)
            if f"{field}Path" in spec:
                text = spec[f"{field}Path"]
                if intrinsics.is_intrinsic(text):
                    try:
                        intrinsics.compile_intrinsic(text)
                    except intrinsics.IntrinsicSyntaxError as error:
                        self.add(str(error), f"{at}/{field}Path")
                else:
                    self.path(text, f"{at}/{field}Path")
            elif language == "JSONata" and field in spec:
                self.expressions(spec[field], f"{at}/{field}")

    def check_choice(self, spec, at, states, language) -> None:
        choices = spec.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.add("The field 'Choices' should be a non-empty array", f"{at}/Choices")
            choices = []
        for index, rule in enumerate(choices):
            where = f"{at}/Choices/{index}"
            if not isinstance(rule, dict):
                self.add("A choice rule must be a JSON object", where)
                continue
            if "Next" not in rule:
                self.add("The field 'Next' should be non-null", where)
            self.transition(rule.get("Next"), f"{where}/Next", states)
            if language == "JSONata":
                if not is_expression(rule.get("Condition")):
                    self.add(
                        "A JSONata choice rule needs a 'Condition' written as {% ... %}", f"{where}/Condition"
                    )
                else:
                    self.expressions(rule["Condition"], f"{where}/Condition")
            else:
                self.rule({k: v for k, v in rule.items() if k not in ("Next", "Assign", "Comment")}, where)
        self.transition(spec.get("Default"), f"{at}/Default", states)

    def rule(self, rule: dict, at: str) -> None:
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        if combinators:
            key = combinators[0]
            if key == "Not":
                self.rule(rule["Not"] if isinstance(rule["Not"], dict) else {}, f"{at}/Not")
            elif not isinstance(rule[key], list) or not rule[key]:
                self.add(f"The field '{key}' should be a non-empty array", f"{at}/{key}")
            else:
                for index, sub in enumerate(rule[key]):
                    self.rule(sub if isinstance(sub, dict) else {}, f"{at}/{key}/{index}")
            return
        operators = [
            key
            for key in rule
            if key in COMPARISONS or key in TYPE_TESTS or key in ("IsPresent", "StringMatches")
        ]
        unknown = [key for key in rule if key not in operators and key != "Variable"]
        for key in unknown:
            self.add(f"Field '{key}' is not supported in a choice rule", f"{at}/{escape_pointer(key)}")
        if "Variable" not in rule:
            self.add("The field 'Variable' should be non-null", at)
        else:
            self.path(rule["Variable"], f"{at}/Variable")
        if len(operators) != 1:
            self.add("A choice rule must have exactly one comparison operator", at)
            return
        operator, operand = operators[0], rule[operators[0]]
        where = f"{at}/{operator}"
        if operator in COMPARISONS and COMPARISONS[operator][2] or operator.endswith("Path"):
            self.path(operand, where)
        elif operator in TYPE_TESTS or operator == "IsPresent" or operator.startswith("Boolean"):
            if not isinstance(operand, bool):
                self.add(f"The value of '{operator}' must be a boolean", where)
        elif operator.startswith("Numeric"):
            if isinstance(operand, bool) or not isinstance(operand, int | float):
                self.add(f"The value of '{operator}' must be a number", where)
        elif operator.startswith("Timestamp"):
            if parse_timestamp(operand) is None:
                self.add(f"The value of '{operator}' must be a valid RFC3339 timestamp", where)
        elif not isinstance(operand, str):
            self.add(f"The value of '{operator}' must be a string", where)

    def check_parallel(self, spec, at, states, language) -> None:
        branches = spec.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.add("The field 'Branches' should be a non-empty array", f"{at}/Branches")
            return
        for index, branch in enumerate(branches):
            self.machine(branch, f"{at}/Branches/{index}", language)

    def check_map(self, spec, at, states, language) -> None:
        field = self.one_of(spec, ("ItemProcessor", "Iterator"), at)
        if field:
            self.machine(spec[field], f"{at}/{field}", language)
        if "MaxConcurrency" in spec:
            self.positive_int(
                spec["MaxConcurrency"], f"{at}/MaxConcurrency", allow_zero=True, expression_ok=True
            )
        if "ToleratedFailurePercentage" in spec and not is_expression(spec["ToleratedFailurePercentage"]):
            value = spec["ToleratedFailurePercentage"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                self.add(
                    "ToleratedFailurePercentage must be a number from 0 to 100",
                    f"{at}/ToleratedFailurePercentage",
                )
        if "ToleratedFailureCount" in spec:
            self.positive_int(
                spec["ToleratedFailureCount"],
                f"{at}/ToleratedFailureCount",
                allow_zero=True,
                expression_ok=True,
            )
        if "ItemReader" in spec:
            self.add(
                "ItemReader (distributed Map reading from S3) is not supported by labs.runtime",
                f"{at}/ItemReader",
                "UNSUPPORTED_FEATURE",
            )

    def retry_and_catch(self, spec: dict, at: str, states: dict, jsonata: bool) -> None:
        for field in ("Retry", "Catch"):
            entries = spec.get(field, [])
            if not isinstance(entries, list):
                self.add(f"The field '{field}' should be an array", f"{at}/{field}")
                continue
            for index, entry in enumerate(entries):
                where = f"{at}/{field}/{index}"
                if not isinstance(entry, dict):
                    self.add(f"A {field} entry must be a JSON object", where)
                    continue
                errors = entry.get("ErrorEquals")
                if not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
                    self.add(
                        "The field 'ErrorEquals' should be a non-empty array of strings",
                        f"{where}/ErrorEquals",
                    )
                elif "States.ALL" in errors and (len(errors) > 1 or index != len(entries) - 1):
                    self.add("States.ALL must appear alone in the last entry", f"{where}/ErrorEquals")
                if field == "Catch":
                    if "Next" not in entry:
                        self.add("The field 'Next' should be non-null", where)
                    self.transition(entry.get("Next"), f"{where}/Next", states)
                    if entry.get("ResultPath") is not None:
                        self.path(entry["ResultPath"], f"{where}/ResultPath", reference=True)
                else:
                    self.retrier(entry, where)

    def retrier(self, entry: dict, at: str) -> None:
        allowed = {
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        }
        for key in entry:
            if key not in allowed:
                self.add(f"Field '{key}' is not supported in a Retrier", f"{at}/{escape_pointer(key)}")
        if "IntervalSeconds" in entry:
            self.positive_int(entry["IntervalSeconds"], f"{at}/IntervalSeconds")
        if "MaxAttempts" in entry:
            self.positive_int(entry["MaxAttempts"], f"{at}/MaxAttempts", allow_zero=True)
        if "MaxDelaySeconds" in entry:
            self.positive_int(entry["MaxDelaySeconds"], f"{at}/MaxDelaySeconds")
        rate = entry.get("BackoffRate", 2.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 1.0:
            self.add("BackoffRate must be a number >= 1.0", f"{at}/BackoffRate")
        if entry.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
            self.add("JitterStrategy must be FULL or NONE", f"{at}/JitterStrategy")
