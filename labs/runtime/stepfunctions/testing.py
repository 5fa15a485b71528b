"""TestState: run one state on its own, as AWS's TestState API does, with the data after each step at DEBUG.

The state runs in a machine of its own whose transitions lead to stand-in Succeed states, so its Next,
Choice and Catch targets need not exist; ``nextState`` says where it would go.
"""

from __future__ import annotations

import json
from typing import Any

from labs.runtime.core.scheduler import Scheduler
from labs.runtime.stepfunctions.expressions import ExpressionError, compile_expression_template
from labs.runtime.stepfunctions.flow import error_matches
from labs.runtime.stepfunctions.interpreter import Execution
from labs.runtime.stepfunctions.machine import compile_machine
from labs.runtime.stepfunctions.paths import NoMatchError, compile_path, compile_template, set_path
from labs.runtime.stepfunctions.scope import Scope, dumps
from labs.runtime.stepfunctions.tasks import TaskRunner
from labs.runtime.stepfunctions.validation import DefinitionError, load_definition

__all__ = ["test_state"]

_TESTED = "TestedState"


def _targets(state: dict) -> set[str]:
    targets = {state.get("Next"), state.get("Default")}
    targets |= {rule.get("Next") for rule in state.get("Choices", []) if isinstance(rule, dict)}
    targets |= {catch.get("Next") for catch in state.get("Catch", []) if isinstance(catch, dict)}
    return {target for target in targets if isinstance(target, str)}


def test_state(
    state: dict,
    input_value: Any,
    *,
    cloud: Any = None,
    role_arn: str = "",
    inspection_level: str = "INFO",
    tasks: TaskRunner | None = None,
    start_time: float = 0.0,
) -> dict:
    """Run ``state`` with ``input_value``; returns AWS's TestState response fields. Raises ``DefinitionError``."""
    if not isinstance(state, dict):
        raise DefinitionError([])
    targets = _targets(state)
    # TestState runs the state once: a failure a retrier would retry is reported as RETRIABLE, not retried.
    retriers = state.get("Retry") or []
    states: dict[str, Any] = {_TESTED: {k: v for k, v in state.items() if k != "Retry"}}
    for target in targets:
        states[target if target != _TESTED else f"{target}_"] = {"Type": "Succeed"}
    definition = {"StartAt": _TESTED, "States": states}
    if "QueryLanguage" in state:
        definition["QueryLanguage"] = state["QueryLanguage"]
    load_definition(definition)
    scheduler = cloud.scheduler if cloud is not None else Scheduler(start=start_time)
    runner = tasks or TaskRunner(cloud)
    execution = Execution(
        compile_machine(definition),
        input_value,
        arn="arn:aws:states:us-east-1:000000000000:execution:TestState:test",
        name="test",
        state_machine_arn="arn:aws:states:us-east-1:000000000000:stateMachine:TestState",
        state_machine_name="TestState",
        role_arn=role_arn,
        scheduler=scheduler,
        rng=cloud.random if cloud is not None else __import__("random").Random(0),
        tasks=runner,
    ).start()
    while execution.status == "RUNNING" and scheduler.pending():
        scheduler.run_for(max(0.0, (scheduler.next_time() or 0) - scheduler.now()))
    entered = [e for e in execution.history if e["type"].endswith("StateEntered")]
    response: dict[str, Any] = {"status": "SUCCEEDED"}
    if len(entered) > 1:
        response["nextState"] = entered[1]["stateEnteredEventDetails"]["name"]
    exited = next((e for e in execution.history if e["type"].endswith("StateExited")), None)
    if execution.status == "FAILED" and exited is None:
        response.update(status="FAILED", error=execution.error, cause=execution.cause)
    elif exited is not None:
        response["output"] = exited["stateExitedEventDetails"]["output"]
        if execution.history and any(
            e["type"] in ("TaskFailed", "LambdaFunctionFailed") for e in execution.history
        ):
            response["status"] = "CAUGHT_ERROR"
    error = execution.error or _caught_error(execution)
    if error and _retried(retriers, error):
        response = {
            "status": "RETRIABLE",
            "error": error,
            "cause": execution.cause or _caught_cause(execution),
        }
    if inspection_level in ("DEBUG", "TRACE"):
        inspect = _jsonata_inspection if state.get("QueryLanguage") == "JSONata" else _inspection
        response["inspectionData"] = inspect(state, input_value, execution)
    return response


