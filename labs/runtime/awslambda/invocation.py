"""The result of one invocation, as the host observed it, and Lambda's error payload shape."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

__all__ = ["Invocation", "LOG_TAIL_BYTES", "error_payload"]

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
