"""Lambda's data plane: invoking functions in execution environments, with Lambda's semantics.

The control plane (create_function, publish_version, aliases, concurrency settings, permissions) is moto's
Lambda backend, reached through the normal API; this module reads function versions from it and owns what
moto cannot do without Docker: running the code. ``LambdaService.invoke`` is the internal entry point other
simulated services call (event routing, Step Functions); ``invoke_api`` answers the wire-level Invoke API.

Behaviour copied from AWS (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
.../python-logging.html, .../gettingstarted-limits.html): environments are reused while warm and discarded
after a timeout, running out of memory or the runtime exiting; the init phase runs once per environment and
is reported as Init Duration; logs are START / output / END / REPORT lines in /aws/lambda/<name>.

One invocation, in the order ``invoke`` takes its steps, each a method below fed one ``InvokeContext``:
an injected fault instead of the code (``_injected``), or a warm environment or a cold start (``_run``,
``_cold_start``: spawn from ``lambda_spec.environment_spec``, init phase judged by ``init_verdict``), the
handler run and observed (``_execute``), the outcome judged by the pure ``lambda_verdict.verdict`` and the
environment kept or discarded (``_conclude``), then logs, the trace record and the ``Invocation``
(``_finish``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import lambda_backends
from moto.logs.models import logs_backends

from labs.runtime.awslambda.concurrency import Concurrency
from labs.runtime.awslambda.invocation import LOG_TAIL_BYTES, Invocation, response_headers, streamed_response
from labs.runtime.awslambda.invoke_context import InvokeContext
from labs.runtime.awslambda.pricing import invocation_cost_usd
from labs.runtime.awslambda.spec import environment_spec
from labs.runtime.awslambda.verdict import (
    SYNC_PAYLOAD_LIMIT,
    Observed,
    Verdict,
    crashed,
    init_verdict,
    verdict,
)
from labs.runtime.core import wire
from labs.runtime.core.errors import InvalidCodeError
from labs.runtime.sandbox.codestore import CodeTooLargeError
from labs.runtime.sandbox.environment import Environment
from labs.runtime.sandbox.host import UNSAFE_WARNING, fork_server

__all__ = ["Invocation", "LambdaService", "SYNC_PAYLOAD_LIMIT", "ASYNC_PAYLOAD_LIMIT", "billed_duration_ms"]

ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB for asynchronous invocations (raised from 256 KB in 2025-10)
INIT_TIMEOUT_S = 10.0  # Lambda's limit for the init phase of on-demand functions
MAX_IDLE_ENVIRONMENTS = 64
PIPELINED_EVENT_BYTES = 8 * 1024  # even escaped as JSON (6x at worst) far below a Unix socket buffer


class LambdaService:
    """Runs function code for one ``Cloud`` (one account and region)."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._idle: dict[str, list[Environment]] = {}
        self.concurrency = Concurrency(
            cloud, lambda: [entry["latest"] for entry in self._backend()._lambdas._functions.values()]
        )
        self._dead_letter_targets: dict[str, str] = {}
        self.running: dict[int, Environment] = {}  # invocation record seq -> its environment, while it runs

    # -- the function versions, read from moto's control plane ------------------------------------------
    def _backend(self):
        return lambda_backends[self.cloud.account_id][self.cloud.region]

    def get_function(self, name_or_arn: str, qualifier: str | None = None):
        """The function version (moto's model) for a name, ARN or partial ARN and optional qualifier.

        Raises moto's ``UnknownFunctionException`` when there is none.
        """
        if name_or_arn.startswith("arn:") and name_or_arn.count(":") == 7 and qualifier is None:
            name_or_arn, _, qualifier = name_or_arn.rpartition(":")
        function = self._backend().get_function(name_or_arn, qualifier)
        if function is None:
            raise UnknownFunctionException(name_or_arn)
        return function

    def _environment_key(self, function, tenant_id: str | None = None) -> str:
        """Which warm environments may serve an invocation: same code and configuration, and for a
        tenant-isolated function the same tenant (environments are never shared across tenants)."""
        layers = [layer["Arn"] for layer in function.layers]
        config = [function.function_arn, function.version, function.code_sha_256, function.handler, tenant_id]
        config += [function.memory_size, function.timeout, function.environment_vars, layers, function.role]
        config += [function.ephemeral_storage]
        return hashlib.sha256(json.dumps(config, default=str, sort_keys=True).encode()).hexdigest()

    # -- logs ----------------------------------------------------------------------------------------------
    def _write_logs(self, function, log_stream: str, text: str) -> None:
        logs = logs_backends[self.cloud.account_id][self.cloud.region]
        group = f"/aws/lambda/{function.function_name}"
        if group not in logs.groups:
            logs.create_log_group(group, {})
        if log_stream not in logs.groups[group].streams:
            logs.create_log_stream(group, log_stream)
        now_ms = int(self.cloud.clock() * 1000)
        events = [{"timestamp": now_ms, "message": line} for line in text.splitlines() if line]
        if events:
            logs.put_log_events(group, log_stream, events)

    # -- invoking: the steps of one invocation -----------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: bytes = b"{}",
        qualifier: str | None = None,
        client_context: dict | None = None,
        cause: int | None = None,
        request_id: str | None = None,
        tenant_id: str | None = None,
        durable: bool = False,
    ) -> Invocation:
        """Run one synchronous invocation (the internal API other services use). ``request_id`` is given
        for asynchronous events, which keep theirs across retries; ``tenant_id`` for a tenant-isolated
        function (checked by the Invoke API: ``tenancy_problem``); ``durable`` for the durable service's own
        invocations of a durable function (any other starts an execution: ``durable.api.invoke_internal``).

        Raises moto's ``UnknownFunctionException`` for an unknown function; every failure of the code
        itself is reported in the returned ``Invocation`` as Lambda reports it.
        """
        function = self.get_function(function_name, qualifier)
        if getattr(function, "durable_config", None) and not durable:  # a service invoking a durable function
            return self.cloud.durable.invoke_internal(
                function_name, qualifier, payload, cause, request_id, function
            )
        base_arn = (
            f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{function.function_name}"
        )
        key = self._environment_key(function, tenant_id)
        context = InvokeContext(
            function=function,
            request_id=request_id or self.cloud.new_request_id(),
            payload=payload,
            invoked_arn=base_arn if qualifier is None else f"{base_arn}:{qualifier}",
            client_context=client_context,
            cause=cause,
            environment_key=key,
            tenant_id=tenant_id,
        )
        fault = self.cloud.faults.invocation_fault(function.function_name, cause)
        if fault is not None:
            return self._injected(context, fault)
        with self.concurrency.running(function.function_name):
            result = self._run(context)
        if self.cloud.scheduler.running:  # started by the simulation: it overlaps what else runs now
            self.concurrency.hold(function.function_name, result.billed_duration_ms / 1000)
        return result

    def _injected(self, context: InvokeContext, fault: dict) -> Invocation:
        """The invocation an injected fault makes: the handler never runs; logs and the trace say so."""
        context.trace_entry = self.cloud.trace.invocation(
            self.cloud.clock(),
            cause=context.cause,
            request_id=context.request_id,
            function_arn=context.function.function_arn,
            injected=True,
        )
        observed = Observed(context.request_id, context.memory_mb, context.timeout_s, fault=fault)
        output = f"[labs.runtime] injected fault: {fault['kind']} (the handler did not run)\n"
        return self._finish(context, verdict(observed), output)

    def _run(self, context: InvokeContext) -> Invocation:
        """A warm environment if one is idle, else a cold start; then the handler, unless init failed."""
        if self.cloud.sandbox_mode == "unsafe":
            sys.stderr.write(UNSAFE_WARNING + "\n")
        idle = self._idle.get(context.environment_key, [])
        if idle:
            context.environment = idle.pop()
            context.log_stream = context.environment.log_stream
            message, pipelined = self._invoke_message(context), False
        else:
            message, pipelined = self._cold_start(context)
        context.trace_entry = self.cloud.trace.invocation(
            self.cloud.clock(),
            cause=context.cause,
            request_id=context.request_id,
            function_arn=context.function.function_arn,
        )
        if context.init_error is not None:
            observed = Observed(
                context.request_id, context.memory_mb, context.timeout_s, init_error=context.init_error
            )
            return self._finish(context, verdict(observed), "")
        observed, output = self._execute(context, None if pipelined else message)
        return self._conclude(context, observed, output)

    def _cold_start(self, context: InvokeContext) -> tuple[dict, bool]:
        """Start a new environment and run its init phase, noting in ``context`` how it went. Returns the
        invoke message and whether it already went out with the spawn (pipelined)."""
        function = context.function
        clock = self.cloud.clock()
        context.log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime(clock))}/[{function.version}]{self.cloud.ids.getrandbits(128):032x}"
        try:
            spec = environment_spec(self.cloud, self._layer_code, function, context.log_stream)
        except InvalidCodeError as error:
            # Admitted when created, but this combination of code and layers would pass a limit (or a zip
            # lied about its sizes): the invocation fails with the reason; nothing was left unpacked.
            code = (
                "CodeStorageExceededException" if isinstance(error, CodeTooLargeError) else "InvalidCodeError"
            )
            context.init_ms, context.init_error = 0.0, {"errorType": code, "errorMessage": str(error)}
            return self._invoke_message(context), False
        # The Init Duration is the host's own measurement, from the spawn request on: the environment may
        # start its init phase before spawn() returns.
        started = time.perf_counter()
        environment = fork_server(self.cloud.sandbox_mode).spawn(spec, context.environment_key)
        environment.log_stream = context.log_stream
        context.environment = environment
        message = self._invoke_message(context)
        # A small first event goes out with the spawn, saving a round trip: the runtime reads it only once
        # its init phase is over. A large one waits for init, so that the host never blocks on a full
        # channel while the init phase waits for an answer to a boto3 call.
        pipelined = len(context.payload) <= PIPELINED_EVENT_BYTES
        # boto3 calls made by module-level code (the init phase) are served and authorized as well
        init_principal = self.cloud.principal_for(function, context.cause)
        outcome = environment.exchange(
            message if pipelined else None,
            time.monotonic() + INIT_TIMEOUT_S,
            lambda frame: self.cloud.serve_environment_request(frame, init_principal),
        )
        environment.end_init()
        context.init_output = outcome.output.decode("utf-8", "replace")
        measured_ms = (time.perf_counter() - started) * 1000
        init = init_verdict(context.request_id, outcome.kind, outcome.frame, measured_ms, INIT_TIMEOUT_S)
        context.init_ms, context.init_error = init.init_ms, init.error
        if init.error is not None:
            environment.kill()
        if init.environment_failed:
            frame = outcome.frame if outcome.kind == "frame" else None
            detail = outcome.detail or (frame or {}).get("error", "") or outcome.exit
            self.cloud.trace.environment_failed(self.cloud.clock(), cause=context.cause, detail=str(detail))
        return message, pipelined

    def _invoke_message(self, context: InvokeContext) -> dict:
        return {
            "type": "invoke",
            "request_id": context.request_id,
            "event": context.payload.decode("utf-8"),
            "invoked_function_arn": context.invoked_arn,
            "timeout_ms": int(context.timeout_s * 1000),  # the runtime's deadline starts with the invocation
            "client_context": context.client_context,
            "tenant_id": context.tenant_id,
            "trace_id": f"Root=1-{int(self.cloud.clock()):08x}-{self.cloud.ids.getrandbits(96):024x};Sampled=0",
        }

    def _execute(self, context: InvokeContext, message: dict | None) -> tuple[Observed, str]:
        """Run the handler in the context's environment (sending ``message`` unless it went with the spawn)
        and observe what happened, as plain data; returns it with the invocation's output."""
        environment = context.environment
        principal = self.cloud.principal_for(context.function, context.trace_entry["seq"])
        started = time.perf_counter()
        self.running[context.trace_entry["seq"]] = environment
        try:
            outcome = environment.exchange(
                message,
                time.monotonic() + context.timeout_s,
                lambda frame: self.cloud.serve_environment_request(frame, principal),
                request_id=context.request_id,
            )
        finally:
            self.running.pop(context.trace_entry["seq"], None)
        duration_ms = (time.perf_counter() - started) * 1000
        output = outcome.output.decode("utf-8", "replace")
        if outcome.dropped_output:
            output += f"[labs.runtime: {outcome.dropped_output} bytes of output dropped past the 1 MiB cap]\n"
        # Memory is the host's measurement (the kernel's peak RSS of the environment, then the fork server's
        # wait4 once it has exited); a figure in the frame would be the environment's word, so it is replaced.
        frame = {**(outcome.frame or {}), "max_rss_kb": environment.peak_rss_kb()}
        exit_report = outcome.exit
        if outcome.kind != "exited" and crashed(outcome.kind, frame, context.memory_mb):
            exit_report = environment.kill()  # its exit report says whether it ran out of memory
        if isinstance(exit_report.get("max_rss_kb"), int):
            frame["max_rss_kb"] = max(frame["max_rss_kb"], exit_report["max_rss_kb"])
        observed = Observed(
            context.request_id,
            context.memory_mb,
            context.timeout_s,
            kind=outcome.kind,
            frame=frame,
            exit=exit_report,
            duration_ms=duration_ms,
            now_s=self.cloud.clock(),
        )
        return observed, output

    def _conclude(self, context: InvokeContext, observed: Observed, output: str) -> Invocation:
        """Judge the outcome, keep the environment warm or discard it, and report."""
        result = verdict(observed)
        environment = context.environment
        if not result.keep_environment:
            environment.kill()  # after a timeout, a crash or nonsense, as Lambda does
        elif environment.alive:
            self._idle.setdefault(context.environment_key, []).append(environment)
            self._trim_idle()
        environment.invocations += 1
        return self._finish(context, result, output + result.log_note)

    def _finish(self, context: InvokeContext, result: Verdict, output: str) -> Invocation:
        """Write the invocation's logs (START, output, END, REPORT), complete its trace record, and return
        it as an ``Invocation``."""
        function, request_id, init_ms = context.function, context.request_id, context.init_ms
        memory_mb, duration_ms, rss_kb = context.memory_mb, result.duration_ms, result.max_rss_kb
        billed_ms = billed_duration_ms(duration_ms, init_ms)
        used_mb = min(max(math.ceil(rss_kb / 1024), 1), memory_mb) if rss_kb else 1
        report = _report_line(request_id, duration_ms, billed_ms, memory_mb, used_mb, init_ms, result)
        text = context.init_output + context.start_line + output + f"END RequestId: {request_id}\n" + report
        self._write_logs(function, context.log_stream, text)
        invocation = Invocation(
            request_id=request_id,
            function_arn=function.function_arn,
            executed_version=str(function.version),
            status_code=200,
            payload=result.payload,
            function_error=result.function_error,
            error_type=result.error_type,
            logs=text,
            cold_start=init_ms is not None,
            duration_ms=round(duration_ms, 2),
            billed_duration_ms=billed_ms,
            init_duration_ms=round(init_ms, 2) if init_ms is not None else None,
            memory_size_mb=memory_mb,
            max_memory_used_mb=used_mb,
            cost_usd=invocation_cost_usd(billed_ms, memory_mb),
        )
        record = {k: v for k, v in asdict(invocation).items() if k not in ("payload", "logs")}
        # the trace keeps the log text (its last 4 KB, as LogType=Tail would give) so a trace alone can
        # show a student what each invocation printed
        context.trace_entry.update(record, status="done", logs=text[-LOG_TAIL_BYTES:])
        return invocation

    def _layer_code(self, layer_arn: str) -> bytes:
        return self._backend().layers_versions_by_arn(layer_arn).code_bytes

    def _trim_idle(self) -> None:
        environments = [env for envs in self._idle.values() for env in envs]
        for environment in environments[: max(len(environments) - MAX_IDLE_ENVIRONMENTS, 0)]:
            self._idle[environment.key].remove(environment)
            environment.discard()

    # -- the Invoke API ------------------------------------------------------------------------------------
    def invoke_api(
        self, parsed: wire.ParsedRequest, headers: dict[str, str], body: bytes, cause: int | None
    ) -> tuple[int, dict, bytes]:
        """Answer Lambda's Invoke operation on the wire (status, headers, body), as AWS does: checks in
        AWS's order (function, invocation type, size, JSON), then DryRun, Event (queued), or a synchronous
        invocation unless throttled."""
        lowered = {k.lower(): v for k, v in headers.items()}
        invocation_type = lowered.get("x-amz-invocation-type", "RequestResponse")
        streamed = parsed.operation == "InvokeWithResponseStream"
        name, qualifier = parsed.params.get("FunctionName", ""), parsed.params.get("Qualifier")
        try:
            function = self.get_function(name, qualifier)
        except UnknownFunctionException:
            arn = (
                name
                if name.startswith("arn:")
                else f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{name}"
            )
            return wire.error_response(
                "lambda", 404, "ResourceNotFoundException", f"Function not found: {arn}"
            )
        # InvokeWithResponseStream's InvocationType is RequestResponse or DryRun only (API reference)
        refused = _refused_request(invocation_type, body, ("RequestResponse", "DryRun") if streamed else None)
        if refused is not None:
            return refused
        tenant_id = lowered.get("x-amz-tenant-id")
        if (tenancy_mode(function) == "PER_TENANT") == (tenant_id is None):
            # tenant-isolation-troubleshooting.html: a tenant id is required exactly when isolation is on
            message = "Tenant ID configuration not specified or passed to a function when tenant isolation is not enabled."
            return wire.error_response("lambda", 400, "InvalidParameterValueException", message)
        if invocation_type == "DryRun":
            return 204, {"x-amzn-RequestId": self.cloud.new_request_id()}, b""
        if getattr(function, "durable_config", None):
            return self.cloud.durable.invoke_api(
                name, qualifier, function, invocation_type, body or b"{}", lowered, cause
            )
        if invocation_type == "Event":
            # Accepted onto the function's queue whatever its concurrency: throttling happens when the queue
            # is read, and is retried there (async_invoke).
            request_id = self.cloud.async_invoker.accept(name, qualifier, body or b"{}", cause, tenant_id)
            return 202, {"x-amzn-RequestId": request_id}, b""
        reason = self.concurrency.throttled(function, cause)
        if reason:
            return _throttled_response(reason)
        client_context = None
        if "x-amz-client-context" in lowered:
            try:
                client_context = json.loads(base64.b64decode(lowered["x-amz-client-context"]))
            except ValueError:
                return wire.error_response(
                    "lambda",
                    400,
                    "InvalidRequestContentException",
                    "Client context must be base64-encoded JSON",
                )
        result = self.invoke(name, body or b"{}", qualifier, client_context, cause, tenant_id=tenant_id)
        if streamed:
            return streamed_response(result, tail=lowered.get("x-amz-log-type") == "Tail")
        return 200, response_headers(result, tail=lowered.get("x-amz-log-type") == "Tail"), result.payload

    def set_dead_letter_target(self, function_name: str, target_arn: str | None) -> None:
        """Remember a function's ``DeadLetterConfig.TargetArn`` (moto does not keep it)."""
        if target_arn:
            self._dead_letter_targets[function_name] = target_arn
        else:
            self._dead_letter_targets.pop(function_name, None)

    def dead_letter_target(self, function_name: str) -> str | None:
        return self._dead_letter_targets.get(function_name)

    def close(self) -> None:
        for environments in self._idle.values():
            for environment in environments:
                environment.discard()
        self._idle.clear()
        self._dead_letter_targets.clear()


