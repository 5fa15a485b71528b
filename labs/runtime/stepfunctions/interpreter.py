"""Executions: one explicit loop over states, on the simulated clock, recording AWS's history events.

``Execution.start()`` runs the machine until it ends or waits (a Wait state, a retry back-off, a task
token); waiting work sits on the scheduler and resumes when the simulation runs. Every execution ends in
one place, ``_finish``, which turns the outcome into SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Generator
from typing import Any

from labs.runtime.stepfunctions.branches import Branching
from labs.runtime.stepfunctions.choice import ChoicePathError, parse_timestamp
from labs.runtime.stepfunctions.dataflow import DataFlow
from labs.runtime.stepfunctions.distributed_map import DistributedMapping
from labs.runtime.stepfunctions.flow import Sleep, Spawn, StatesError, Suspend, error_matches
from labs.runtime.stepfunctions.machine import Program, State
from labs.runtime.stepfunctions.scope import Scope, Thread, dumps

__all__ = ["Execution", "Scope"]

EXPRESS_LIMIT_S = 300


_UNREAD_CONTEXT: dict = {}  # what a state that never reads $$ gets instead of a context object (State.reads_context)


@functools.lru_cache(maxsize=256)
def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Execution(Branching, DistributedMapping, DataFlow):
    """One execution of a compiled ``Program``. ``tasks`` runs Task states (see ``tasks.TaskRunner``)."""

    def __init__(
        self,
        program: Program,
        input_value: Any,
        *,
        arn: str,
        name: str,
        state_machine_arn: str,
        state_machine_name: str,
        role_arn: str,
        scheduler: Any,
        rng: Any,
        tasks: Any,
        workflow_type: str = "STANDARD",
        on_finish: Callable[[Execution], None] | None = None,
    ) -> None:
        self.program = program
        self.input = input_value
        self.arn, self.name = arn, name
        self.state_machine_arn, self.state_machine_name = state_machine_arn, state_machine_name
        self.role_arn = role_arn
        self.scheduler, self.rng, self.tasks = scheduler, rng, tasks
        self.workflow_type = workflow_type
        self.on_finish_callbacks: list[Callable[[Execution], None]] = [on_finish] if on_finish else []
        self.status = "PENDING"
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self.history: list[dict] = []
        self.start_time = scheduler.now()
        self.stop_time: float | None = None
        self.transitions = 0
        self.state_status: dict[str, str] = {}  # state name -> last status, for the graph
        self.map_runs: list[dict] = []  # Distributed Map runs, each with its child executions
        self.map_run_arn: str | None = None  # set on a child execution of a Map Run
        self._root: Thread | None = None
        self._timeout_event = None
        self._context_execution = {
            "Id": arn,
            "Input": input_value,
            "Name": name,
            "RoleArn": role_arn,
            "StartTime": _iso(self.start_time),
            "RedriveCount": 0,
        }
        self._context_machine = {"Id": state_machine_arn, "Name": state_machine_name}

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> Execution:
        self.status = "RUNNING"
        event = self.record(
            None,
            "ExecutionStarted",
            executionStartedEventDetails={
                "input": dumps(self.input),
                "inputDetails": {"truncated": False},
                "roleArn": self.role_arn,
            },
        )
        limit = self.program.timeout_s
        if self.workflow_type == "EXPRESS":
            limit = min(limit or EXPRESS_LIMIT_S, EXPRESS_LIMIT_S)
        if limit:
            self._timeout_event = self.scheduler.call_later(limit, self._time_out, "sfn execution timeout")
        self._root = self._spawn_thread(
            lambda thread: self.run_program(self.program, self.input, Scope(), thread), self._finish, event
        )
        return self

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution: abort what runs and end as ABORTED."""
        if self.status != "RUNNING":
            return
        self._abort_thread(self._root)
        self.error, self.cause = error, cause
        self._end("ABORTED", "ExecutionAborted", {"error": error, "cause": cause} if error else {})

    def _time_out(self) -> None:
        if self.status != "RUNNING":
            return
        self._abort_thread(self._root)
        self.error, self.cause = "States.Timeout", "Execution timed out."
        self._end("TIMED_OUT", "ExecutionTimedOut", {"error": self.error, "cause": self.cause})

    def _finish(self, ok: bool, value: Any) -> None:
        if self.status != "RUNNING":
            return
        if ok:
            self.output = value
            self._end(
                "SUCCEEDED",
                "ExecutionSucceeded",
                {"output": dumps(value), "outputDetails": {"truncated": False}},
            )
        else:
            self.error, self.cause = value.error, value.cause
            self._end("FAILED", "ExecutionFailed", {"error": value.error, "cause": value.cause})

    def _end(self, status: str, event_type: str, details: dict) -> None:
        self.status = status
        self.stop_time = self.scheduler.now()
        if self._timeout_event is not None:
            self.scheduler.cancel(self._timeout_event)
        key = event_type[0].lower() + event_type[1:] + "EventDetails"
        self.record(None, event_type, **{key: details})
        for callback in list(self.on_finish_callbacks):
            callback(self)

    # -- history --------------------------------------------------------------------------------------------
    def record(self, thread: Thread | None, event_type: str, **details: Any) -> int:
        """Append one history event; returns its id."""
        history = self.history
        event_id = len(history) + 1
        if thread is None:
            previous = history[-1]["id"] if history else 0
        else:
            previous, thread.last_event = thread.last_event, event_id
        now = self.scheduler.now()
        history.append(
            {"timestamp": now, "type": event_type, "id": event_id, "previousEventId": previous, **details}
        )
        return event_id

    # -- threads --------------------------------------------------------------------------------------------
    def _spawn_thread(self, body: Callable[[Thread], Generator], on_done, last_event: int) -> Thread:
        thread = Thread(None, on_done, last_event)  # type: ignore[arg-type]
        thread.gen = body(thread)
        self._step(thread, None)
        return thread

    def _step(self, thread: Thread, value: Any) -> None:
        while True:
            try:
                command = (
                    thread.gen.throw(value) if isinstance(value, StatesError) else thread.gen.send(value)
                )
            except StopIteration as stop:
                thread.done = True
                thread.on_done(True, stop.value)
                return
            except StatesError as failure:
                thread.done = True
                thread.on_done(False, failure)
                return
            if isinstance(command, Sleep):
                event = self.scheduler.call_later(
                    command.seconds, lambda: self._resume(thread, None), "sfn wait"
                )
                thread.cancel = lambda event=event: self.scheduler.cancel(event)
                return
            if isinstance(command, Suspend):
                thread.cancel = command.setup(lambda result: self._resume(thread, result))
                return
            if isinstance(command, Spawn):
                results = self._run_children(thread, command)
                if results is None:
                    return  # some child waits; the last one to finish resumes this thread
                value = results
                continue
            raise TypeError(f"unknown command {command!r}")

    def _resume(self, thread: Thread, value: Any) -> None:
        thread.cancel = None
        if self.status == "RUNNING" and not thread.done:
            self._step(thread, value)

    def _abort_thread(self, thread: Thread | None) -> None:
        if thread is None or thread.done:
            return
        thread.done = True
        if thread.cancel is not None:
            thread.cancel()
            thread.cancel = None
        for child in thread.children:
            self._abort_thread(child)
        thread.gen.close()

    # -- the state loop -------------------------------------------------------------------------------------
    def run_program(
        self, program: Program, value: Any, scope: Scope, thread: Thread, map_item=None
    ) -> Generator:
        """Run a program (the machine, a branch or an iteration) from StartAt; returns its output."""
        name, history, state_status = program.start_at, self.history, self.state_status
        now = self.scheduler.now
        # A state's output is the next state's input: its JSON text, made for the exited event, is reused for
        # the entered one (half the encoding of a long run of short states).
        text = dumps(value)
        while True:
            state = program.states[name]
            self.transitions += 1
            # StateEntered and StateExited are written here as ``record`` writes events (the same keys in the
            # same order), without its keyword arguments: two events per state, the cost of short states.
            entered = len(history) + 1
            history.append(
                {
                    "timestamp": now(),
                    "type": state.entered_type,
                    "id": entered,
                    "previousEventId": thread.last_event,
                    "stateEnteredEventDetails": {
                        "name": name,
                        "input": text,
                        "inputDetails": {"truncated": False},
                    },
                }
            )
            thread.last_event = entered
            state_status[name] = "RUNNING"
            context = self._context(state, entered, map_item) if state.reads_context else _UNREAD_CONTEXT
            try:
                if state.simple:
                    output, next_name, assigned = self._run_simple(state, value, scope, context)
                else:
                    output, next_name, assigned = yield from self._run_state(
                        state, value, scope, thread, context
                    )
            except StatesError as failure:
                state_status[name] = "FAILED"
                handled = None if state.type == "Fail" else self._catch(state, failure, value, scope, context)
                if handled is None:
                    raise
                state_status[name] = "CAUGHT_ERROR"
                output, next_name, assigned = handled
            else:
                state_status[name] = "SUCCEEDED"
            text = dumps(output)
            exited = {"name": name, "output": text, "outputDetails": {"truncated": False}}
            if assigned:
                exited["assignedVariables"] = {key: dumps(val) for key, val in assigned.items()}
                exited["assignedVariablesDetails"] = {"truncated": False}
            event_id = len(history) + 1
            history.append(
                {
                    "timestamp": now(),
                    "type": state.exited_type,
                    "id": event_id,
                    "previousEventId": thread.last_event,
                    "stateExitedEventDetails": exited,
                }
            )
            thread.last_event = event_id
            if next_name is None:
                return output
            name, value = next_name, output

    def _context(self, state: State, entered: int, map_item) -> dict:
        context = {
            "Execution": self._context_execution,
            "State": {"EnteredTime": _iso(self.scheduler.now()), "Name": state.name, "RetryCount": 0},
            "StateMachine": self._context_machine,
        }
        if map_item is not None:
            context["Map"] = {"Item": map_item}
        if state.type == "Task" and state.spec["Resource"].endswith(".waitForTaskToken"):
            context["Task"] = {"Token": self.tasks.new_token(self)}
        return context

    def _run_state(self, state: State, raw: Any, scope: Scope, thread: Thread, context: dict) -> Generator:
        """Run one state; returns (output, next state or None, variables assigned)."""
        if state.jsonata:
            return (yield from self._run_jsonata_state(state, raw, scope, thread, context))
        if state.simple:
            return self._run_simple(state, raw, scope, context)
        effective = self._apply_path(state, state.input_path, raw, context, scope, "InputPath")
        if state.type == "Wait":
            yield from self._wait(state, effective, context, scope, None)
            assigned = self._assign(state, state.assign, effective, context, scope)
            output = self._apply_path(state, state.output_path, effective, context, scope, "OutputPath")
            return output, state.next, assigned
        task_input = effective
        if state.parameters is not None and state.type != "Map":
            lookup = self._lookup(effective, context, scope)
            task_input = self._evaluate(state, state.parameters, lookup, self.rng, source=effective)
        result = yield from self._with_retry(state, task_input, effective, scope, thread, context, None)
        return self._finish_state(state, raw, result, scope, context)

    def _run_simple(self, state: State, raw: Any, scope: Scope, context: dict) -> tuple:
        """Run a JSONPath Pass, Choice, Succeed or Fail state (``State.simple``: none of them waits); an
        absent path or Assign is skipped here rather than in the call (the same result, fewer calls)."""
        effective = raw
        if state.input_path is not None:
            effective = self._apply_path(state, state.input_path, raw, context, scope, "InputPath")
        kind = state.type
        if kind == "Choice":
            next_name, assign = self._choose(state, effective, context, scope)
            assigned = {} if assign is None else self._assign(state, assign, effective, context, scope)
            if state.output_path is None:
                return effective, next_name, assigned
            output = self._apply_path(state, state.output_path, effective, context, scope, "OutputPath")
            return output, next_name, assigned
        if kind == "Fail":
            error = self._dynamic(state, "Error", effective, context, scope, None)
            cause = self._dynamic(state, "Cause", effective, context, scope, None)
            raise self._fail_state_error(state, error, cause)
        if kind == "Succeed":
            assigned = self._assign(state, state.assign, effective, context, scope)
            output = self._apply_path(state, state.output_path, effective, context, scope, "OutputPath")
            return output, None, assigned
        task_input = effective
        if state.parameters is not None:
            lookup = self._lookup(effective, context, scope)
            task_input = self._evaluate(state, state.parameters, lookup, self.rng, source=effective)
        return self._finish_state(state, raw, state.dynamic.get("Result", task_input), scope, context)

    def _choose(self, state: State, effective: Any, context: dict, scope: Scope):
        lookup = self._lookup(effective, context, scope)
        for predicate, next_name, assign, _ in state.choices:
            try:
                if predicate(lookup):
                    return next_name, assign
            except ChoicePathError as error:
                raise self._runtime_error(
                    state,
                    f"Invalid path '{error.path}': The choice state's condition path references an invalid value.",
                ) from None
        if state.default is None:
            raise StatesError("States.NoChoiceMatched", f"No Matches! at state '{state.name}'")
        return state.default, state.assign

    def _wait(self, state: State, data: Any, context: dict, scope: Scope, bindings: dict | None) -> Generator:
        if "Seconds" in state.dynamic:
            seconds = self._dynamic(state, "Seconds", data, context, scope, bindings)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise self._runtime_error(
                    state, f"The Seconds value '{seconds}' is not a non-negative number"
                )
        else:
            text = self._dynamic(state, "Timestamp", data, context, scope, bindings)
            moment = parse_timestamp(text)
            if moment is None:
                raise self._runtime_error(
                    state, f"The Timestamp value '{text}' is not a valid RFC3339 timestamp"
                )
            seconds = max(0.0, moment.timestamp() - self.scheduler.now())
        if seconds:
            yield Sleep(float(seconds))

    def _with_retry(
        self,
        state: State,
        task_input: Any,
        effective: Any,
        scope: Scope,
        thread: Thread,
        context: dict,
        bindings,
    ) -> Generator:
        attempts = [0] * len(state.retriers)
        while True:
            try:
                return (
                    yield from self._execute(state, task_input, effective, scope, thread, context, bindings)
                )
            except StatesError as failure:
                index = next(
                    (
                        i
                        for i, retrier in enumerate(state.retriers)
                        if error_matches(retrier.errors, failure.error)
                    ),
                    None,
                )
                if index is None:
                    raise
                retrier = state.retriers[index]
                if attempts[index] >= retrier.max_attempts:
                    raise
                delay = retrier.interval_s * retrier.backoff_rate ** attempts[index]
                if retrier.max_delay_s is not None:
                    delay = min(delay, retrier.max_delay_s)
                if retrier.jitter == "FULL":
                    delay = self.rng.uniform(0, delay)
                attempts[index] += 1
                context["State"]["RetryCount"] = sum(attempts)
                yield Sleep(delay)

    def _execute(
        self,
        state: State,
        task_input: Any,
        effective: Any,
        scope: Scope,
        thread: Thread,
        context: dict,
        bindings,
    ) -> Generator:
        if state.type == "Task":
            timeout = self._dynamic_number(
                state, "TimeoutSeconds", effective, context, scope, bindings, low=1
            )
            heartbeat = self._dynamic_number(
                state, "HeartbeatSeconds", effective, context, scope, bindings, low=1
            )
            return (yield from self.tasks.run(self, state, task_input, thread, context, timeout, heartbeat))
        if state.type == "Parallel":
            return (yield from self._parallel(state, task_input, scope, thread))
        return (yield from self._map(state, effective, scope, thread, context, bindings))

    # -- JSONata states -------------------------------------------------------------------------------------
    def _run_jsonata_state(
        self, state: State, raw: Any, scope: Scope, thread: Thread, context: dict
    ) -> Generator:
        states = {"input": raw, "context": context}
        bindings = self._bindings(scope, states)
        kind = state.type
        next_name = None if state.end else state.next
        if kind == "Choice":
            next_name, assign, output_render = None, state.assign, state.output
            for condition, target, rule_assign, rule_output in state.choices:
                verdict = self._evaluate(state, condition, bindings)
                if not isinstance(verdict, bool):
                    raise StatesError(
                        "States.QueryEvaluationError",
                        f"The Condition of a rule of state '{state.name}' evaluated to {dumps(verdict)}, not a boolean",
                    )
                if verdict:
                    next_name, assign, output_render = target, rule_assign, rule_output or state.output
                    break
            if next_name is None:
                if state.default is None:
                    raise StatesError("States.NoChoiceMatched", f"No Matches! at state '{state.name}'")
                next_name = state.default
            output = self._evaluate(state, output_render, bindings) if output_render else raw
            return output, next_name, self._assign(state, assign, None, context, scope, bindings)
        if kind == "Fail":
            error = self._dynamic(state, "Error", raw, context, scope, bindings)
            cause = self._dynamic(state, "Cause", raw, context, scope, bindings)
            raise self._fail_state_error(state, error, cause)
        if kind == "Wait":
            yield from self._wait(state, raw, context, scope, bindings)
        if kind in ("Task", "Parallel", "Map"):
            task_input = self._evaluate(state, state.arguments, bindings) if state.arguments else raw
            result = yield from self._with_retry(state, task_input, raw, scope, thread, context, bindings)
            states["result"] = result
            bindings = self._bindings(scope, states)
            default_output = result
        else:
            default_output = raw
        output = self._evaluate(state, state.output, bindings) if state.output else default_output
        assigned = self._assign(state, state.assign, None, context, scope, bindings)
        return output, None if kind == "Succeed" else next_name, assigned
