"""Lambda durable functions: executions started, invoked, suspended and resumed on the simulated clock.

How Lambda runs a durable execution (https://docs.aws.amazon.com/lambda/latest/dg/durable-basic-concepts.html,
durable-invoking.html, durable-execution-sdk-retries.html), and what this module copies:

- Invoking a function created with ``DurableConfig`` starts an execution; only a qualified ARN (a version or
  an alias, which resolves to its version; or ``$LATEST``) may invoke one. ``X-Amz-Durable-Execution-Name``
  names it; the same name with the same input returns the running execution (idempotent start), with another
  input it is ``DurableExecutionAlreadyStartedException``.
- Each invocation receives the execution's ARN, a checkpoint token and its operation log, and the durable
  execution SDK in the function answers SUCCEEDED (Result), FAILED (Error) or PENDING (suspended: waits,
  callbacks, step retries or chained invokes are outstanding). No environment is held while suspended.
- When a wait ends, a step's retry falls due, a callback is answered or a chained invoke finishes, Lambda
  invokes the function again and the SDK replays the log. An invocation that fails (an error outside the SDK's
  handling, a timeout, an environment that died) is retried by the backend: here after 5 s, at most 5 times in a
  row, as AWS's local testing SDK models it (AWS does not publish its own figures).
- ``ExecutionTimeout`` bounds the whole execution (TIMED_OUT); ``RetentionPeriodInDays`` how long a finished
  execution can still be read. A synchronous invocation waits for the whole execution for at most 15 minutes
  or the function's or the execution's timeout if lower.

All of it runs on the ``Cloud``'s scheduler: a seven-day wait takes no wall time. The wire API (checkpoint,
state, list, get, history, stop, callbacks) is ``api.py``.
"""

from __future__ import annotations

import json

from labs.runtime.durable.checkpoints import payload_field
from labs.runtime.durable.completions import Completions, error_of
from labs.runtime.durable.model import TERMINAL_OPERATION, DurableExecution, execution_arn, wire_operation

__all__ = ["DurableService", "StartError", "SYNC_LIMIT_S"]

SYNC_LIMIT_S = 900  # durable-invoking.html: synchronous invocations are limited to 15 minutes
RETRY_BACKOFF_S = 5  # AWS's local testing SDK: Executor.RETRY_BACKOFF_SECONDS
MAX_FAILED_INVOCATIONS = 5  # ... Executor.MAX_CONSECUTIVE_FAILED_ATTEMPTS
DAY_S = 86_400