def tenancy_mode(function) -> str | None:
    """The function's ``TenantIsolationMode`` ("PER_TENANT"), None without tenant isolation; moto does not
    keep ``TenancyConfig``: ``request_checks`` sets it on the function when it is created."""
    return (getattr(function, "tenancy_config", None) or {}).get("TenantIsolationMode")


def billed_duration_ms(duration_ms: float, init_ms: float | None) -> int:
    """The REPORT line's Billed Duration. Since 2025-08-01 Lambda bills the INIT phase of on-demand ZIP
    functions on managed runtimes as it already did for container images, custom runtimes and provisioned
    concurrency (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/), and
    an INIT that is billed is added to the duration before the whole is rounded up to the millisecond, not
    rounded apart: Init 1293.83 ms + Duration 1049.63 ms is billed 2344 ms, not 2345 (measured on Lambda:
    https://lucvandonkersgoed.com/2022/04/09/when-is-the-lambda-init-phase-free-and-when-is-it-billed/).
    Lambda rounds duration up to the nearest 1 ms (https://aws.amazon.com/lambda/pricing/), at least 1 ms."""
    total = duration_ms + (init_ms or 0)
    # round() first: 1.1 + 0.9 is 2.0000000000000004 in floats, which must bill 2 ms, not 3
    return max(1, math.ceil(round(total, 6)))


