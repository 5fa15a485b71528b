"""The result of one invocation, as the host observed it, Lambda's error payload shape, and how Invoke and
InvokeWithResponseStream answer it on the wire."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from labs.runtime.core.eventstream import event_message

__all__ = ["Invocation", "LOG_TAIL_BYTES", "error_payload", "response_headers", "streamed_response"]

LOG_TAIL_BYTES = 4096


@dataclass
class Invocation:
    """The result of one invocation, as the host observed it (never as the environment claims it)."""

    request_id: str
    function_arn: str
    executed_version: str
    status_code: int
    payload: bytes
    function_error: str | None
    error_type: str | None
    logs: str
    cold_start: bool
    duration_ms: float
    billed_duration_ms: int
    init_duration_ms: float | None
    memory_size_mb: int
    max_memory_used_mb: int
    cost_usd: float

    @property
    def log_tail(self) -> str:
        """Base64 of the last 4 KB of this invocation's logs (the ``LogResult`` of ``LogType=Tail``)."""
        return base64.b64encode(self.logs.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")

    def payload_json(self) -> object:
        return json.loads(self.payload) if self.payload else None


def error_payload(error_type: str, message: str, request_id: str | None = None) -> bytes:
    body: dict = {"errorMessage": message, "errorType": error_type}
    if request_id is not None:
        body.update(requestId=request_id, stackTrace=[])
    return json.dumps(body).encode()


def streamed_response(result: Invocation, tail: bool) -> tuple[int, dict, bytes]:
    """InvokeWithResponseStream's answer for a Python function. Only Node.js managed runtimes (and custom
    runtimes) stream (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html):
    the Python runtime hands Lambda the whole response when the handler returns, so the stream carries it
    as one ``PayloadChunk`` (the bytes Invoke would answer), then ``InvokeComplete`` (LogResult with
    ``LogType=Tail``; a function error's ErrorCode is the ``X-Amz-Function-Error`` value, its ErrorDetails
    the error's type and message)."""
    complete = {"LogResult": result.log_tail} if tail else {}
    if result.function_error:
        error = json.loads(result.payload or b"{}")
        complete["ErrorCode"] = result.function_error
        complete["ErrorDetails"] = f"{error.get('errorType', '')}: {error.get('errorMessage', '')}"
    body = event_message("PayloadChunk", result.payload, "application/octet-stream")
    body += event_message("InvokeComplete", json.dumps(complete).encode(), "application/json")
    headers = {
        "x-amzn-RequestId": result.request_id,
        "X-Amz-Executed-Version": result.executed_version,
        "Content-Type": "application/vnd.amazon.eventstream",
    }
    return 200, headers, body


def response_headers(result: Invocation, tail: bool) -> dict[str, str]:
    """Invoke's response headers (``X-Amz-Log-Result`` with ``LogType=Tail``)."""
    headers = {
        "x-amzn-RequestId": result.request_id,
        "X-Amz-Executed-Version": result.executed_version,
        "Content-Type": "application/json",
    }
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if tail:
        headers["X-Amz-Log-Result"] = result.log_tail
    return headers