class StartError(Exception):
    """A start Lambda refuses: ``code`` (AWS's exception name), ``status`` and message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def _qualifier(name: str, qualifier: str | None) -> str | None:
    """The qualifier an Invoke names: its Qualifier, or the one in a qualified ARN or ``name:qualifier``."""
    if qualifier:
        return qualifier
    if name.startswith("arn:"):
        parts = name.split(":")
        return parts[7] if len(parts) == 8 else None
    return name.split(":", 1)[1] if ":" in name else None


class DurableService(Completions):
    """The durable executions of one ``Cloud``."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.executions: dict[str, DurableExecution] = {}
        self.callbacks: dict[str, str] = {}  # callback id -> execution ARN

    # -- starting -----------------------------------------------------------------------------------------
    def start(
        self, name: str, qualifier: str | None, payload: bytes, execution_name: str | None, cause: int | None
    ) -> tuple[DurableExecution, bool]:
        """Start (or, for a name already running with the same input, find) an execution of the function
        ``name`` invoked with ``qualifier``. Returns it and whether it is new. Raises ``StartError``."""
        resolved = _qualifier(name, qualifier)
        if resolved is None:
            raise StartError(
                "InvalidParameterValueException",
                400,
                "You cannot invoke a durable function using an unqualified ARN.",
            )
        base = (
            name.rsplit(":", 1)[0]
            if (name.count(":") == 7 or (":" in name and not name.startswith("arn:")))
            else name
        )
        function = self.cloud.lambda_.get_function(base, resolved)
        config = function.durable_config
        version = str(function.version)
        version_arn = f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{function.function_name}:{version}"
        text = payload.decode("utf-8") if payload else "{}"
        if execution_name is not None:
            for existing in self.executions.values():
                if existing.name == execution_name and existing.function_arn == version_arn:
                    if existing.input_payload == text:
                        return existing, False
                    raise StartError(
                        "DurableExecutionAlreadyStartedException",
                        409,
                        f"A durable execution named {execution_name} already exists with a different input.",
                    )
        execution_id = f"{self.cloud.ids.getrandbits(128):032x}"
        execution_name = execution_name or execution_id
        now = self.cloud.clock()
        arn = execution_arn(version_arn, execution_name, execution_id)
        record = self.cloud.trace.durable_execution(
            now, cause=cause, execution_arn=arn, name=execution_name, function_arn=version_arn
        )
        execution = DurableExecution(
            arn=arn,
            name=execution_name,
            function_name=function.function_name,
            version=version,
            function_arn=version_arn,
            input_payload=text,
            start=now,
            execution_timeout=int(config.get("ExecutionTimeout", DAY_S)),
            retention_days=int(config.get("RetentionPeriodInDays", 14)),
            trace_record=record,
        )
        operation = {
            "Id": execution_id,  # the SDK finds the EXECUTION operation by the last part of the ARN
            "Type": "EXECUTION",
            "Status": "STARTED",
            "StartTimestamp": now,
            "ExecutionDetails": {"InputPayload": text},
        }
        execution.operations[operation["Id"]] = operation
        execution.add_event(
            now,
            "ExecutionStarted",
            operation,
            Input=payload_field(text),
            ExecutionTimeout=execution.execution_timeout,
        )
        self.executions[arn] = execution
        execution.timeout_handle = self.cloud.scheduler.call_later(
            execution.execution_timeout,
            lambda: self._time_out(execution),
            f"durable timeout {execution_name}",
        )
        return execution, True

    def run_async(self, execution: DurableExecution) -> None:
        """Queue the first invocation (an asynchronous start)."""
        self.cloud.scheduler.call_later(
            0, lambda: self._invoke(execution, execution.trace_record["seq"]), "durable start"
        )

    def run_sync(self, execution: DurableExecution, function_timeout_s: float) -> None:
        """Invoke now and follow the execution on the simulated clock until it ends or the synchronous limit
        (15 minutes, or the function's or execution's timeout if lower) has passed (for a caller outside the
        simulation: a grader or the CLI)."""
        limit = min(SYNC_LIMIT_S, function_timeout_s, execution.execution_timeout)
        deadline = self.cloud.clock() + limit
        self._invoke(execution, execution.trace_record["seq"])
        if self.cloud.scheduler.running:
            # Called from inside the simulation (an event source, a service, a handler while the account runs):
            # the scheduler cannot run nested without re-entering the pollers, so a caller that would wait on a
            # suspended execution is answered at once (``api.SUSPENDED_MESSAGE``); the execution goes on.
            return
        self.cloud.scheduler.run_while(lambda: not execution.done, until=deadline)

    # -- one invocation -----------------------------------------------------------------------------------
    def new_token(self, execution: DurableExecution) -> str:
        execution.token_serial += 1
        return f"{execution.invocation}.{execution.token_serial}.{self.cloud.ids.getrandbits(64):016x}"

    def token_is_current(self, execution: DurableExecution, token: str) -> bool:
        """A checkpoint token belongs to the invocation now running (a token of an earlier invocation, say
        of an environment that was replaced, is refused)."""
        return execution.running and token.split(".", 1)[0] == str(execution.invocation)

    def _invoke(self, execution: DurableExecution, cause: int | None) -> None:
        if execution.done or execution.running:
            return
        execution.wake_handle = None
        execution.invocation += 1
        execution.running = True
        execution.changed.clear()
        operations = list(execution.operations.values())
        replayed = sum(op["Status"] in TERMINAL_OPERATION for op in operations if op["Type"] != "EXECUTION")
        record = self.cloud.trace.durable_invocation(
            self.cloud.clock(),
            cause=cause,
            execution_arn=execution.arn,
            replay=len(operations) > 1,
            replayed=replayed,
        )
        payload = {
            "DurableExecutionArn": execution.arn,
            "CheckpointToken": self.new_token(execution),
            "InitialExecutionState": {
                "Operations": [wire_operation(op, millis=True) for op in operations],
                "NextMarker": "",
            },
        }
        started = self.cloud.clock()
        execution.interrupted = False
        try:
            result = self.cloud.lambda_.invoke(
                execution.function_name,
                json.dumps(payload).encode(),
                qualifier=execution.version,
                cause=record["seq"],
                durable=True,
            )
        finally:
            execution.running = False
        error = None if not result.function_error else error_of(result.payload)
        execution.add_event(
            self.cloud.clock(),
            "InvocationCompleted",
            StartTimestamp=started,
            EndTimestamp=self.cloud.clock(),
            RequestId=result.request_id,
            **({"Error": {"Payload": error, "Truncated": False}} if error else {}),
        )
        record["outcome"] = self._conclude(execution, result, error, record["seq"])

    def _conclude(self, execution: DurableExecution, result, error: dict | None, cause: int) -> str:
        """Act on what an invocation answered; returns the word the trace shows."""
        if execution.done:
            return execution.status.lower()  # ended by an EXECUTION checkpoint, a stop or the timeout
        if error is not None:
            outcome = "interrupted" if execution.interrupted else "error"
            execution.failed_attempts += 1
            if execution.failed_attempts >= MAX_FAILED_INVOCATIONS:
                self.settle(execution, "FAILED", error=error)
            else:
                self._schedule_invoke(
                    execution, RETRY_BACKOFF_S, cause, "the last invocation failed: retried"
                )
            return outcome
        try:
            output = json.loads(result.payload or b"{}")
        except ValueError:
            output = {}
        status = output.get("Status") if isinstance(output, dict) else None
        if status == "SUCCEEDED":
            self.settle(execution, "SUCCEEDED", result=output.get("Result"))
        elif status == "FAILED":
            self.settle(execution, "FAILED", error=output.get("Error") or {"ErrorType": "UnknownError"})
        elif status == "PENDING" and (execution.has_pending() or execution.changed):
            execution.failed_attempts = 0
            self._suspend(execution, cause)
            return "pending"
        else:
            message = (
                "Cannot return PENDING status with no pending operations."
                if status == "PENDING"
                else f"The function returned {str(output)[:200]!r}, not a durable execution result: is the "
                "handler decorated with @durable_execution?"
            )
            self.settle(
                execution, "FAILED", error={"ErrorType": "InvalidInvocationOutput", "ErrorMessage": message}
            )
        return execution.status.lower()

    def _suspend(self, execution: DurableExecution, cause: int) -> None:
        """After PENDING: invoke again at once if something changed meanwhile, else when a wait or retry is due
        (callbacks and chained invokes wake it themselves)."""
        if execution.changed or any(
            op["Type"] == "STEP" and op["Status"] == "READY" for op in execution.operations.values()
        ):
            self._schedule_invoke(execution, 0, cause, "an operation completed while the function ran")
            return
        when = execution.pending_wakeup()
        if when is not None:
            execution.wake_handle = self.cloud.scheduler.call_at(
                when, lambda: self._wake(execution, cause), f"durable wake {execution.name}"
            )

    def _schedule_invoke(self, execution: DurableExecution, delay: float, cause: int, reason: str) -> None:
        def run() -> None:
            if execution.done or execution.running:
                return
            record = self.cloud.trace.durable_resumed(
                self.cloud.clock(), cause=cause, execution_arn=execution.arn, reason=reason
            )
            self._invoke(execution, record["seq"])

        execution.wake_handle = self.cloud.scheduler.call_later(
            delay, run, f"durable invoke {execution.name}"
        )

    def _wake(self, execution: DurableExecution, cause: int) -> None:
        """Waits that have ended succeed, steps whose retry is due become READY; then invoke again."""
        if execution.done:
            return
        now, reasons = self.cloud.clock(), []
        for operation in execution.operations.values():
            if operation["Type"] == "WAIT" and operation["Status"] == "STARTED":
                if operation["WaitDetails"]["ScheduledEndTimestamp"] <= now:
                    operation.update(Status="SUCCEEDED", EndTimestamp=now)
                    duration = round(now - operation["StartTimestamp"])
                    execution.add_event(now, "WaitSucceeded", operation, Duration=duration)
                    self._note(execution, operation, "SUCCEED", cause)
                    reasons.append(f"wait {operation.get('Name') or operation['Id']} ended")
            elif (
                operation["Type"] == "STEP"
                and operation["Status"] == "PENDING"
                and operation["StepDetails"]["NextAttemptTimestamp"] <= now
            ):
                operation["Status"] = "READY"
                reasons.append(f"retry of step {operation.get('Name') or operation['Id']} due")
        if reasons:
            self._schedule_invoke(execution, 0, cause, "; ".join(reasons))
        else:
            self._suspend(execution, cause)

    def resume(self, execution: DurableExecution, operation: dict, action: str, reason: str, cause) -> None:
        """An operation the service completed (callback answered or timed out, chained invoke finished): the
        SDK sees it in its next checkpoint answer if the function runs, else Lambda invokes it again."""
        execution.changed.add(operation["Id"])
        self._note(execution, operation, action, cause)
        if not execution.running and not execution.done:
            if execution.wake_handle is not None:
                self.cloud.scheduler.cancel(execution.wake_handle)
            self._schedule_invoke(execution, 0, cause, reason)

    def _note(self, execution: DurableExecution, operation: dict, action: str, cause, status=None) -> None:
        self.cloud.trace.durable_operation(
            self.cloud.clock(),
            cause=cause,
            execution_arn=execution.arn,
            operation_id=operation["Id"],
            type=operation["Type"],
            action=action,
            status=status or operation["Status"],
            name=operation.get("Name"),
            sub_type=operation.get("SubType"),
        )

    # -- ending -------------------------------------------------------------------------------------------
    def settle(self, execution: DurableExecution, status: str, result: str | None = None, error=None) -> None:
        """End the execution with ``status``: its EXECUTION operation, its history event and its trace record."""
        if execution.done:
            return
        now = self.cloud.clock()
        execution.status, execution.end = status, now
        execution.result = result if status == "SUCCEEDED" else None
        execution.error = error if status != "SUCCEEDED" else None
        for handle in (execution.wake_handle, execution.timeout_handle):
            if handle is not None:
                self.cloud.scheduler.cancel(handle)
        head = next(op for op in execution.operations.values() if op["Type"] == "EXECUTION")
        head.update(Status=status, EndTimestamp=now)
        event = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed"}.get(status)
        event = event or {"TIMED_OUT": "ExecutionTimedOut", "STOPPED": "ExecutionStopped"}[status]
        details = {"Result": payload_field(result)} if status == "SUCCEEDED" else {}
        if error:
            details["Error"] = {"Payload": error, "Truncated": False}
        execution.add_event(now, event, head, **details)
        execution.trace_record["status"] = status
        if error:
            execution.trace_record["error"] = str(error.get("ErrorType") or error.get("ErrorMessage"))
        for operation in execution.operations.values():
            if operation["Type"] == "CALLBACK" and operation["Status"] == "STARTED":
                self.callbacks.pop(operation["CallbackDetails"]["CallbackId"], None)
                for timer in (operation["_callback_options"].get(key) for key in ("_timer", "_deadline")):
                    if timer is not None:
                        self.cloud.scheduler.cancel(timer)

    def _time_out(self, execution: DurableExecution) -> None:
        message = f"The durable execution did not finish within its ExecutionTimeout of {execution.execution_timeout} s."
        self.settle(execution, "TIMED_OUT", error={"ErrorMessage": message})

    def readable(self, execution: DurableExecution) -> bool:
        """Whether a finished execution is still within its retention period."""
        return execution.end is None or self.cloud.clock() <= execution.end + execution.retention_days * DAY_S
