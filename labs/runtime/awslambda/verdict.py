"""What one invocation's outcome means, as Lambda reports it: a pure function of what the host observed.

``verdict(observed)`` turns what came back from an execution environment (or the injected fault that ran
instead, or the init phase's failure) into the answer Lambda gives: the response payload, the error type,
the ``Status`` of the REPORT log line, and whether the environment stays warm. Nothing here touches an
environment, a clock or the trace; ``lambda_service.py`` observes, and applies the verdict.

The seven outcomes and their shapes follow AWS's documentation: success; function error (the handler
raised: ``Unhandled`` with the handler's error object); timeout (``Sandbox.Timedout``, "Task timed out after
N seconds", the environment discarded); out of memory (``Runtime.OutOfMemory``, "signal: killed"); init
error (the error of the init phase, or ``Runtime.ExitError`` when the runtime never reported);
sandbox crash (``Runtime.ExitError`` with the exit status or signal); throttled (an injected throttle:
``TooManyRequestsException``). https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html, .../lambda-runtime-environment.html.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from labs.runtime.awslambda.invocation import error_payload

__all__ = ["SYNC_PAYLOAD_LIMIT", "InitVerdict", "Observed", "Verdict", "crashed", "init_verdict", "verdict"]

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB request and response, synchronous
_STACK_TRACE_LINES = 100  # what is kept of a handler's stack trace


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 3x to make, on every invocation; never changed
class Observed:
    """What the host observed of one invocation, as plain data. ``kind``, ``frame`` and ``exit`` are those of
    ``sandbox.Outcome``: ``kind`` is "frame" (the runtime answered ``frame``), "timeout", "exited" (the
    process ended; ``exit`` says how: ``code``, ``signal``, ``max_rss_kb``) or "protocol_error". ``fault``
    is an injected fault that ran instead of the code; ``init_error`` Lambda's error object when the init
    phase failed (see ``init_verdict``). ``now_s``: the simulated clock, for the timeout's log line."""

    request_id: str
    memory_mb: int
    timeout_s: float
    kind: str = "frame"
    frame: dict = field(default_factory=dict)
    exit: dict = field(default_factory=dict)
    duration_ms: float = 0.0
    now_s: float = 0.0
    fault: dict | None = None
    init_error: dict | None = None


@dataclass(slots=True)  # made on every invocation, never changed (see Observed)
class Verdict:
    """Lambda's answer to one invocation. ``outcome`` names the case (success, function_error, timeout,
    out_of_memory, init_error, crash, throttled, response_too_large); ``status`` is the REPORT line's
    ``Status`` (None when the line has none); ``log_note`` is a line the platform adds to the logs."""

    outcome: str
    payload: bytes
    error_type: str | None = None
    status: str | None = None
    keep_environment: bool = False
    duration_ms: float = 0.0
    max_rss_kb: int = 0
    log_note: str = ""

    @property
    def function_error(self) -> str | None:
        """The ``X-Amz-Function-Error`` header: every error Lambda reports for an invocation is Unhandled."""
        return "Unhandled" if self.error_type else None


@dataclass(frozen=True)
class InitVerdict:
    """How an environment's init phase ended: ``error`` (Lambda's error object) when the function cannot
    run, ``init_ms`` (the Init Duration), and ``environment_failed`` when the runtime never reported."""

    error: dict | None
    init_ms: float
    environment_failed: bool


def init_verdict(
    request_id: str, kind: str, frame: dict | None, measured_ms: float, limit_s: float
) -> InitVerdict:
    """The init phase's verdict from its outcome (``kind`` and ``frame`` as in ``Observed``): the runtime's
    ``init`` frame, with or without the error its module raised, or no frame at all (it exited, hung past
    ``limit_s`` or broke the protocol). The Init Duration is ``measured_ms``, what the host measured from
    the spawn request to the end of the init phase, whatever the frame says."""
    frame = frame if kind == "frame" else None
    if frame is None or frame.get("type") != "init":
        error = {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited without providing a reason",
        }
        if kind == "timeout":
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {limit_s:.2f} seconds",
            }
        return InitVerdict(error=error, init_ms=measured_ms, environment_failed=True)
    # The Init Duration is always the host's measurement: anything in the frame could come from the handler.
    if not frame.get("error"):
        return InitVerdict(error=None, init_ms=measured_ms, environment_failed=False)
    return InitVerdict(
        error=_error_object(frame["error"], "Runtime.Unknown", ""),
        init_ms=measured_ms,
        environment_failed=False,
    )


def crashed(kind: str, frame: dict, memory_mb: int) -> bool:
    """Whether the environment failed the invocation (exited, broke the protocol, ran out of memory)
    rather than answering it or timing out: its exit report is then part of what ``verdict`` reads."""
    if kind == "timeout":
        return False
    return (
        kind != "frame"
        or frame.get("type") != "result"
        or bool(frame.get("oom"))
        or _over_memory(frame, memory_mb)
    )


