"""How a state reads and writes its data: a mixin of ``Execution`` (``interpreter.py``).

Paths are looked up in the state's input, the context object or a variable; templates (``Parameters``,
``ResultSelector``, ``Assign``) and JSONata expressions are rendered with their failures turned into AWS's
errors (``States.Runtime`` naming the state and the entered event, ``States.IntrinsicFailure``,
``States.QueryEvaluationError`` after an ``EvaluationFailed`` history event); fields given as a value, a
``...Path`` or an expression are resolved; ``ResultPath`` places a result (or a caught error) in the input;
``Assign`` sets variables, every value computed before any is assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labs.runtime.stepfunctions.expressions import ExpressionError
from labs.runtime.stepfunctions.flow import StatesError, error_matches
from labs.runtime.stepfunctions.intrinsics import Intrinsic, IntrinsicFailure
from labs.runtime.stepfunctions.machine import DISCARD, State
from labs.runtime.stepfunctions.paths import JsonPath, NoMatchError, TemplateError, compile_path, set_path
from labs.runtime.stepfunctions.scope import Scope, dumps

__all__ = ["DataFlow"]


class DataFlow:
    """Data access for ``Execution`` (which supplies history, record, scheduler and rng)."""

    def _runtime_error(self, state: State, message: str) -> StatesError:
        entered = next(
            (
                e["id"]
                for e in reversed(self.history)
                if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state.name
            ),
            0,
        )
        return StatesError(
            "States.Runtime",
            f"An error occurred while executing the state '{state.name}' (entered at the event id #{entered}). {message}",
        )

    def _lookup(self, data: Any, context: dict, scope: Scope) -> Callable[[JsonPath], Any]:
        def lookup(path: JsonPath) -> Any:
            if path.root == "input":
                return path.value(data)
            if path.root == "context":
                return path.value(context)
            return path.value(scope.get(path.variable))

        return lookup

    def _bindings(self, scope: Scope, states: dict) -> dict:
        bindings = scope.all()
        bindings["states"] = states
        bindings["_now"] = self.scheduler.now()
        bindings["_rng"] = self.rng
        return bindings

    def _evaluate(self, state: State, render: Callable, *args: Any, source: Any = None) -> Any:
        """Render a template or expression (``source``: the data its paths read), turning its failures into
        AWS's errors."""
        try:
            return render(*args)
        except TemplateError as error:
            raise self._runtime_error(
                state,
                f"The JSONPath '{error.path}' specified for the field '{error.field}' could not be found in "
                f"the input '{dumps(source)}'",
            ) from None
        except IntrinsicFailure as error:
            raise StatesError("States.IntrinsicFailure", str(error.args[0])) from None
        except ExpressionError as error:
            # AWS's cause starts like every state failure's: "An error occurred while executing the state
            # 'S' (entered at the event id #N). The JSONata expression ..." (a production failure's words).
            prefix = self._runtime_error(state, "").cause
            failure = StatesError("States.QueryEvaluationError", prefix + str(error.args[0]))
            # AWS records the failed evaluation itself before the state fails (EvaluationFailed, added with
            # JSONata in 2024); its location (the field) is optional, and the state is always named
            # (EvaluationFailedEventDetails in the API reference).
            details = {"error": failure.error, "cause": failure.cause, "state": state.name}
            if getattr(error, "field", None):
                details["location"] = error.field
            self.record(None, "EvaluationFailed", evaluationFailedEventDetails=details)
            raise failure from None

    def _apply_path(
        self, state: State, path: JsonPath | None | bool, data: Any, context: dict, scope: Scope, field: str
    ) -> Any:
        if path is None:
            return data
        if path is DISCARD:
            return {}
        try:
            return self._lookup(data, context, scope)(path)
        except NoMatchError:
            raise self._runtime_error(
                state, f"Invalid path '{path.text}' : No results for path: {path.normalized()}"
            ) from None

    def _dynamic(
        self, state: State, field: str, data: Any, context: dict, scope: Scope, bindings: dict | None
    ):
        """The value of a field given as a constant, a ``...Path`` or a JSONata expression."""
        value = state.dynamic.get(field)
        if isinstance(value, Intrinsic):
            lookup = self._lookup(data, context, scope)
            try:
                return value.evaluate(lambda text: lookup(compile_path(text)), self.rng)
            except NoMatchError as error:
                raise self._runtime_error(state, f"Invalid path '{error.path}' in {field}Path") from None
            except IntrinsicFailure as error:
                raise StatesError("States.IntrinsicFailure", str(error.args[0])) from None
        if isinstance(value, JsonPath):
            try:
                return self._lookup(data, context, scope)(value)
            except NoMatchError:
                raise self._runtime_error(
                    state, f"Invalid path '{value.text}' : No results for path: {value.normalized()}"
                ) from None
        if callable(value):
            return self._evaluate(state, value, bindings)
        return value

    def _dynamic_number(
        self,
        state: State,
        field: str,
        data: Any,
        context: dict,
        scope: Scope,
        bindings: dict | None,
        low: int = 0,
        high: float | None = None,
        integer: bool = True,
        source: str | None = None,
    ) -> float | int | None:
        """A numeric field (MaxConcurrency, ToleratedFailure*, TimeoutSeconds, HeartbeatSeconds) from its
        constant, ``...Path`` or expression; None when the state does not set it. A value that is not a
        number in range fails the state with States.Runtime, as AWS does, never a Python error."""
        if field not in state.dynamic:
            return None
        value = self._dynamic(state, field, data, context, scope, bindings)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and integer and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not number or (integer and not isinstance(value, int)) or value < low or (high and value > high):
            source = source or (f"{field}Path" if f"{field}Path" in state.spec else field)
            kind = "an integer" if integer else "a number"
            bounds = f"from {low} to {high}" if high else f">= {low}"
            raise self._runtime_error(
                state, f"The value of the field '{source}' must be {kind} {bounds}, but was '{dumps(value)}'"
            )
        return value

    def _fail_state_error(self, state: State, error: Any, cause: Any) -> StatesError:
        """How a Fail state ends: its Error and Cause (constants, paths, intrinsics or expressions) must be
        strings; anything else fails the state with States.Runtime instead of leaking into the history."""
        for field, value in (("Error", error), ("Cause", cause)):
            if value is not None and not isinstance(value, str):
                source = f"{field}Path" if f"{field}Path" in state.spec else field
                return self._runtime_error(
                    state, f"The value of the field '{source}' must be a string, but was '{dumps(value)}'"
                )
        return StatesError(error if error is not None else "States.Runtime", cause or "")

    def _result_path(self, state: State, path, raw: Any, result: Any) -> Any:
        if path is None:
            return result
        if path is DISCARD:
            return raw
        try:
            return set_path(raw, path, result)
        except NoMatchError:
            raise StatesError(
                "States.ResultPathMatchFailure",
                f"Unable to apply ResultPath '{path.text}' to input '{dumps(raw)}'",
            ) from None

    def _finish_state(self, state: State, raw: Any, result: Any, scope: Scope, context: dict) -> tuple:
        """ResultSelector, Assign, ResultPath and OutputPath of a Pass, Task, Parallel or Map state."""
        if state.result_selector is not None:
            lookup = self._lookup(result, context, scope)
            result = self._evaluate(state, state.result_selector, lookup, self.rng, source=result)
        assigned = {} if state.assign is None else self._assign(state, state.assign, result, context, scope)
        output = (
            result if state.result_path is None else self._result_path(state, state.result_path, raw, result)
        )
        if state.output_path is not None:
            output = self._apply_path(state, state.output_path, output, context, scope, "OutputPath")
        return output, None if state.end else state.next, assigned

    def _catch(self, state: State, failure: StatesError, raw: Any, scope: Scope, context: dict):
        """The first Catcher matching ``failure``: (output, next state, variables assigned); else None."""
        for catcher in state.catchers:
            if not error_matches(catcher.errors, failure.error):
                continue
            error_output = failure.output()
            if state.jsonata:
                bindings = self._bindings(
                    scope, {"input": raw, "errorOutput": error_output, "context": context}
                )
                output = self._evaluate(state, catcher.output, bindings) if catcher.output else error_output
                assigned = self._assign(state, catcher.assign, None, context, scope, bindings)
            else:
                assigned = self._assign(state, catcher.assign, error_output, context, scope)
                output = self._result_path(state, catcher.result_path, raw, error_output)
            return output, catcher.next, assigned
        return None

    def _assign(self, state: State, render, data: Any, context: dict, scope: Scope, bindings=None) -> dict:
        if render is None:
            return {}
        if state.jsonata:
            values = self._evaluate(state, render, bindings)
        else:
            values = self._evaluate(state, render, self._lookup(data, context, scope), self.rng, source=data)
        scope.values.update(values)  # every value was computed before any is assigned, as AWS specifies
        return values
