"""A state machine definition compiled once into plain data: states, their paths, templates and rules.

``compile_machine`` expects a definition that ``validation.validate`` accepted; it turns each state's fields
into compiled paths and render functions so that running an execution never re-parses anything.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labs.runtime.stepfunctions.choice import compile_rule
from labs.runtime.stepfunctions.expressions import compile_expression_template, is_expression
from labs.runtime.stepfunctions.intrinsics import compile_intrinsic, is_intrinsic
from labs.runtime.stepfunctions.paths import JsonPath, compile_path, compile_template
from labs.runtime.stepfunctions.validation import load_definition

__all__ = ["Catcher", "Program", "Retrier", "State", "compile_machine", "compiled_program"]

DISCARD = False  # a path field set to null: InputPath/OutputPath give {}, ResultPath keeps the input


@dataclass(slots=True)
class Retrier:
    errors: list[str]
    interval_s: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_s: float | None = None
    jitter: str = "NONE"


@dataclass(slots=True)
class Catcher:
    errors: list[str]
    next: str
    result_path: JsonPath | None | bool = None
    output: Callable | None = None  # JSONata
    assign: Callable | None = None


@dataclass(slots=True)
class State:
    name: str
    type: str
    spec: dict
    jsonata: bool
    next: str | None = None
    end: bool = False
    input_path: JsonPath | None | bool = None
    parameters: Callable | None = None
    result_selector: Callable | None = None
    result_path: JsonPath | None | bool = None
    output_path: JsonPath | None | bool = None
    assign: Callable | None = None
    arguments: Callable | None = None
    output: Callable | None = None
    retriers: list[Retrier] = field(default_factory=list)
    catchers: list[Catcher] = field(default_factory=list)
    choices: list[tuple[Callable, str, Callable | None, Callable | None]] = field(default_factory=list)
    default: str | None = None
    branches: list[Program] = field(default_factory=list)
    iterator: Program | None = None
    dynamic: dict[str, Any] = field(default_factory=dict)  # fields that are values, paths or expressions
    distributed: dict | None = None  # a Map in Distributed mode: see ``_compile_distributed``
    # False for a JSONPath Pass/Choice/Succeed/Fail/Wait state whose definition never names the context
    # object ($$): its context is never read, so the interpreter does not build one (the cost of short states).
    reads_context: bool = True
    # A JSONPath Pass, Choice, Succeed or Fail state never waits: the interpreter runs it as a plain call,
    # not as a generator (``Execution._run_simple``).
    simple: bool = False
    entered_type: str = ""  # its history events' types, e.g. PassStateEntered and PassStateExited
    exited_type: str = ""


@dataclass(slots=True)
class Program:
    start_at: str
    states: dict[str, State]
    jsonata: bool
    timeout_s: float | None = None


def compile_machine(definition: dict, query_language: str | None = None) -> Program:
    """Compile a (validated) definition or a Parallel branch / Map processor."""
    language = definition.get("QueryLanguage", query_language or "JSONPath")
    states = {
        name: _compile_state(name, spec, spec.get("QueryLanguage", language) == "JSONata")
        for name, spec in definition["States"].items()
    }
    return Program(
        start_at=definition["StartAt"],
        states=states,
        jsonata=language == "JSONata",
        timeout_s=definition.get("TimeoutSeconds"),
    )


_PROGRAMS: OrderedDict[str, Program] = OrderedDict()
_MAX_PROGRAMS = 256


def compiled_program(definition: str | dict) -> Program:
    """Validate and compile a definition once per distinct content (a bounded cache keyed by its hash), so a
    short execution pays only for its transitions. Programs are never changed by the executions that share
    them. Raises ``DefinitionError`` as ``load_definition`` does."""
    # Key order is kept in the key: it shows in the outputs that templates build.
    text = definition if isinstance(definition, str) else json.dumps(definition)
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    program = _PROGRAMS.get(key)
    if program is None:
        program = compile_machine(load_definition(definition))
        _PROGRAMS[key] = program
        if len(_PROGRAMS) > _MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    else:
        _PROGRAMS.move_to_end(key)
    return program


def _path_field(spec: dict, name: str) -> JsonPath | None | bool:
    if name not in spec:
        return None
    return DISCARD if spec[name] is None else compile_path(spec[name])


def _template(value: Any, jsonata: bool, field: str | None = None) -> Callable | None:
    """A payload template (JSONPath) or JSONata field; ``field`` names it in JSONata's error messages."""
    if value is None:
        return None
    return compile_expression_template(value, field) if jsonata else compile_template(value)


# Fields whose value may be a number, a ``...Path`` (JSONPath) or a ``{% %}`` expression (JSONata).
_DYNAMIC_FIELDS = (
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "MaxConcurrency",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
    "Error",
    "Cause",
    "Items",
)


