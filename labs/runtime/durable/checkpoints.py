"""CheckpointDurableExecution's updates applied to an execution's operation log, as the service does.

Each ``OperationUpdate`` (API_OperationUpdate.html: Id, ParentId, Name, Type, SubType, Action, Payload, Error,
and the options of its type) is checked against the operation it changes, then turns it into its next status
and adds its history event (API_Event.html). The checks and their messages are those of AWS's local testing
SDK (aws-durable-execution-sdk-python-testing, checkpoint/validators), the reference this runtime is compared
with: a STEP starts only when new or READY and closes only when STARTED or READY; a WAIT or CALLBACK starts
once; a FAIL carries no Payload and a SUCCEED no Error; at most one EXECUTION update, and it comes last.

What happens later (a wait's end, a retry falling due, a callback answered) is the service's, in ``service``.
"""

from __future__ import annotations

from labs.runtime.durable.model import TERMINAL_OPERATION, DurableExecution

__all__ = ["CheckpointError", "apply_updates", "payload_field"]

MAX_WAIT_SECONDS = 31_622_400  # WaitOptions.WaitSeconds: 1 to 31,622,400 (366 days)
_TYPES = {"EXECUTION", "CONTEXT", "STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE"}
_ACTIONS = {"START", "SUCCEED", "FAIL", "RETRY", "CANCEL"}


class CheckpointError(Exception):
    """A checkpoint the service refuses: ``InvalidParameterValueException`` with this message."""


def payload_field(text: str | None) -> dict:
    """An event's ``{Payload, Truncated}`` structure."""
    return {"Payload": text, "Truncated": False} if text is not None else {}


def apply_updates(
    execution: DurableExecution, updates: list, now: float, new_callback_id
) -> list[tuple[str, dict, str]]:
    """Check every update first (a refused checkpoint changes nothing), then apply them in order; returns
    (action, operation, status it left) for each. ``new_callback_id()`` names a callback a CALLBACK START creates."""
    _check_list(execution, updates)
    applied = []
    for update in updates:
        operation = _apply(execution, update, now, new_callback_id)
        if operation is not None:
            applied.append((update["Action"], operation, operation["Status"]))
    return applied


def _check_list(execution: DurableExecution, updates: list) -> None:
    if not isinstance(updates, list):
        raise CheckpointError("Updates must be a list.")
    kinds = [u.get("Type") if isinstance(u, dict) else None for u in updates]
    if kinds.count("EXECUTION") > 1:
        raise CheckpointError("Cannot checkpoint multiple EXECUTION updates.")
    if "EXECUTION" in kinds and kinds[-1] != "EXECUTION":
        raise CheckpointError("EXECUTION checkpoint must be the last update.")
    seen: set[str] = set()
    for update in updates:
        if not isinstance(update, dict) or not isinstance(update.get("Id"), str) or not update["Id"]:
            raise CheckpointError("Each update needs an Id.")
        if update.get("Type") not in _TYPES:
            raise CheckpointError("Unknown operation type.")
        if update.get("Action") not in _ACTIONS:
            raise CheckpointError("Invalid action for the given operation type.")
        current = execution.operations.get(update["Id"])
        if current is not None:
            _check_consistent(current, update)
        parent = update.get("ParentId")
        if parent and parent not in execution.operations and parent not in seen:
            raise CheckpointError("Invalid parent operation id.")
        _check_transition(current, update)
        seen.add(update["Id"])


def _check_consistent(current: dict, update: dict) -> None:
    if current["Type"] != update["Type"]:
        raise CheckpointError("Inconsistent operation type.")
    if update.get("SubType") and current.get("SubType") and update["SubType"] != current["SubType"]:
        raise CheckpointError("Inconsistent operation subtype.")
    if update.get("Name") and current.get("Name") and update["Name"] != current["Name"]:
        raise CheckpointError("Inconsistent operation name.")
    if update.get("ParentId") and current.get("ParentId") and update["ParentId"] != current["ParentId"]:
        raise CheckpointError("Inconsistent parent operation id.")


