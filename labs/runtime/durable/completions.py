"""What the durable service completes itself, outside checkpoints: callbacks answered (SendDurableExecution
Callback Success / Failure), heartbeats and timeouts (CallbackOptions.TimeoutSeconds and
HeartbeatTimeoutSeconds: 0 means none), and chained invokes (``context.invoke``: Lambda invokes the target and
records its result or error on the CHAINED_INVOKE operation). Each resumes a suspended execution
(``DurableService.resume``). Timeout messages are those of AWS's local testing SDK.
"""

from __future__ import annotations

import json

from labs.runtime.durable.checkpoints import payload_field
from labs.runtime.durable.model import DurableExecution

__all__ = ["Completions", "error_of"]


class Completions:
    """Mixed into ``DurableService`` (it provides ``cloud``, ``callbacks``, ``resume`` and ``_note``)."""

    def note_update(
        self, execution: DurableExecution, operation: dict, action: str, status: str, cause
    ) -> None:
        """Trace a checkpointed update; a new callback with a timeout gets its timers."""
        self._note(execution, operation, action, cause, status)
        if operation["Type"] == "CALLBACK" and action == "START":
            self._arm_callback_timers(execution, operation)

    def _arm_callback_timers(self, execution: DurableExecution, operation: dict) -> None:
        options = operation["_callback_options"]
        if options["Timeout"]:
            options["_deadline"] = self.cloud.scheduler.call_later(
                options["Timeout"],
                lambda: self._callback_timed_out(execution, operation, "Callback timed out"),
            )
        if options["HeartbeatTimeout"]:
            self.heartbeat(execution, operation)

    def heartbeat(self, execution: DurableExecution, operation: dict) -> None:
        """A heartbeat restarts the callback's heartbeat timeout."""
        options = operation["_callback_options"]
        if not options["HeartbeatTimeout"]:
            return
        if options.get("_timer") is not None:
            self.cloud.scheduler.cancel(options["_timer"])
        options["_timer"] = self.cloud.scheduler.call_later(
            options["HeartbeatTimeout"],
            lambda: self._callback_timed_out(execution, operation, "Callback timed out on heartbeat"),
        )

    def _callback_timed_out(self, execution: DurableExecution, operation: dict, message: str) -> None:
        if operation["Status"] != "STARTED" or execution.done:
            return
        now = self.cloud.clock()
        error = {"ErrorType": "CallbackTimeout", "ErrorMessage": message}
        operation.update(Status="TIMED_OUT", EndTimestamp=now)
        operation["CallbackDetails"]["Error"] = error
        self.callbacks.pop(operation["CallbackDetails"]["CallbackId"], None)
        execution.add_event(now, "CallbackTimedOut", operation, Error={"Payload": error, "Truncated": False})
        self.resume(
            execution,
            operation,
            "TIME_OUT",
            f"callback {operation.get('Name') or operation['Id']} timed out",
            None,
        )

    def complete_callback(
        self, execution, operation, status: str, *, result=None, error=None, cause=None
    ) -> None:
        """SendDurableExecutionCallbackSuccess / Failure: the callback ends and the execution is resumed."""
        now = self.cloud.clock()
        operation.update(Status=status, EndTimestamp=now)
        details = operation["CallbackDetails"]
        for timer in (
            operation["_callback_options"].get("_timer"),
            operation["_callback_options"].get("_deadline"),
        ):
            if timer is not None:
                self.cloud.scheduler.cancel(timer)
        self.callbacks.pop(details["CallbackId"], None)
        if status == "SUCCEEDED":
            details["Result"] = result
            execution.add_event(now, "CallbackSucceeded", operation, Result=payload_field(result))
        else:
            details["Error"] = error or {}
            execution.add_event(
                now, "CallbackFailed", operation, Error={"Payload": error or {}, "Truncated": False}
            )
        name = operation.get("Name") or operation["Id"]
        self.resume(
            execution,
            operation,
            "SUCCEED" if status == "SUCCEEDED" else "FAIL",
            f"callback {name} answered",
            cause,
        )

    def chained_invoke(self, execution: DurableExecution, operation: dict, cause) -> None:
        """A CHAINED_INVOKE started: Lambda invokes the target (once the checkpoint is answered) and completes
        the operation with its result or error."""

        def run() -> None:
            target = operation["_invoke"]
            name = target["FunctionName"]
            try:
                result = self.cloud.lambda_.invoke(
                    name.rsplit(":", 1)[0] if name.count(":") in (1, 7) else name,
                    (target.get("Input") or "null").encode(),
                    qualifier=name.rsplit(":", 1)[1] if name.count(":") in (1, 7) else None,
                    cause=cause,
                )
            except Exception as error:  # noqa: BLE001 - moto's UnknownFunctionException: the operation fails
                self._finish_invoke(
                    execution,
                    operation,
                    None,
                    {"ErrorType": "ResourceNotFoundException", "ErrorMessage": str(error)},
                    cause,
                )
                return
            if result.function_error:
                self._finish_invoke(execution, operation, None, error_of(result.payload), cause)
            else:
                self._finish_invoke(
                    execution, operation, result.payload.decode("utf-8", "replace"), None, cause
                )

        self.cloud.scheduler.call_later(0, run, f"durable chained invoke {operation.get('Name') or ''}")

    def _finish_invoke(self, execution, operation, result: str | None, error: dict | None, cause) -> None:
        if execution.done:
            return
        now = self.cloud.clock()
        status = "FAILED" if error else "SUCCEEDED"
        operation.update(Status=status, EndTimestamp=now)
        if error:
            operation["ChainedInvokeDetails"]["Error"] = error
            execution.add_event(
                now, "ChainedInvokeFailed", operation, Error={"Payload": error, "Truncated": False}
            )
        else:
            operation["ChainedInvokeDetails"]["Result"] = result
            execution.add_event(now, "ChainedInvokeSucceeded", operation, Result=payload_field(result))
        name = operation.get("Name") or operation["Id"]
        self.resume(
            execution, operation, "SUCCEED" if not error else "FAIL", f"chained invoke {name} finished", cause
        )


def error_of(payload: bytes) -> dict:
    """The ErrorObject of a failed invocation's payload (errorType / errorMessage / stackTrace)."""
    try:
        body = json.loads(payload or b"{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error = {
        "ErrorType": str(body.get("errorType") or "Unhandled"),
        "ErrorMessage": str(body.get("errorMessage") or ""),
    }
    if isinstance(body.get("stackTrace"), list):
        error["StackTrace"] = [str(line) for line in body["stackTrace"]][:50]
    return error