def _compile_state(name: str, spec: dict, jsonata: bool) -> State:
    state = State(name=name, type=spec["Type"], spec=spec, jsonata=jsonata)
    state.reads_context = (
        jsonata or state.type not in ("Pass", "Choice", "Succeed", "Fail", "Wait") or "$$" in json.dumps(spec)
    )
    state.simple = not jsonata and state.type in ("Pass", "Choice", "Succeed", "Fail")
    state.entered_type, state.exited_type = f"{state.type}StateEntered", f"{state.type}StateExited"
    state.next = spec.get("Next")
    state.end = bool(spec.get("End")) or state.type in ("Succeed", "Fail")
    state.input_path = _path_field(spec, "InputPath")
    state.output_path = _path_field(spec, "OutputPath")
    state.result_path = _path_field(spec, "ResultPath")
    state.parameters = _template(spec.get("Parameters", spec.get("ItemSelector")), jsonata)
    if state.type == "Map" and jsonata:
        state.parameters = _template(spec.get("ItemSelector"), True, "ItemSelector")
    state.result_selector = _template(spec.get("ResultSelector"), jsonata)
    state.assign = _template(spec.get("Assign"), jsonata, "Assign")
    state.arguments = _template(spec.get("Arguments"), jsonata, "Arguments")
    state.output = _template(spec["Output"], True, "Output") if "Output" in spec else None
    for field_name in _DYNAMIC_FIELDS:
        if field_name in spec:
            value = spec[field_name]
            state.dynamic[field_name] = (
                compile_expression_template(value, field_name) if is_expression(value) else value
            )
        elif f"{field_name}Path" in spec:
            text = spec[f"{field_name}Path"]
            state.dynamic[field_name] = compile_intrinsic(text) if is_intrinsic(text) else compile_path(text)
    for retry in spec.get("Retry", []):
        state.retriers.append(
            Retrier(
                errors=retry["ErrorEquals"],
                interval_s=retry.get("IntervalSeconds", 1),
                max_attempts=retry.get("MaxAttempts", 3),
                backoff_rate=retry.get("BackoffRate", 2.0),
                max_delay_s=retry.get("MaxDelaySeconds"),
                jitter=retry.get("JitterStrategy", "NONE"),
            )
        )
    for index, catch in enumerate(spec.get("Catch", [])):
        state.catchers.append(
            Catcher(
                errors=catch["ErrorEquals"],
                next=catch["Next"],
                result_path=_path_field(catch, "ResultPath"),
                output=_template(catch["Output"], True, f"Catch[{index}]/Output")
                if "Output" in catch
                else None,
                assign=_template(catch.get("Assign"), jsonata, f"Catch[{index}]/Assign"),
            )
        )
    if state.type == "Choice":
        for index, rule in enumerate(spec["Choices"]):
            at = f"Choices[{index}]"
            predicate = (
                compile_expression_template(rule["Condition"], f"{at}/Condition")
                if jsonata
                else compile_rule(rule)
            )
            output = _template(rule["Output"], True, f"{at}/Output") if "Output" in rule else None
            assign = _template(rule.get("Assign"), jsonata, f"{at}/Assign")
            state.choices.append((predicate, rule["Next"], assign, output))
        state.default = spec.get("Default")
    elif state.type == "Parallel":
        state.branches = [
            compile_machine(branch, "JSONata" if jsonata else "JSONPath") for branch in spec["Branches"]
        ]
    elif state.type == "Map":
        processor = spec.get("ItemProcessor", spec.get("Iterator"))
        state.iterator = compile_machine(processor, "JSONata" if jsonata else "JSONPath")
        if "ItemsPath" in spec:
            state.dynamic["Items"] = compile_path(spec["ItemsPath"])
        state.distributed = _compile_distributed(state, spec, jsonata)
    if state.type == "Pass" and "Result" in spec:
        state.dynamic["Result"] = spec["Result"]
    return state


def _dynamic_field(state: State, spec: dict, name: str, key: str) -> None:
    """A sub-field given as a value, a ``...Path`` or an expression, kept in ``state.dynamic[key]``."""
    if name in spec:
        value = spec[name]
        state.dynamic[key] = compile_expression_template(value, name) if is_expression(value) else value
    elif f"{name}Path" in spec:
        state.dynamic[key] = compile_path(spec[f"{name}Path"])


def _compile_distributed(state: State, spec: dict, jsonata: bool) -> dict | None:
    """A Map in Distributed mode (``ProcessorConfig.Mode: DISTRIBUTED``, or one reading or writing S3):
    its ItemReader, ItemBatcher and ResultWriter, with their parameters compiled. Field names:
    https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html"""
    processor = spec.get("ItemProcessor") or {}
    config = processor.get("ProcessorConfig") or {}
    if config.get("Mode") != "DISTRIBUTED" and "ItemReader" not in spec and "ResultWriter" not in spec:
        return None
    parameters = "Arguments" if jsonata else "Parameters"
    distributed: dict[str, Any] = {
        "execution_type": config.get("ExecutionType", "STANDARD"),
        "label": spec.get("Label"),
    }
    reader = spec.get("ItemReader")
    if reader is not None:
        distributed["reader"] = reader
        distributed["reader_parameters"] = _template(
            reader.get(parameters, {}), jsonata, f"ItemReader/{parameters}"
        )
        _dynamic_field(state, reader.get("ReaderConfig") or {}, "MaxItems", "ItemReader.MaxItems")
    batcher = spec.get("ItemBatcher")
    if batcher is not None:
        distributed["batcher"] = batcher
        distributed["batch_input"] = _template(batcher.get("BatchInput"), jsonata, "ItemBatcher/BatchInput")
        _dynamic_field(state, batcher, "MaxItemsPerBatch", "ItemBatcher.MaxItemsPerBatch")
        _dynamic_field(state, batcher, "MaxInputBytesPerBatch", "ItemBatcher.MaxInputBytesPerBatch")
    writer = spec.get("ResultWriter")
    if writer is not None:
        distributed["writer"] = writer
        distributed["writer_parameters"] = _template(
            writer.get(parameters), jsonata, f"ResultWriter/{parameters}"
        )
    return distributed
