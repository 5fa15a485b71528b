"""One invocation on its way through the Lambda service: what was asked, and what is known so far.

``LambdaService.invoke`` makes one ``InvokeContext`` and hands it to each step of the invoke path (choose or
cold-start an environment, run the handler, judge the outcome, report), instead of a dozen positional
arguments; each step fills in what it learns (the environment, the init phase, the trace record).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["InvokeContext"]


@dataclass(slots=True)
class InvokeContext:
    """One invocation. ``function`` is the function version (moto's model); ``invoked_arn`` the ARN the caller
    used (qualified or not); ``cause`` the trace record that led to the invocation; ``environment_key`` which
    warm environments may serve it (same code and configuration)."""

    function: Any
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: dict | None
    cause: int | None
    environment_key: str
    environment: Any = None  # the sandbox.Environment serving it, once chosen
    log_stream: str = "injected-faults"  # the environment's log stream (an injected fault has none)
    trace_entry: dict | None = None  # its "invocation" trace record, once it started
    init_ms: float | None = None  # the init phase's duration, when this invocation started the environment
    init_output: str = ""  # what the init phase printed
    init_error: dict | None = None  # Lambda's error object, when the init phase failed
    tenant_id: str | None = None  # the tenant of a tenant-isolated function (context.tenant_id)

    @property
    def memory_mb(self) -> int:
        return int(self.function.memory_size)

    @property
    def timeout_s(self) -> float:
        return float(self.function.timeout)

    @property
    def start_line(self) -> str:
        """The START line of the invocation's logs."""
        return f"START RequestId: {self.request_id} Version: {self.function.version}\n"