def verdict(observed: Observed) -> Verdict:
    """Lambda's answer to what the host observed of one invocation."""
    if observed.fault is not None:
        return _injected(observed)
    if observed.init_error is not None:
        error = observed.init_error
        return Verdict(
            "init_error", json.dumps(error).encode(), error["errorType"], status=error["errorType"]
        )
    if observed.kind == "timeout":
        return _timed_out(observed)
    if crashed(observed.kind, observed.frame, observed.memory_mb):
        return _crashed(observed)
    return _answered(observed)


# -- the cases ---------------------------------------------------------------------------------------------
def _injected(observed: Observed) -> Verdict:
    """An injected fault ran instead of the handler (faults.py)."""
    fault, request_id = observed.fault or {}, observed.request_id
    if fault["kind"] == "timeout":
        message = _timed_out_message(request_id, observed.timeout_s)
        payload = error_payload("Sandbox.Timedout", message)
        return Verdict(
            "timeout", payload, "Sandbox.Timedout", "timeout", duration_ms=observed.timeout_s * 1000
        )
    if fault["kind"] == "throttle":
        return Verdict(
            "throttled",
            error_payload("TooManyRequestsException", "Rate Exceeded."),
            "TooManyRequestsException",
        )
    payload = error_payload(fault["error_type"], fault["message"], request_id)
    return Verdict("function_error", payload, fault["error_type"])


def _timed_out(observed: Observed) -> Verdict:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(observed.now_s))
    return Verdict(
        "timeout",
        error_payload("Sandbox.Timedout", _timed_out_message(observed.request_id, observed.timeout_s)),
        "Sandbox.Timedout",
        "timeout",
        duration_ms=max(observed.duration_ms, observed.timeout_s * 1000),
        max_rss_kb=_rss_kb(observed.frame),
        log_note=f"{stamp}.000Z {observed.request_id} Task timed out after {observed.timeout_s:.2f} seconds\n",
    )


def _crashed(observed: Observed) -> Verdict:
    frame, exit_report, limit_kb = observed.frame, observed.exit, observed.memory_mb * 1024
    rss_kb = _rss_kb(frame)
    oom = bool(frame.get("oom")) or rss_kb > limit_kb or int(exit_report.get("max_rss_kb", 0) or 0) > limit_kb
    if oom or exit_report.get("signal") == 9:
        reason = "signal: killed"
    elif "signal" in exit_report:
        reason = f"signal: {exit_report['signal']}"
    elif observed.kind in ("protocol_error", "frame"):
        reason = "invalid response from the runtime"
    else:
        reason = f"exit status {exit_report.get('code', 1)}"
    error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
    message = f"RequestId: {observed.request_id} Error: Runtime exited with error: {reason}"
    return Verdict(
        "out_of_memory" if oom else "crash",
        error_payload(error_type, message),
        error_type,
        "error",
        duration_ms=observed.duration_ms,
        max_rss_kb=max(rss_kb, limit_kb) if oom else rss_kb,
    )


def _answered(observed: Observed) -> Verdict:
    """The runtime answered with a result frame: the handler's error, its response, or nonsense."""
    frame, rss_kb, duration_ms = observed.frame, _rss_kb(observed.frame), observed.duration_ms
    if isinstance(frame.get("error"), dict):
        error = _error_object(frame["error"], "Exception", observed.request_id)
        payload = json.dumps(error).encode()
        return Verdict("function_error", payload, error["errorType"], None, True, duration_ms, rss_kb)
    if isinstance(frame.get("payload"), str):
        payload = frame["payload"].encode("utf-8")
        if len(payload) <= SYNC_PAYLOAD_LIMIT:
            return Verdict("success", payload, None, None, True, duration_ms, rss_kb)
        message = f"Response payload size exceeded maximum allowed payload size ({SYNC_PAYLOAD_LIMIT} bytes)."
        payload = error_payload("Function.ResponseSizeTooLarge", message)
        return Verdict(
            "response_too_large", payload, "Function.ResponseSizeTooLarge", None, True, duration_ms, rss_kb
        )
    message = f"RequestId: {observed.request_id} Error: Runtime exited with error: invalid response from the runtime"
    payload = error_payload("Runtime.ExitError", message)
    return Verdict("crash", payload, "Runtime.ExitError", "error", False, duration_ms, rss_kb)


# -- helpers -----------------------------------------------------------------------------------------------
def _rss_kb(frame: dict) -> int:
    """The environment's peak memory in KB, as the host measured it (``LambdaService`` puts it in the frame
    in place of anything the environment sent; 0 when unknown)."""
    return frame.get("max_rss_kb") if isinstance(frame.get("max_rss_kb"), int) else 0


def _over_memory(frame: dict, memory_mb: int) -> bool:
    return _rss_kb(frame) > memory_mb * 1024


def _timed_out_message(request_id: str, timeout_s: float) -> str:
    return f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"


def _error_object(raw: object, default_type: str, request_id: str) -> dict:
    """Lambda's error object from what the runtime sent (``errorMessage``, ``errorType``, ``stackTrace``)."""
    raw = raw if isinstance(raw, dict) else {}
    return {
        "errorMessage": str(raw.get("errorMessage", "")),
        "errorType": str(raw.get("errorType", default_type)),
        "requestId": request_id,
        "stackTrace": [str(line) for line in raw.get("stackTrace", [])][:_STACK_TRACE_LINES],
    }
