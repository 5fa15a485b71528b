"""Fault injection: what a lab does to a design to grade its robustness, not only its happy path.

Real systems see throttles, failed and timed-out invocations, duplicate deliveries (SQS, SNS, S3 and EventBridge
all deliver *at least once*), late deliveries and errors from downstream services. A ``Cloud``'s ``faults`` arms
such events; each is used up when it happens and recorded in the trace as ``fault_injected`` (with
``injected: true``), so a student can tell an injected fault from a bug of their own.

    cloud.faults.throttle("orders", times=2)           # the next 2 invocations are throttled (429 / retried)
    cloud.faults.fail("orders", times=1)               # the next invocation fails before the handler runs
    cloud.faults.time_out("orders")                    # ... or times out
    cloud.faults.duplicate_delivery(queue_arn)         # the next delivery to the queue arrives twice
    cloud.faults.delay_delivery(function_arn, 30)      # the next delivery arrives 30 simulated seconds late
    cloud.faults.service_error("dynamodb", "PutItem", code="ProvisionedThroughputExceededException")
    cloud.faults.interrupt_durable("orders", step="charge-card")  # the environment dies before the step's checkpoint

Lowering a function's concurrency needs no fault: ``put_function_concurrency`` does it as on AWS.
Service errors apply to calls made by handlers and by services acting with a role, never to the grader's own
calls (the grader must be able to look at the state it is grading).
"""

from __future__ import annotations

from labs.runtime.core import wire

__all__ = ["Faults"]


def _function_name(name_or_arn: str) -> str:
    return name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]


class Faults:
    """The armed faults of one account."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._invocations: dict[str, list[dict]] = {}
        self._duplicates: dict[str, int] = {}
        self._delays: dict[str, list[float]] = {}
        self._service_errors: list[dict] = []
        self._interruptions: dict[str, list[str]] = {}

    # -- arming ---------------------------------------------------------------------------------------------
    def throttle(self, function: str, *, times: int = 1) -> None:
        """The next ``times`` invocations of ``function`` are throttled as if its concurrency were used up."""
        self._arm_invocation(function, {"kind": "throttle"}, times)

    def fail(
        self,
        function: str,
        *,
        times: int = 1,
        error_type: str = "InjectedFault",
        message: str = "Injected failure: the invocation failed before the handler ran",
    ) -> None:
        """The next ``times`` invocations of ``function`` fail with ``error_type`` without running the handler."""
        self._arm_invocation(function, {"kind": "error", "error_type": error_type, "message": message}, times)

    def time_out(self, function: str, *, times: int = 1) -> None:
        """The next ``times`` invocations of ``function`` time out (after the function's full timeout)."""
        self._arm_invocation(function, {"kind": "timeout"}, times)

    def duplicate_delivery(self, target_arn: str, *, times: int = 1) -> None:
        """The next ``times`` service deliveries to ``target_arn`` (a queue, topic or function) arrive twice."""
        self._check_times(times)
        self._duplicates[target_arn] = self._duplicates.get(target_arn, 0) + times

    def delay_delivery(self, target_arn: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` service deliveries to ``target_arn`` arrive ``seconds`` (simulated) late."""
        self._check_times(times)
        if seconds <= 0:
            raise ValueError(f"a delay must be positive, got {seconds}")
        self._delays.setdefault(target_arn, []).extend([float(seconds)] * times)

    def service_error(
        self,
        service: str,
        operation: str,
        *,
        code: str = "ServiceUnavailable",
        message: str = "Injected failure: the service is unavailable",
        status: int = 503,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``service``'s ``operation`` (boto3 service name and API operation, e.g.
        ``"dynamodb", "PutItem"``) from handlers or services fail with AWS's error ``code``."""
        self._check_times(times)
        self._service_errors.append(
            {
                "service": service,
                "operation": operation,
                "code": code,
                "message": message,
                "status": status,
                "left": times,
            }
        )

    def interrupt_durable(self, function: str, *, step: str, times: int = 1) -> None:
        """The next ``times`` times a durable execution of ``function`` checkpoints the end of its step named
        ``step``, the execution environment dies instead: the step's code has run (its side effects happened)
        but its result was never saved, so Lambda invokes the function again and the step runs again on replay
        (https://docs.aws.amazon.com/lambda/latest/dg/durable-basic-concepts.html)."""
        self._check_times(times)
        if not isinstance(step, str) or not step:
            raise ValueError("interrupt_durable needs the step's name (step=...)")
        self._interruptions.setdefault(_function_name(function), []).extend([step] * times)

    def clear(self) -> None:
        """Disarm every fault."""
        self._interruptions.clear()
        self._invocations.clear()
        self._duplicates.clear()
        self._delays.clear()
        self._service_errors.clear()

    def _arm_invocation(self, function: str, fault: dict, times: int) -> None:
        self._check_times(times)
        self._invocations.setdefault(_function_name(function), []).extend(dict(fault) for _ in range(times))

    @staticmethod
    def _check_times(times: int) -> None:
        if not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive whole number, got {times!r}")

    # -- using (the runtime's side) -------------------------------------------------------------------------
    def invocation_fault(
        self, function_name: str, cause: int | None, *, kinds=("throttle", "error", "timeout")
    ):
        """The armed fault the next invocation of ``function_name`` meets (used up), or None."""
        armed = self._invocations.get(_function_name(function_name))
        if not armed or armed[0]["kind"] not in kinds:
            return None
        fault = armed.pop(0)
        self.cloud.trace.fault_injected(
            self.cloud.clock(), cause=cause, fault=fault["kind"], function=_function_name(function_name)
        )
        return fault

    def durable_interruption(
        self, function_name: str, step_names: list[str], cause: int | None
    ) -> str | None:
        """The step, among those a checkpoint is about to close, whose armed interruption fires now (used up)."""
        armed = self._interruptions.get(_function_name(function_name)) or []
        for name in step_names:
            if name in armed:
                armed.remove(name)
                self.cloud.trace.fault_injected(
                    self.cloud.clock(),
                    cause=cause,
                    fault="durable_interruption",
                    function=_function_name(function_name),
                    target=name,
                )
                return name
        return None

    def copies_of_delivery(self, target_arn: str, cause: int | None) -> int:
        if self._duplicates.get(target_arn, 0) <= 0:
            return 1
        self._duplicates[target_arn] -= 1
        self.cloud.trace.fault_injected(
            self.cloud.clock(), cause=cause, fault="duplicate_delivery", target=target_arn
        )
        return 2

    def delivery_delay(self, target_arn: str, cause: int | None) -> float:
        delays = self._delays.get(target_arn)
        if not delays:
            return 0.0
        delay = delays.pop(0)
        self.cloud.trace.fault_injected(
            self.cloud.clock(), cause=cause, fault="delayed_delivery", target=target_arn, delay_s=delay
        )
        return delay

    def service_error_for(self, service: str, operation: str, cause: int | None):
        """AWS's error response for an armed service error matching this call (used up), or None."""
        for armed in self._service_errors:
            if armed["left"] > 0 and armed["service"] == service and armed["operation"] == operation:
                armed["left"] -= 1
                self.cloud.trace.fault_injected(
                    self.cloud.clock(),
                    cause=cause,
                    fault="service_error",
                    service=service,
                    operation=operation,
                    code=armed["code"],
                )
                return wire.error_response(service, armed["status"], armed["code"], armed["message"])
        return None
