"""The Lambda API's durable execution operations, answered on the wire for one ``Cloud``.

CheckpointDurableExecution and GetDurableExecutionState are what the durable execution SDK calls from inside the
function (with the checkpoint token of the running invocation); GetDurableExecution,
GetDurableExecutionHistory, ListDurableExecutionsByFunction, StopDurableExecution, DeleteDurableExecution and
SendDurableExecutionCallbackSuccess / Failure / Heartbeat are what operators and other systems call
(https://docs.aws.amazon.com/lambda/latest/api/, the API_*DurableExecution* pages). Pause and resume are
valid on AWS and refused here as not simulated.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from labs.runtime.awslambda.invocation import Invocation
from labs.runtime.core import wire
from labs.runtime.durable.checkpoints import CheckpointError, apply_updates
from labs.runtime.durable.model import DurableExecution, wire_operation
from labs.runtime.durable.service import DurableService, StartError

__all__ = ["OPERATIONS", "DurableApi"]

OPERATIONS = {
    "CheckpointDurableExecution",
    "GetDurableExecutionState",
    "GetDurableExecution",
    "GetDurableExecutionHistory",
    "ListDurableExecutionsByFunction",
    "StopDurableExecution",
    "DeleteDurableExecution",
    "PauseDurableExecution",
    "ResumeDurableExecution",
    "SendDurableExecutionCallbackSuccess",
    "SendDurableExecutionCallbackFailure",
    "SendDurableExecutionCallbackHeartbeat",
}
SUSPENDED_MESSAGE = (
    "The durable execution suspended (a wait, callback, retry or chained invoke) before it ended: valid on AWS, "
    "where this synchronous caller would wait for it (15 minutes at most), not simulated here for callers inside "
    "the simulation (event sources, services, other functions); the execution goes on. Invoke the durable "
    "function asynchronously (InvocationType Event) and read it with GetDurableExecution."
)
_STILL_RUNNING = (
    "The durable execution did not end within the synchronous invocation limit (15 minutes, or the function's or "
    "execution's timeout if lower); it goes on: invoke with InvocationType Event for long workflows and read it "
    "with GetDurableExecution."
)
_PAGE = 1000  # GetDurableExecutionState returns at most 1,000 operations per page (API reference, MaxItems)


def _ok(body: dict, status: int = 200) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body, default=str).encode()


def _invalid(message: str) -> tuple[int, dict, bytes]:
    return wire.error_response("lambda", 400, "InvalidParameterValueException", message)


def _not_found(message: str) -> tuple[int, dict, bytes]:
    return wire.error_response("lambda", 404, "ResourceNotFoundException", message)


def _page(items: list, query: dict, default: int) -> tuple[list, str | None]:
    start = int(query.get("Marker", ["0"])[0] or 0) if query.get("Marker", [""])[0].isdigit() else 0
    size = max(1, min(int(query.get("MaxItems", [default])[0]), _PAGE)) if "MaxItems" in query else default
    page = items[start : start + size]
    return page, (str(start + size) if start + size < len(items) else None)


class DurableApi:
    """Routes the durable execution operations to the account's ``DurableService``."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.service = DurableService(cloud)

    def handle(
        self, parsed: wire.ParsedRequest, url: str, body: bytes, cause: int | None
    ) -> tuple[int, dict, bytes]:
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        operation = parsed.operation
        if operation in ("PauseDurableExecution", "ResumeDurableExecution"):
            return wire.error_response(
                "lambda",
                400,
                "InvalidParameterValueException",
                f"valid on AWS, not simulated here: {operation}",
            )
        if operation.startswith("SendDurableExecutionCallback"):
            return self._callback(operation, parsed.params.get("CallbackId", ""), body, cause)
        if operation == "ListDurableExecutionsByFunction":
            return self._list(parsed.params.get("FunctionName", ""), query)
        arn = parsed.params.get("DurableExecutionArn", "")
        execution = self.service.executions.get(arn)
        if execution is None or not self.service.readable(execution):
            return _not_found(f"Durable execution not found: {arn}")
        request = _json(body)
        handler = {
            "CheckpointDurableExecution": lambda: self._checkpoint(execution, request, cause),
            "GetDurableExecutionState": lambda: self._state(
                execution, request.get("CheckpointToken") or query.get("CheckpointToken", [""])[0], query
            ),
            "GetDurableExecution": lambda: _ok(_describe(execution)),
            "GetDurableExecutionHistory": lambda: self._history(execution, query),
            "StopDurableExecution": lambda: self._stop(execution, request),
            "DeleteDurableExecution": lambda: self._delete(execution),
        }[operation]
        return handler()

    # -- Invoke of a durable function (from LambdaService.invoke_api) -----------------------------------
    def invoke_api(
        self,
        name: str,
        qualifier: str | None,
        function,
        invocation_type: str,
        body: bytes,
        headers: dict,
        cause,
    ) -> tuple[int, dict, bytes]:
        """Invoke starts an execution: asynchronously (202 at once) or synchronously (200 with the execution's
        result when it ends within the synchronous limit). The answer carries ``X-Amz-Durable-Execution-Arn``."""
        try:
            execution, new = self.service.start(
                name, qualifier, body, headers.get("x-amz-durable-execution-name"), cause
            )
        except StartError as error:
            return wire.error_response("lambda", error.status, error.code, str(error))
        request_id = self.cloud.new_request_id()
        answer = {"x-amzn-RequestId": request_id, "X-Amz-Durable-Execution-Arn": execution.arn}
        if invocation_type == "Event":
            if new:
                self.service.run_async(execution)
            return 202, answer, b""
        if new:
            self.service.run_sync(execution, float(function.timeout))
        answer["X-Amz-Executed-Version"] = execution.version
        if execution.status == "SUCCEEDED":
            return 200, answer, (execution.result or "null").encode()
        if execution.done:
            error = execution.error or {}
            payload = {
                "errorType": error.get("ErrorType", execution.status),
                "errorMessage": error.get("ErrorMessage", ""),
            }
        else:
            # AWS does not document this answer; the execution itself goes on, as an asynchronous one would
            payload = {"errorType": "DurableExecutionStillRunning", "errorMessage": self._unfinished()}
        answer["X-Amz-Function-Error"] = "Unhandled"
        return 200, answer, json.dumps(payload).encode()

    def invoke_internal(
        self, name: str, qualifier, payload: bytes, cause, request_id, function
    ) -> Invocation:
        """Another service invoking a durable function (an event source mapping, SNS, EventBridge, API Gateway,
        Step Functions): an execution starts, named after the request id so that a retried event finds its
        own execution again, and is followed for the synchronous limit; the ``Invocation`` carries its result,
        or its error as a function error (durable-invoking.html: event source mappings invoke synchronously)."""
        request_id = request_id or self.cloud.new_request_id()
        try:
            execution, new = self.service.start(name, qualifier, payload, request_id, cause)
        except StartError as error:
            return _service_invocation(
                request_id, name, "$LATEST", None, {"errorType": error.code, "errorMessage": str(error)}
            )
        if new:
            self.service.run_sync(execution, float(function.timeout))
        if execution.status == "SUCCEEDED":
            return _service_invocation(
                request_id, execution.function_arn, execution.version, execution.result, None
            )
        error = execution.error or {
            "ErrorType": "DurableExecutionStillRunning",
            "ErrorMessage": self._unfinished(),
        }
        body = {
            "errorType": error.get("ErrorType", execution.status),
            "errorMessage": error.get("ErrorMessage", ""),
        }
        return _service_invocation(request_id, execution.function_arn, execution.version, None, body)

    def _unfinished(self) -> str:
        return SUSPENDED_MESSAGE if self.cloud.scheduler.running else _STILL_RUNNING

    # -- called by the SDK from inside the function ------------------------------------------------------
    def _checkpoint(
        self, execution: DurableExecution, request: dict, cause: int | None
    ) -> tuple[int, dict, bytes]:
        if not self.service.token_is_current(execution, str(request.get("CheckpointToken", ""))):
            return _invalid("Invalid checkpoint token.")
        updates = request.get("Updates") or []
        closing = [
            u.get("Name")
            for u in updates
            if isinstance(u, dict) and u.get("Type") == "STEP" and u.get("Action") == "SUCCEED"
        ]
        fired = self.cloud.faults.durable_interruption(
            execution.function_name, [n for n in closing if n], cause
        )
        if fired is not None:
            # The environment dies before the checkpoint is saved: the step's work is done, its result lost.
            environment = self.cloud.lambda_.running.get(cause)
            if environment is not None:
                environment.kill()
            execution.interrupted = True
            return wire.error_response(
                "lambda", 500, "ServiceException", "The execution environment was lost."
            )
        try:
            applied = apply_updates(execution, updates, self.cloud.clock(), self._new_callback_id(execution))
        except CheckpointError as error:
            return _invalid(str(error))
        for action, operation, status in applied:
            self.service.note_update(execution, operation, action, status, cause)
        changed = [operation for _, operation, _ in applied]
        for update in updates:
            if isinstance(update, dict) and update.get("Type") == "EXECUTION":
                self._end_from_checkpoint(execution, update)
            elif isinstance(update, dict) and update.get("Type") == "CHAINED_INVOKE":
                self.service.chained_invoke(execution, execution.operations[update["Id"]], cause)
        delivered = {op["Id"]: op for op in changed}
        delivered.update({op_id: execution.operations[op_id] for op_id in execution.changed})
        execution.changed.clear()
        token = None if execution.done else self.service.new_token(execution)
        state = {"Operations": [wire_operation(op) for op in delivered.values()]}
        return _ok(
            {"CheckpointToken": token, "NewExecutionState": state} if token else {"NewExecutionState": state}
        )

    def _end_from_checkpoint(self, execution: DurableExecution, update: dict) -> None:
        if update["Action"] == "SUCCEED":
            self.service.settle(execution, "SUCCEEDED", result=update.get("Payload"))
        else:
            self.service.settle(execution, "FAILED", error=update.get("Error") or {})

    def _state(self, execution: DurableExecution, token: str, query: dict) -> tuple[int, dict, bytes]:
        if not self.service.token_is_current(execution, token):
            return _invalid("Invalid checkpoint token.")
        page, marker = _page([wire_operation(op) for op in execution.operations.values()], query, 100)
        return _ok({"Operations": page, **({"NextMarker": marker} if marker else {})})

    def _new_callback_id(self, execution: DurableExecution):
        def new() -> str:
            callback_id = f"{self.cloud.ids.getrandbits(128):032x}"
            self.service.callbacks[callback_id] = execution.arn
            return callback_id

        return new

    # -- called by operators and other systems ----------------------------------------------------------
    def _list(self, function_name: str, query: dict) -> tuple[int, dict, bytes]:
        name = function_name.split(":function:")[-1].split(":")[0]
        qualifier = query.get("Qualifier", [None])[0] or (
            function_name.split(":")[7] if function_name.count(":") == 7 else "$LATEST"
        )
        try:
            version = str(self.cloud.lambda_.get_function(name, qualifier).version)
        except Exception:  # noqa: BLE001 - moto's UnknownFunctionException and friends
            return _not_found(f"Function not found: {function_name}:{qualifier}")
        wanted_name = query.get("DurableExecutionName", [None])[0]
        statuses = set(query.get("Statuses", []))
        rows = [
            e
            for e in self.service.executions.values()
            if e.function_name == name
            and e.version == version
            and self.service.readable(e)
            and (wanted_name is None or e.name == wanted_name)
            and (not statuses or e.status in statuses)
        ]
        rows.sort(key=lambda e: e.start, reverse=query.get("ReverseOrder", ["false"])[0] == "true")
        page, marker = _page([_summary(e) for e in rows], query, 1000)
        return _ok({"DurableExecutions": page, **({"NextMarker": marker} if marker else {})})

    def _history(self, execution: DurableExecution, query: dict) -> tuple[int, dict, bytes]:
        with_data = query.get("IncludeExecutionData", ["false"])[0] == "true"
        events = [_event(event, with_data) for event in execution.events]
        if query.get("ReverseOrder", ["false"])[0] == "true":
            events.reverse()
        page, marker = _page(events, query, 1000)
        return _ok({"Events": page, **({"NextMarker": marker} if marker else {})})

    def _stop(self, execution: DurableExecution, error: dict) -> tuple[int, dict, bytes]:
        if execution.done:
            return wire.error_response(
                "lambda",
                409,
                "ResourceConflictException",
                f"The durable execution has already ended ({execution.status}).",
            )
        self.service.settle(execution, "STOPPED", error=error or {"ErrorMessage": "Execution stopped"})
        return _ok({"StopTimestamp": execution.end})

    def _delete(self, execution: DurableExecution) -> tuple[int, dict, bytes]:
        if not execution.done:
            return wire.error_response(
                "lambda",
                409,
                "ResourceConflictException",
                "A running durable execution cannot be deleted: stop it first.",
            )
        del self.service.executions[execution.arn]
        return _ok({"DeletionRequestTimestamp": self.cloud.clock()}, 202)

    def _callback(
        self, operation: str, callback_id: str, body: bytes, cause: int | None
    ) -> tuple[int, dict, bytes]:
        arn = self.service.callbacks.get(callback_id)
        execution = self.service.executions.get(arn or "")
        operation_id = execution.callbacks.get(callback_id) if execution else None
        callback = execution.operations.get(operation_id) if execution and operation_id else None
        if callback is None or callback["Status"] != "STARTED" or execution.done:
            return _not_found(f"Callback {callback_id} is not active")
        if operation.endswith("Heartbeat"):
            self.service.heartbeat(execution, callback)
            return _ok({})
        if operation.endswith("Success"):
            self.service.complete_callback(
                execution, callback, "SUCCEEDED", result=body.decode("utf-8", "replace"), cause=cause
            )
        else:
            self.service.complete_callback(execution, callback, "FAILED", error=_json(body), cause=cause)
        return _ok({})