def _report_line(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    used_mb: int,
    init_ms: float | None,
    result: Verdict,
) -> str:
    """The REPORT log line, as Lambda writes it (Init Duration on a cold start; Status on a failure)."""
    report = f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {used_mb} MB"
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if result.status:
        status_line = f"\tStatus: {result.status}"
        report += status_line + (f"\tError Type: {result.error_type}" if result.status != "timeout" else "")
    return report + "\n"


def _refused_request(
    invocation_type: str, body: bytes, allowed: tuple[str, ...] | None = None
) -> tuple[int, dict, bytes] | None:
    """AWS's error for an Invoke request it refuses before running anything (type, size, JSON), or None."""
    if invocation_type not in (allowed or ("RequestResponse", "Event", "DryRun")):
        message = f"Unsupported invocation type {invocation_type}"
        return wire.error_response("lambda", 400, "InvalidParameterValueException", message)
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(body) > limit:
        message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        return wire.error_response("lambda", 413, "RequestTooLargeException", message)
    try:
        json.loads(body or b"{}")
    except ValueError as error:
        message = f"Could not parse request body into json: {error}"
        return wire.error_response("lambda", 400, "InvalidRequestContentException", message)
    return None


def _throttled_response(reason: str) -> tuple[int, dict, bytes]:
    """The 429 of a throttled synchronous invocation; an injected throttle looks like reserved concurrency."""
    status, headers, _ = wire.error_response("lambda", 429, "TooManyRequestsException", "Rate Exceeded.")
    throttle = {
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded" if reason == "injected" else reason,
        "Type": "User",
        "message": "Rate Exceeded.",
    }
    return status, headers, json.dumps(throttle).encode()