def _retried(retriers: list, error: str) -> bool:
    """Whether a retrier of the state would retry ``error`` (the first one that matches, with attempts)."""
    for retrier in retriers:
        if isinstance(retrier, dict) and error_matches(retrier.get("ErrorEquals", []), error):
            return retrier.get("MaxAttempts", 3) > 0
    return False


def _failure_details(execution: Execution) -> dict:
    failed = [e for e in execution.history if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    if not failed:
        return {}
    return next(value for key, value in failed[-1].items() if key.endswith("EventDetails"))


def _caught_error(execution: Execution) -> str | None:
    return _failure_details(execution).get("error")


def _caught_cause(execution: Execution) -> str:
    return _failure_details(execution).get("cause", "")


def _inspection(state: dict, input_value: Any, execution: Execution) -> dict:
    """The data after each processing step (JSONPath states), as TestState reports at DEBUG."""
    data: dict[str, str] = {"input": dumps(input_value)}
    try:
        effective = input_value
        if "InputPath" in state:
            effective = (
                {} if state["InputPath"] is None else compile_path(state["InputPath"]).value(input_value)
            )
        data["afterInputPath"] = dumps(effective)
        lookup = _lookup(effective, execution)
        if "Parameters" in state:
            effective = compile_template(state["Parameters"])(lookup, execution.rng)
        data["afterParameters"] = dumps(effective)
        result = _result(state, effective, execution)
        if result is _MISSING:
            return data
        data["result"] = dumps(result)
        if "ResultSelector" in state:
            result = compile_template(state["ResultSelector"])(_lookup(result, execution), execution.rng)
        data["afterResultSelector"] = dumps(result)
        path = state.get("ResultPath", "$")
        output = input_value if path is None else set_path(input_value, compile_path(path), result)
        data["afterResultPath"] = dumps(output)
    except (NoMatchError, LookupError, ValueError):
        pass  # the step failed: the response's error says why; inspection stops where the data stopped
    return data


def _jsonata_inspection(state: dict, input_value: Any, execution: Execution) -> dict:
    """A JSONata state's data at DEBUG: input, afterArguments, result and the variables it assigned."""
    data: dict[str, Any] = {"input": dumps(input_value)}
    states = {"input": input_value, "context": {"Execution": execution._context_execution}}
    effective = input_value
    if "Arguments" in state:
        try:
            effective = compile_expression_template(state["Arguments"])(execution._bindings(Scope(), states))
        except ExpressionError:
            return data  # the response's error says why
        data["afterArguments"] = dumps(effective)
    result = _result(state, effective, execution) if state.get("Type") != "Pass" else _MISSING
    if result is not _MISSING:
        data["result"] = dumps(result)
    exited = next((e for e in execution.history if e["type"].endswith("StateExited")), None)
    if exited is not None and "assignedVariables" in exited["stateExitedEventDetails"]:
        assigned = exited["stateExitedEventDetails"]["assignedVariables"]
        data["variables"] = dumps({name: json.loads(value) for name, value in assigned.items()})
    return data


_MISSING = object()


def _result(state: dict, effective: Any, execution: Execution) -> Any:
    if state.get("Type") == "Pass":
        return state.get("Result", effective)
    for event in execution.history:
        for key in ("taskSucceededEventDetails", "lambdaFunctionSucceededEventDetails"):
            if key in event:
                return json.loads(event[key]["output"])
    return _MISSING


def _lookup(data: Any, execution: Execution):
    context = {"Execution": execution._context_execution, "StateMachine": execution._context_machine}

    def lookup(path):
        return path.value(data if path.root == "input" else context)

    return lookup