def _check_transition(current: dict | None, update: dict) -> None:  # noqa: C901 - one table of AWS's rules
    kind, action = update["Type"], update["Action"]
    status = current["Status"] if current else None
    if action == "FAIL" and update.get("Payload") is not None:
        raise CheckpointError("Cannot provide a Payload for FAIL action.")
    if action == "SUCCEED" and update.get("Error") is not None:
        raise CheckpointError("Cannot provide an Error for SUCCEED action.")
    if kind == "STEP":
        if action == "START" and current is not None and status != "READY":
            raise CheckpointError("Invalid current STEP state to start.")
        if action in ("SUCCEED", "FAIL") and current is not None and status not in ("STARTED", "READY"):
            raise CheckpointError("Invalid current STEP state to close.")
        if action == "RETRY":
            if current is not None and status not in ("STARTED", "READY"):
                raise CheckpointError("Invalid current STEP state to re-attempt.")
            if not isinstance(update.get("StepOptions"), dict):
                raise CheckpointError("Invalid StepOptions for the given action.")
        if action == "CANCEL":
            raise CheckpointError("Invalid STEP action.")
    elif kind == "WAIT":
        if action == "START" and current is not None:
            raise CheckpointError("Cannot start a WAIT that already exist.")
        if action == "CANCEL" and status != "STARTED":
            raise CheckpointError("Cannot cancel a WAIT that does not exist or has already completed.")
        if action not in ("START", "CANCEL"):
            raise CheckpointError("Invalid WAIT action.")
        seconds = (update.get("WaitOptions") or {}).get("WaitSeconds", 1)
        if action == "START" and (not isinstance(seconds, int) or not 1 <= seconds <= MAX_WAIT_SECONDS):
            raise CheckpointError(f"WaitSeconds must be between 1 and {MAX_WAIT_SECONDS}.")
    elif kind == "CALLBACK":
        if action != "START":
            raise CheckpointError("Invalid action for CALLBACK operation.")
        if current is not None:
            raise CheckpointError("Cannot start a CALLBACK that already exist.")
    elif kind == "CONTEXT":
        if action == "START" and current is not None:
            raise CheckpointError("Cannot start a CONTEXT that already exist.")
        if action in ("SUCCEED", "FAIL") and current is not None and status != "STARTED":
            raise CheckpointError("Invalid current CONTEXT state to close.")
        if action not in ("START", "SUCCEED", "FAIL"):
            raise CheckpointError("Invalid CONTEXT action.")
    elif kind == "CHAINED_INVOKE":
        if action != "START":
            raise CheckpointError("Invalid action for CHAINED_INVOKE operation.")
        if current is not None:
            raise CheckpointError("Cannot start a CHAINED_INVOKE that already exist.")
        if not (update.get("ChainedInvokeOptions") or {}).get("FunctionName"):
            raise CheckpointError("ChainedInvokeOptions.FunctionName is required to start a CHAINED_INVOKE.")
    elif kind == "EXECUTION" and action not in ("SUCCEED", "FAIL"):
        raise CheckpointError("Invalid EXECUTION action.")


def _new_operation(update: dict, now: float) -> dict:
    operation = {"Id": update["Id"], "Type": update["Type"], "StartTimestamp": now}
    for key in ("ParentId", "Name", "SubType"):
        if update.get(key):
            operation[key] = update[key]
    return operation


def _apply(execution: DurableExecution, update: dict, now: float, new_callback_id) -> dict | None:
    kind = update["Type"]
    if kind == "EXECUTION":
        return None  # the end of the execution itself: the service settles it (``service._settle``)
    operation = execution.operations.get(update["Id"])
    if operation is None:
        operation = execution.operations[update["Id"]] = _new_operation(update, now)
    handler = {"STEP": _step, "WAIT": _wait, "CALLBACK": _callback, "CONTEXT": _context}.get(kind, _invoke)
    handler(execution, operation, update, now, new_callback_id)
    if operation["Status"] in TERMINAL_OPERATION:
        operation.setdefault("EndTimestamp", now)
    return operation


def _error_details(update: dict) -> dict:
    return {"Error": {"Payload": update["Error"], "Truncated": False}} if update.get("Error") else {}


