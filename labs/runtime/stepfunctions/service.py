"""The Step Functions API of a ``Cloud``: state machines and executions, spoken to with boto3.

``cloud.client("stepfunctions")`` (and a handler's own boto3) reaches ``StepFunctionsService.handle``
through the Cloud's dispatcher. StartExecution queues the execution on the simulated clock, as AWS starts it
asynchronously: ``cloud.run_until_idle()`` runs it. StartSyncExecution (Express only) runs it to the end.
"""

from __future__ import annotations

import json
import re
from typing import Any

from labs.runtime.core import wire
from labs.runtime.stepfunctions.flow import StatesError
from labs.runtime.stepfunctions.interpreter import Execution
from labs.runtime.stepfunctions.machine import compiled_program
from labs.runtime.stepfunctions.tasks import TaskRunner
from labs.runtime.stepfunctions.testing import test_state
from labs.runtime.stepfunctions.validation import DefinitionError, validate

__all__ = ["StepFunctionsService"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_MAX_INPUT = 256 * 1024


class _ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class StepFunctionsService:
    """The state of one account's Step Functions: machines by ARN, executions by ARN."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.machines: dict[str, dict] = {}
        self.executions: dict[str, Execution] = {}
        self.tasks = TaskRunner(cloud, start_execution=self._start_nested)
        self.tasks.register_child = self._register_child

    # -- the wire ----------------------------------------------------------------------------------------------
    def handle(self, operation: str, body: bytes) -> tuple[int, dict, bytes]:
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise _ApiError("SerializationException", "the request body must be a JSON object")
            method = getattr(self, f"api_{re.sub(r'(?<!^)(?=[A-Z])', '_', operation).lower()}", None)
            if method is None:
                raise _ApiError("UnknownOperationException", f"{operation} is not supported by labs.runtime")
            result = method(**params)
        except _ApiError as error:
            return wire.error_response("stepfunctions", error.status, error.code, error.message)
        except TypeError as error:
            return wire.error_response("stepfunctions", 400, "ValidationException", str(error))
        except ValueError:
            return wire.error_response("stepfunctions", 400, "SerializationException", "malformed JSON body")
        body = json.dumps(result, default=str).encode()
        return (
            200,
            {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": self.cloud.new_request_id()},
            body,
        )

    # -- state machines --------------------------------------------------------------------------------------
    def api_create_state_machine(
        self, name: str, definition: str, roleArn: str, type: str = "STANDARD", **_: Any
    ) -> dict:  # noqa: A002, N803 - AWS's parameter names
        if not _NAME.match(name):
            raise _ApiError("InvalidName", f"Invalid Name: '{name}'")
        if type not in ("STANDARD", "EXPRESS"):
            raise _ApiError("ValidationException", f"Value '{type}' at 'type' failed to satisfy constraint")
        try:
            program = compiled_program(definition)  # CreateStateMachine in a lab's every run: compiled once
        except DefinitionError as error:
            raise _ApiError("InvalidDefinition", str(error)) from None
        arn = f"arn:aws:states:{self.cloud.region}:{self.cloud.account_id}:stateMachine:{name}"
        existing = self.machines.get(arn)
        if existing is not None and existing["definition"] != definition:
            raise _ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        self.machines[arn] = {
            "stateMachineArn": arn,
            "name": name,
            "definition": definition,
            "roleArn": roleArn,
            "type": type,
            "status": "ACTIVE",
            "creationDate": self.cloud.clock(),
            "program": program,
        }
        return {"stateMachineArn": arn, "creationDate": self.machines[arn]["creationDate"]}

    def _machine(self, arn: str) -> dict:
        if arn not in self.machines:
            raise _ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return self.machines[arn]

    def api_describe_state_machine(self, stateMachineArn: str, **_: Any) -> dict:  # noqa: N803
        machine = self._machine(stateMachineArn)
        return {key: value for key, value in machine.items() if key != "program"}

    def api_update_state_machine(
        self, stateMachineArn: str, definition: str | None = None, roleArn: str | None = None, **_: Any
    ) -> dict:  # noqa: N803
        machine = self._machine(stateMachineArn)
        if definition is not None:
            try:
                machine["program"] = compiled_program(definition)
            except DefinitionError as error:
                raise _ApiError("InvalidDefinition", str(error)) from None
            machine["definition"] = definition
        if roleArn is not None:
            machine["roleArn"] = roleArn
        return {"updateDate": self.cloud.clock()}

    def api_list_state_machines(self, **_: Any) -> dict:
        return {
            "stateMachines": [
                {key: m[key] for key in ("stateMachineArn", "name", "type", "creationDate")}
                for m in self.machines.values()
            ]
        }

    def api_delete_state_machine(self, stateMachineArn: str, **_: Any) -> dict:  # noqa: N803
        self.machines.pop(stateMachineArn, None)
        return {}

    def api_validate_state_machine_definition(self, definition: str, **_: Any) -> dict:
        problems = validate(definition)
        diagnostics = [
            {"severity": "ERROR", "code": p.code, "message": p.message, "location": p.location}
            for p in problems
        ]
        return {"result": "FAIL" if problems else "OK", "diagnostics": diagnostics, "truncated": False}

    # -- executions ----------------------------------------------------------------------------------------------
    def _new_execution(self, machine: dict, name: str | None, input_text: str | None) -> Execution:
        name = name or self.cloud.new_request_id()
        if not _NAME.match(name):
            raise _ApiError("InvalidName", f"Invalid Name: '{name}'")
        text = "{}" if input_text is None else input_text
        if len(text.encode()) > _MAX_INPUT:
            raise _ApiError("InvalidExecutionInput", "The input exceeds the maximum size of 256 KiB")
        try:
            value = json.loads(text)
        except ValueError as error:
            raise _ApiError("InvalidExecutionInput", f"Invalid execution input: {error}") from None
        kind = "express" if machine["type"] == "EXPRESS" else "execution"
        arn = f"arn:aws:states:{self.cloud.region}:{self.cloud.account_id}:{kind}:{machine['name']}:{name}"
        if arn in self.executions:
            raise _ApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        execution = Execution(
            machine["program"],
            value,
            arn=arn,
            name=name,
            state_machine_arn=machine["stateMachineArn"],
            state_machine_name=machine["name"],
            role_arn=machine["roleArn"],
            scheduler=self.cloud.scheduler,
            rng=self.cloud.random,
            tasks=self.tasks,
            workflow_type=machine["type"],
            on_finish=self._trace_finish,
        )
        self.executions[arn] = execution
        # the execution's own calls (Lambda, SQS, ...) point back at this record in the trace
        execution.trace_seq = self.cloud.trace.sfn_execution_started(
            self.cloud.clock(),
            cause=None,
            execution_arn=arn,
            state_machine_arn=machine["stateMachineArn"],
        )["seq"]
        if machine["type"] == "EXPRESS":
            self.cloud.trace.sfn_note(
                self.cloud.clock(),
                cause=None,
                execution_arn=arn,
                note="Express workflows run at least once: a state may run more than once on AWS",
            )
        return execution

    def _trace_finish(self, execution: Execution) -> None:
        self.cloud.trace.sfn_execution(
            self.cloud.clock(),
            cause=getattr(execution, "trace_seq", None),
            execution_arn=execution.arn,
            status=execution.status,
            error=execution.error,
            transitions=execution.transitions,
        )

    def _register_child(self, parent: Execution, child: Execution) -> None:
        """A Distributed Map's child workflow execution: listed by its Map Run, traced under a note for the
        Map Run (itself caused by the parent execution), so the trace shows the children below the Map state."""
        self.executions[child.arn] = child
        run = next(run for run in parent.map_runs if run["mapRunArn"] == child.map_run_arn)
        if "trace_seq" not in run:
            run["trace_seq"] = self.cloud.trace.sfn_note(
                self.cloud.clock(),
                cause=getattr(parent, "trace_seq", None),
                execution_arn=parent.arn,
                note=f"Map state '{run['state'].name}' started Map Run {run['mapRunArn']}",
            )["seq"]
        child.trace_seq = self.cloud.trace.sfn_execution_started(
            self.cloud.clock(),
            cause=run["trace_seq"],
            execution_arn=child.arn,
            state_machine_arn=child.state_machine_arn,
        )["seq"]
        child.on_finish_callbacks.append(self._trace_finish)

    def api_start_execution(
        self, stateMachineArn: str, name: str | None = None, input: str | None = None, **_: Any
    ) -> dict:  # noqa: A002, N803
        execution = self._new_execution(self._machine(stateMachineArn), name, input)
        self.cloud.scheduler.call_later(0, execution.start, f"sfn start {execution.name}")
        return {"executionArn": execution.arn, "startDate": execution.start_time}

    def _start_nested(self, parent: Execution, params: dict) -> Execution:
        """states:startExecution from a Task: starts at once so that .sync can wait for it."""
        child_input = params.get("Input", {})
        text = child_input if isinstance(child_input, str) else json.dumps(child_input)
        try:
            execution = self._new_execution(
                self._machine(str(params.get("StateMachineArn"))), params.get("Name"), text
            )
        except _ApiError as error:
            raise StatesError(f"StepFunctions.{error.code}Exception", error.message) from None
        return execution.start()

    def api_start_sync_execution(
        self, stateMachineArn: str, name: str | None = None, input: str | None = None, **_: Any
    ) -> dict:  # noqa: A002, N803
        machine = self._machine(stateMachineArn)
        if machine["type"] != "EXPRESS":
            raise _ApiError(
                "StateMachineTypeNotSupported", "This operation is only supported by EXPRESS state machines"
            )
        execution = self._new_execution(machine, name, input).start()
        while execution.status == "RUNNING" and self.cloud.scheduler.pending():
            self.cloud.scheduler.run_for(
                max(0.0, (self.cloud.scheduler.next_time() or 0) - self.cloud.clock())
            )
        description = self._describe(execution)
        description.pop("redriveCount", None)
        return description

    def _execution(self, arn: str) -> Execution:
        if arn not in self.executions:
            raise _ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return self.executions[arn]

    def _describe(self, execution: Execution) -> dict:
        status = "RUNNING" if execution.status == "PENDING" else execution.status
        description = {
            "executionArn": execution.arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": status,
            "startDate": execution.start_time,
            "input": json.dumps(execution.input),
            "inputDetails": {"included": True},
            "redriveCount": 0,
        }
        if execution.stop_time is not None:
            description["stopDate"] = execution.stop_time
        if execution.map_run_arn is not None:  # a Distributed Map's child workflow execution
            description["mapRunArn"] = execution.map_run_arn
        if execution.status == "SUCCEEDED":
            description["output"] = json.dumps(execution.output)
            description["outputDetails"] = {"included": True}
        if execution.error is not None:
            description["error"] = execution.error
            description["cause"] = execution.cause or ""
        return description

    def api_describe_execution(self, executionArn: str, **_: Any) -> dict:  # noqa: N803
        return self._describe(self._execution(executionArn))

    def api_list_executions(
        self,
        stateMachineArn: str | None = None,
        statusFilter: str | None = None,
        mapRunArn: str | None = None,
        **_: Any,
    ) -> dict:  # noqa: N803
        """ListExecutions of a state machine, or of a Map Run (its child workflow executions, with itemCount
        and mapRunArn, https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html)."""
        if (stateMachineArn is None) == (mapRunArn is None):
            raise _ApiError(
                "ValidationException", "Specify either stateMachineArn or mapRunArn, but not both"
            )
        if mapRunArn is not None:
            return self._list_map_run_executions(mapRunArn, statusFilter)
        self._machine(stateMachineArn)
        listed = [
            {
                key: value
                for key, value in self._describe(e).items()
                if key in ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
            }
            for e in self.executions.values()
            if e.state_machine_arn == stateMachineArn
        ]
        if statusFilter:
            listed = [e for e in listed if e["status"] == statusFilter]
        return {"executions": listed}

    def _map_run(self, arn: str) -> tuple[Execution, dict]:
        for execution in list(self.executions.values()):
            for run in execution.map_runs:
                if run["mapRunArn"] == arn:
                    return execution, run
        raise _ApiError("ResourceNotFound", f"Resource not found: '{arn}'")

    def _list_map_run_executions(self, arn: str, status: str | None) -> dict:
        _, run = self._map_run(arn)
        listed = []
        for child in run["executions"]:
            if child.status.startswith("PENDING"):
                continue
            entry = {
                key: value
                for key, value in self._describe(child).items()
                if key in ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
            }
            items = child.input.get("Items") if isinstance(child.input, dict) else None
            entry.update(mapRunArn=arn, itemCount=len(items) if isinstance(items, list) else 1)
            if status is None or entry["status"] == status:
                listed.append(entry)
        return {"executions": listed}

    def api_list_map_runs(self, executionArn: str, **_: Any) -> dict:  # noqa: N803
        execution = self._execution(executionArn)
        runs = [
            {
                "executionArn": execution.arn,
                "mapRunArn": run["mapRunArn"],
                "stateMachineArn": run["stateMachineArn"],
            }
            for run in execution.map_runs
        ]
        return {"mapRuns": runs}

    def api_describe_map_run(self, mapRunArn: str, **_: Any) -> dict:  # noqa: N803
        """DescribeMapRun: the run's status, settings and its children (and items) counted by status,
        https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html"""
        execution, run = self._map_run(mapRunArn)
        names = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted"}
        keys = ("pending", "running", "succeeded", "failed", "timedOut", "aborted")
        executions, items = dict.fromkeys(keys, 0), dict.fromkeys(keys, 0)
        for child in run["executions"]:
            key = names.get(child.status, "running" if child.status == "RUNNING" else "pending")
            batch = child.input.get("Items") if isinstance(child.input, dict) else None
            executions[key] += 1
            items[key] += len(batch) if isinstance(batch, list) else 1
        for counts in (executions, items):
            counts["total"] = sum(counts.values())
            counts["resultsWritten"] = counts["total"] - counts["pending"] - counts["running"]
        described = {
            "mapRunArn": mapRunArn,
            "executionArn": execution.arn,
            "status": run["status"],
            "startDate": run["startDate"],
            "maxConcurrency": run["maxConcurrency"],
            "toleratedFailureCount": run["tolerated"],
            "executionCounts": executions,
            "itemCounts": items,
            "redriveCount": 0,
        }
        if "stopDate" in run:
            described["stopDate"] = run["stopDate"]
        return described

    def api_get_execution_history(
        self,
        executionArn: str,
        reverseOrder: bool = False,
        maxResults: int = 0,
        nextToken: str | None = None,
        includeExecutionData: bool = True,
        **_: Any,
    ) -> dict:  # noqa: N803
        events = list(self._execution(executionArn).history)
        if reverseOrder:
            events.reverse()
        start = int(nextToken) if nextToken and nextToken.isdigit() else 0
        size = maxResults or 1000
        page = events[start : start + size]
        if not includeExecutionData:
            page = [_without_data(event) for event in page]
        result: dict = {"events": page}
        if start + size < len(events):
            result["nextToken"] = str(start + size)
        return result

    def api_stop_execution(
        self, executionArn: str, error: str | None = None, cause: str | None = None, **_: Any
    ) -> dict:  # noqa: N803
        self._execution(executionArn).stop(error, cause)
        return {"stopDate": self.cloud.clock()}

    # -- callbacks -----------------------------------------------------------------------------------------------
    def api_send_task_success(self, taskToken: str, output: str, **_: Any) -> dict:  # noqa: N803
        try:
            value = json.loads(output)
        except ValueError as error:
            raise _ApiError("InvalidOutput", f"Invalid output: {error}") from None
        self._complete(taskToken, value)
        return {}

    def api_send_task_failure(self, taskToken: str, error: str = "", cause: str = "", **_: Any) -> dict:  # noqa: N803
        self._complete(taskToken, StatesError(error, cause))
        return {}

    def api_send_task_heartbeat(self, taskToken: str, **_: Any) -> dict:  # noqa: N803
        if not self.tasks.heartbeat(taskToken):
            raise _ApiError("TaskDoesNotExist", "Task Does Not Exist")
        return {}

    def _complete(self, token: str, result: Any) -> None:
        if not self.tasks.complete_token(token, result):
            raise _ApiError(
                "TaskDoesNotExist" if len(token) == 64 else "InvalidToken",
                "Task Does Not Exist" if len(token) == 64 else f"Invalid Token: '{token}'",
            )

    def api_test_state(
        self, definition: str, roleArn: str = "", input: str = "{}", inspectionLevel: str = "INFO", **_: Any
    ) -> dict:  # noqa: A002, N803
        try:
            state = json.loads(definition)
            value = json.loads(input)
        except ValueError as error:
            raise _ApiError("InvalidDefinition", f"Invalid JSON: {error}") from None
        try:
            return test_state(
                state,
                value,
                cloud=self.cloud,
                role_arn=roleArn,
                inspection_level=inspectionLevel,
                tasks=self.tasks,
            )
        except DefinitionError as error:
            raise _ApiError("InvalidDefinition", str(error)) from None


def _without_data(event: dict) -> dict:
    out = {}
    for key, value in event.items():
        if isinstance(value, dict):
            value = {
                k: v
                for k, v in value.items()
                if k not in ("input", "output", "parameters", "inputDetails", "outputDetails")
            }
        out[key] = value
    return out