def _service_invocation(
    request_id, function_arn, version, result: str | None, error: dict | None
) -> Invocation:
    """What a service that invoked a durable function sees: the execution's result or error (its own
    invocations are in the trace, each with its logs and duration)."""
    return Invocation(
        request_id=request_id,
        function_arn=function_arn,
        executed_version=version,
        status_code=200,
        payload=(json.dumps(error) if error else (result or "null")).encode(),
        function_error="Unhandled" if error else None,
        error_type=error.get("errorType") if error else None,
        logs="",
        cold_start=False,
        duration_ms=0.0,
        billed_duration_ms=0,
        init_duration_ms=None,
        memory_size_mb=0,
        max_memory_used_mb=0,
        cost_usd=0.0,
    )


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _summary(execution: DurableExecution) -> dict:
    row = {
        "DurableExecutionArn": execution.arn,
        "DurableExecutionName": execution.name,
        "FunctionArn": execution.function_arn,
        "Status": execution.status,
        "StartTimestamp": execution.start,
    }
    if execution.end is not None:
        row["EndTimestamp"] = execution.end
    return row


def _describe(execution: DurableExecution) -> dict:
    """GetDurableExecution's answer (API_GetDurableExecution.html)."""
    answer = {
        **_summary(execution),
        "InputPayload": execution.input_payload,
        "Version": execution.version,
        "DurableConfig": {
            "ExecutionTimeout": execution.execution_timeout,
            "RetentionPeriodInDays": execution.retention_days,
        },
        "ExpectedExecutionTimeoutTimestamp": execution.start + execution.execution_timeout,
    }
    if execution.result is not None:
        answer["Result"] = execution.result
    if execution.error:
        answer["Error"] = execution.error
    return answer


def _event(event: dict, with_data: bool) -> dict:
    """A history event; without IncludeExecutionData its payloads (inputs, results, errors) are left out."""
    if with_data:
        return event
    trimmed = dict(event)
    for key, details in event.items():
        if key.endswith("Details") and isinstance(details, dict):
            trimmed[key] = {
                name: {"Truncated": value.get("Truncated", False)}
                if isinstance(value, dict) and "Payload" in value
                else value
                for name, value in details.items()
            }
    return trimmed