def _step(execution, operation, update, now, _new_callback_id) -> None:
    details = operation.setdefault("StepDetails", {"Attempt": 0})
    action = update["Action"]
    if action == "START":
        operation["Status"] = "STARTED"
        details.pop("NextAttemptTimestamp", None)
        execution.add_event(now, "StepStarted", operation)
        return
    details["Attempt"] = details.get("Attempt", 0) + 1
    retry = {"CurrentAttempt": details["Attempt"]}
    if action == "RETRY":
        delay = int((update.get("StepOptions") or {}).get("NextAttemptDelaySeconds", 0))
        operation["Status"] = "PENDING"
        details["NextAttemptTimestamp"] = now + delay
        details.pop("Result", None)
        if update.get("Error"):
            details["Error"] = update["Error"]
        elif update.get("Payload") is not None:
            details["Result"] = update["Payload"]  # a wait-for-condition's state between checks
        retry["NextAttemptDelaySeconds"] = delay
        execution.add_event(now, "StepFailed", operation, **_error_details(update), RetryDetails=retry)
    elif action == "SUCCEED":
        operation["Status"] = "SUCCEEDED"
        details.pop("NextAttemptTimestamp", None)
        if update.get("Payload") is not None:
            details["Result"] = update["Payload"]
        execution.add_event(
            now, "StepSucceeded", operation, Result=payload_field(update.get("Payload")), RetryDetails=retry
        )
    else:
        operation["Status"] = "FAILED"
        details.pop("NextAttemptTimestamp", None)
        if update.get("Error"):
            details["Error"] = update["Error"]
        execution.add_event(now, "StepFailed", operation, **_error_details(update), RetryDetails=retry)


def _wait(execution, operation, update, now, _new_callback_id) -> None:
    if update["Action"] == "CANCEL":
        operation["Status"] = "CANCELLED"
        execution.add_event(now, "WaitCancelled", operation, **_error_details(update))
        return
    seconds = int((update.get("WaitOptions") or {}).get("WaitSeconds", 1))
    operation["Status"] = "STARTED"
    operation["WaitDetails"] = {"ScheduledEndTimestamp": now + seconds}
    execution.add_event(now, "WaitStarted", operation, Duration=seconds, ScheduledEndTimestamp=now + seconds)


def _callback(execution, operation, update, now, new_callback_id) -> None:
    options = update.get("CallbackOptions") or {}
    callback_id = new_callback_id()
    operation["Status"] = "STARTED"
    operation["CallbackDetails"] = {"CallbackId": callback_id}
    operation["_callback_options"] = {
        "Timeout": int(options.get("TimeoutSeconds", 0) or 0),
        "HeartbeatTimeout": int(options.get("HeartbeatTimeoutSeconds", 0) or 0),
    }
    execution.callbacks[callback_id] = operation["Id"]
    execution.add_event(
        now, "CallbackStarted", operation, CallbackId=callback_id, **operation["_callback_options"]
    )


def _context(execution, operation, update, now, _new_callback_id) -> None:
    action = update["Action"]
    if action == "START":
        operation["Status"] = "STARTED"
        execution.add_event(now, "ContextStarted", operation)
        return
    details: dict = {}
    if update.get("Payload") is not None:
        details["Result"] = update["Payload"]
    if update.get("Error"):
        details["Error"] = update["Error"]
    if (update.get("ContextOptions") or {}).get("ReplayChildren"):
        details["ReplayChildren"] = True
    operation["ContextDetails"] = details
    if action == "SUCCEED":
        operation["Status"] = "SUCCEEDED"
        execution.add_event(now, "ContextSucceeded", operation, Result=payload_field(update.get("Payload")))
    else:
        operation["Status"] = "FAILED"
        execution.add_event(now, "ContextFailed", operation, **_error_details(update))


def _invoke(execution, operation, update, now, _new_callback_id) -> None:
    options = update["ChainedInvokeOptions"]
    operation["Status"] = "STARTED"
    operation["ChainedInvokeDetails"] = {}
    operation["_invoke"] = {"FunctionName": options["FunctionName"], "Input": update.get("Payload")}
    if options.get("TenantId"):
        operation["_invoke"]["TenantId"] = options["TenantId"]
    execution.add_event(
        now,
        "ChainedInvokeStarted",
        operation,
        FunctionName=options["FunctionName"],
        Input=payload_field(update.get("Payload")),
    )
