"""One durable execution as Lambda keeps it: its operation log, its history and its status.

A durable execution is a sub-resource of a function version; its ARN extends the version's ARN
(https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html):
``arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER/durable-execution/EXECUTION_NAME/EXECUTION_ID``,
the qualifier always ``$LATEST`` or a version number (an alias resolves to its version).

Operations are kept in the shape of the API's ``Operation`` (API_Operation.html: Id, ParentId, Name, Type,
SubType, Status, StartTimestamp, EndTimestamp and one ``...Details`` structure per type), with timestamps as
epoch seconds; ``wire_operation`` gives them to boto3 (seconds) or to the SDK's invocation input
(milliseconds, as ``Operation.from_json_dict`` reads them).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

__all__ = ["DurableExecution", "TERMINAL_OPERATION", "TERMINAL_EXECUTION", "execution_arn", "wire_operation"]

# Operation statuses that end an operation, and execution statuses that end an execution (API reference).
TERMINAL_OPERATION = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"}
TERMINAL_EXECUTION = {"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"}
_TIMESTAMP_DETAILS = {"StepDetails": "NextAttemptTimestamp", "WaitDetails": "ScheduledEndTimestamp"}


def execution_arn(version_arn: str, name: str, execution_id: str) -> str:
    return f"{version_arn}/durable-execution/{name}/{execution_id}"


@dataclass
class DurableExecution:
    """What the service keeps of one execution. ``operations`` is ordered by first checkpoint."""

    arn: str
    name: str
    function_name: str
    version: str  # "$LATEST" or a version number
    function_arn: str  # the qualified ARN the execution runs (version, never alias)
    input_payload: str
    start: float
    execution_timeout: int  # seconds (DurableConfig.ExecutionTimeout)
    retention_days: int  # DurableConfig.RetentionPeriodInDays
    trace_record: dict  # the `durable_execution` trace record, updated when the execution ends
    status: str = "RUNNING"
    result: str | None = None
    error: dict | None = None
    end: float | None = None
    operations: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    callbacks: dict[str, str] = field(default_factory=dict)  # callback id -> operation id
    invocation: int = 0  # number of the invocation now running (or last run)
    running: bool = False
    token_serial: int = 0
    changed: set[str] = field(
        default_factory=set
    )  # operations changed by the service since the last checkpoint
    failed_attempts: int = 0  # consecutive invocations that ended in an error (the backend retries those)
    wake_handle: object = None  # the scheduler entry of the next wake-up, if any
    timeout_handle: object = None  # the scheduler entry of the ExecutionTimeout
    interrupted: bool = False  # an injected fault killed the environment of the current invocation

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_EXECUTION

    def add_event(self, now: float, event_type: str, operation: dict | None = None, **details) -> dict:
        """Append one history event (API_Event.html): EventType, EventId (1, 2, ...), EventTimestamp, the
        operation's Id / Name / ParentId / SubType, and one ``<EventType>Details`` structure."""
        event: dict = {"EventType": event_type, "EventId": len(self.events) + 1, "EventTimestamp": now}
        if operation is not None:
            for key in ("Id", "Name", "ParentId", "SubType"):
                if operation.get(key):
                    event[key] = operation[key]
        event[f"{event_type}Details"] = details
        self.events.append(event)
        return event

    def pending_wakeup(self) -> float | None:
        """The earliest time at which a suspended operation becomes ready: a wait's end or a step's next
        attempt; None when only callbacks or chained invokes (woken by their own completion) are left."""
        times = []
        for operation in self.operations.values():
            if operation["Type"] == "WAIT" and operation["Status"] == "STARTED":
                times.append(operation["WaitDetails"]["ScheduledEndTimestamp"])
            elif operation["Type"] == "STEP" and operation["Status"] == "PENDING":
                times.append(operation["StepDetails"]["NextAttemptTimestamp"])
        return min(times) if times else None

    def has_pending(self) -> bool:
        """Whether anything can still wake the execution (the SDK may only return PENDING then)."""
        return any(
            (op["Type"] in ("WAIT", "CALLBACK", "CHAINED_INVOKE") and op["Status"] == "STARTED")
            or (op["Type"] == "STEP" and op["Status"] in ("PENDING", "READY"))
            for op in self.operations.values()
        )


def wire_operation(operation: dict, millis: bool = False) -> dict:
    """An operation as the API returns it: timestamps as epoch seconds for boto3, or as epoch milliseconds
    for the invocation input the SDK reads with ``Operation.from_json_dict``."""
    # keys starting with "_" are the service's own notes (a callback's timeouts, an invoke's target)
    result = {key: copy.deepcopy(value) for key, value in operation.items() if not key.startswith("_")}
    if not millis:
        return result
    for key in ("StartTimestamp", "EndTimestamp"):
        if result.get(key) is not None:
            result[key] = int(round(result[key] * 1000))
    for details, key in _TIMESTAMP_DETAILS.items():
        if result.get(details, {}).get(key) is not None:
            result[details][key] = int(round(result[details][key] * 1000))
    return result
