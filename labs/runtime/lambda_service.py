"""Lambda's data plane: invoking functions in execution environments, with Lambda's semantics.

The control plane (create_function, publish_version, aliases, concurrency settings, permissions) is moto's
Lambda backend, reached through the normal API; this module reads function versions from it and owns what
moto cannot do without Docker: running the code. ``LambdaService.invoke`` is the internal entry point other
simulated services call (event routing, Step Functions); ``invoke_api`` answers the wire-level Invoke API.

Behaviour copied from AWS (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
.../python-logging.html, .../gettingstarted-limits.html): environments are reused while warm and discarded
after a timeout, running out of memory or the runtime exiting; the init phase runs once per environment and
is reported as Init Duration; logs are START / output / END / REPORT lines in /aws/lambda/<name>.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict
from types import SimpleNamespace

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import lambda_backends
from moto.logs.models import logs_backends

from labs.runtime import wire
from labs.runtime.concurrency import Concurrency
from labs.runtime.invocation import LOG_TAIL_BYTES, Invocation, error_payload
from labs.runtime.pricing import invocation_cost_usd
from labs.runtime.sandbox import UNSAFE_WARNING, Environment, Outcome, fork_server

__all__ = ["Invocation", "LambdaService", "SYNC_PAYLOAD_LIMIT", "ASYNC_PAYLOAD_LIMIT"]

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB request and response, synchronous
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB for asynchronous invocations (raised from 256 KB in 2025-10)
INIT_TIMEOUT_S = 10.0  # Lambda's limit for the init phase of on-demand functions
MAX_IDLE_ENVIRONMENTS = 64
PIPELINED_EVENT_BYTES = 8 * 1024  # even escaped as JSON (6x at worst) far below a Unix socket buffer
_RUNTIME_OVERHEAD_MB = 320  # address space of the Python runtime with boto3, beyond the function's memory


class LambdaService:
    """Runs function code for one ``Cloud`` (one account and region)."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._idle: dict[str, list[Environment]] = {}
        self.concurrency = Concurrency(
            cloud, lambda: [entry["latest"] for entry in self._backend()._lambdas._functions.values()]
        )
        self._dead_letter_targets: dict[str, str] = {}

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

    def _environment_key(self, function) -> str:
        layers = [layer["Arn"] for layer in function.layers]
        config = [function.function_arn, function.version, function.code_sha_256, function.handler]
        config += [function.memory_size, function.timeout, function.environment_vars, layers, function.role]
        config += [function.ephemeral_storage]
        return hashlib.sha256(json.dumps(config, default=str, sort_keys=True).encode()).hexdigest()

    def _spec(self, function, log_stream: str) -> dict:
        server = fork_server(self.cloud.sandbox_mode)
        task_digest = server.store.directory([function.code_bytes])
        layer_archives = [
            self._backend().layers_versions_by_arn(layer["Arn"]).code_bytes for layer in function.layers
        ]
        task_dir, store_dir = server.code_paths(task_digest)
        opt_dir = server.code_paths(server.store.directory(layer_archives))[0] if layer_archives else None
        isolated = self.cloud.sandbox_mode == "bwrap"
        task_root, opt_root = ("/var/task", "/opt") if isolated else (task_dir, opt_dir or "/nonexistent")
        version = str(function.version)
        random = self.cloud.random
        environment = {
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_REGION": self.cloud.region,
            "AWS_DEFAULT_REGION": self.cloud.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_ACCESS_KEY_ID": "ASIA" + "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16)),
            "AWS_SECRET_ACCESS_KEY": f"{random.getrandbits(160):040x}",
            "AWS_SESSION_TOKEN": f"{random.getrandbits(512):0128x}",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "_HANDLER": function.handler,
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "PYTHONPATH": "/var/runtime",
            **{str(k): str(v) for k, v in (function.environment_vars or {}).items()},
        }
        storage_mb = (
            int((function.ephemeral_storage or {}).get("Size", 512))
            if isinstance(function.ephemeral_storage, dict)
            else int(function.ephemeral_storage or 512)
        )
        return {
            "task_dir": task_dir,
            "opt_dir": opt_dir,
            "store_dir": store_dir,
            "tmp_bytes": storage_mb * 1024 * 1024,
            "python_path": [
                task_root,
                f"{opt_root}/python/lib/python3.12/site-packages",
                f"{opt_root}/python",
            ],
            "handler": function.handler,
            "function_name": function.function_name,
            "function_version": version,
            "memory_mb": int(function.memory_size),
            "log_group_name": f"/aws/lambda/{function.function_name}",
            "log_stream_name": log_stream,
            "environment": environment,
            "limits": {
                "address_space": (int(function.memory_size) + _RUNTIME_OVERHEAD_MB) * 1024 * 1024,
                "processes": 64,
                "open_files": 1024,
                "file_size": storage_mb * 1024 * 1024,
                "cpu_seconds": 900,
                "core": 0,
            },
        }

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

    # -- invoking ------------------------------------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: bytes = b"{}",
        qualifier: str | None = None,
        client_context: dict | None = None,
        cause: int | None = None,
        request_id: str | None = None,
    ) -> Invocation:
        """Run one synchronous invocation (the internal API other services use). ``request_id`` is given
        for asynchronous events, which keep theirs across retries.

        Raises moto's ``UnknownFunctionException`` for an unknown function; every failure of the code
        itself is reported in the returned ``Invocation`` as Lambda reports it.
        """
        function = self.get_function(function_name, qualifier)
        base_arn = (
            f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{function.function_name}"
        )
        invoked_arn = base_arn if qualifier is None else f"{base_arn}:{qualifier}"
        key = self._environment_key(function)
        request_id = request_id or self.cloud.new_request_id()
        fault = self.cloud.faults.invocation_fault(function.function_name, cause)
        if fault is not None:
            return self._injected(function, request_id, fault, cause)
        with self.concurrency.running(function.function_name):
            result = self._run(function, key, request_id, payload, invoked_arn, client_context, cause)
        if self.cloud.scheduler.running:  # started by the simulation: it overlaps what else runs now
            self.concurrency.hold(function.function_name, result.billed_duration_ms / 1000)
        return result

    def _injected(self, function, request_id: str, fault: dict, cause: int | None) -> Invocation:
        """The invocation an injected fault makes: the handler never runs; logs and the trace say so."""
        timeout_s = float(function.timeout)
        if fault["kind"] == "timeout":
            message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
            error_type, duration_ms, status = "Sandbox.Timedout", timeout_s * 1000, "timeout"
            body = error_payload(error_type, message)
        elif fault["kind"] == "throttle":
            error_type, duration_ms, status = "TooManyRequestsException", 0.0, None
            body = error_payload(error_type, "Rate Exceeded.")
        else:
            error_type, duration_ms, status = fault["error_type"], 0.0, None
            body = error_payload(error_type, fault["message"], request_id)
        environment = SimpleNamespace(
            log_stream="injected-faults",
            trace_entry=self.cloud.trace.invocation(
                self.cloud.clock(),
                cause=cause,
                request_id=request_id,
                function_arn=function.function_arn,
                injected=True,
            ),
        )
        start_line = f"START RequestId: {request_id} Version: {function.version}\n"
        output = f"[labs.runtime] injected fault: {fault['kind']} (the handler did not run)\n"
        return self._finish(
            function,
            environment,
            request_id,
            body,
            "Unhandled",
            error_type,
            "",
            start_line,
            output,
            duration_ms,
            None,
            0,
            cause,
            status=status,
        )

    def _run(self, function, key, request_id, payload, invoked_arn, client_context, cause) -> Invocation:
        if self.cloud.sandbox_mode == "unsafe":
            sys.stderr.write(UNSAFE_WARNING + "\n")
        memory_mb, timeout_s = int(function.memory_size), float(function.timeout)
        idle = self._idle.get(key, [])
        cold = not idle
        init_output, init_ms, init_error = "", None, None
        if cold:
            log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime(self.cloud.clock()))}/[{function.version}]{self.cloud.random.getrandbits(128):032x}"
            server = fork_server(self.cloud.sandbox_mode)
            environment = server.spawn(self._spec(function, log_stream), key)
            environment.log_stream = log_stream
            message = self._invoke_message(request_id, payload, invoked_arn, client_context, timeout_s)
            # A small first event goes out with the spawn, saving a round trip: the runtime reads it only
            # once its init phase is over. A large one waits for init, so that the host never blocks on a
            # full channel while the init phase waits for an answer to a boto3 call.
            pipelined = len(payload) <= PIPELINED_EVENT_BYTES
            started = time.perf_counter()
            # boto3 calls made by module-level code (the init phase) are served and authorized as well
            init_principal = self.cloud.principal_for(function, cause)
            outcome = environment.exchange(
                message if pipelined else None,
                time.monotonic() + INIT_TIMEOUT_S,
                lambda frame: self.cloud.serve_environment_request(frame, init_principal),
            )
            environment.end_init()
            init_output = outcome.output.decode("utf-8", "replace")
            frame = outcome.frame if outcome.kind == "frame" else None
            if frame is None or frame.get("type") != "init":
                init_ms = (time.perf_counter() - started) * 1000
                environment.kill()
                detail = outcome.detail or (frame or {}).get("error", "") or outcome.exit
                init_error = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited without providing a reason",
                }
                if outcome.kind == "timeout":
                    init_error = {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {INIT_TIMEOUT_S:.2f} seconds",
                    }
                self.cloud.trace.environment_failed(self.cloud.clock(), cause=cause, detail=str(detail))
            else:
                init_ms = (
                    float(frame.get("init_ms", 0.0))
                    if isinstance(frame.get("init_ms"), (int, float))
                    else 0.0
                )
                if frame.get("error"):
                    raw = frame["error"] if isinstance(frame["error"], dict) else {}
                    init_error = {
                        "errorMessage": str(raw.get("errorMessage", "")),
                        "errorType": str(raw.get("errorType", "Runtime.Unknown")),
                        "requestId": "",
                        "stackTrace": [str(line) for line in raw.get("stackTrace", [])][:100],
                    }
                    environment.kill()
        else:
            environment = idle.pop()
            message = self._invoke_message(request_id, payload, invoked_arn, client_context, timeout_s)
            pipelined = False
        environment.trace_entry = self.cloud.trace.invocation(
            self.cloud.clock(), cause=cause, request_id=request_id, function_arn=function.function_arn
        )
        start_line = f"START RequestId: {request_id} Version: {str(function.version)}\n"
        if init_error is not None:
            body = json.dumps(init_error).encode()
            return self._finish(
                function,
                environment,
                request_id,
                body,
                "Unhandled",
                init_error["errorType"],
                init_output,
                start_line,
                "",
                0.0,
                init_ms,
                0,
                cause,
                status=init_error["errorType"],
            )
        principal = self.cloud.principal_for(function, environment.trace_entry["seq"])
        started = time.perf_counter()
        outcome = environment.exchange(
            None if pipelined else message,
            time.monotonic() + timeout_s,
            lambda frame: self.cloud.serve_environment_request(frame, principal),
        )
        duration_ms = (time.perf_counter() - started) * 1000
        return self._conclude(
            function,
            environment,
            request_id,
            outcome,
            duration_ms,
            init_ms,
            init_output,
            start_line,
            timeout_s,
            memory_mb,
            cause,
            key,
        )

    def _invoke_message(self, request_id, payload, invoked_arn, client_context, timeout_s) -> dict:
        return {
            "type": "invoke",
            "request_id": request_id,
            "event": payload.decode("utf-8"),
            "invoked_function_arn": invoked_arn,
            "timeout_ms": int(timeout_s * 1000),  # the runtime's deadline starts when the invocation does
            "client_context": client_context,
            "trace_id": f"Root=1-{int(self.cloud.clock()):08x}-{self.cloud.random.getrandbits(96):024x};Sampled=0",
        }

    def _conclude(
        self,
        function,
        environment,
        request_id,
        outcome: Outcome,
        duration_ms,
        init_ms,
        init_output,
        start_line,
        timeout_s,
        memory_mb,
        cause,
        key,
    ) -> Invocation:
        output = outcome.output.decode("utf-8", "replace")
        if outcome.dropped_output:
            output += f"[labs.runtime: {outcome.dropped_output} bytes of output dropped past the 1 MiB cap]\n"
        frame = outcome.frame or {}
        rss_kb = frame.get("max_rss_kb") if isinstance(frame.get("max_rss_kb"), int) else 0
        keep = False
        if outcome.kind == "timeout":
            environment.kill()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.cloud.clock()))
            output += f"{stamp}.000Z {request_id} Task timed out after {timeout_s:.2f} seconds\n"
            message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
            body, error_type, status = (
                error_payload("Sandbox.Timedout", message),
                "Sandbox.Timedout",
                "timeout",
            )
            duration_ms = max(duration_ms, timeout_s * 1000)
        elif (
            outcome.kind != "frame"
            or frame.get("type") != "result"
            or frame.get("oom")
            or rss_kb > memory_mb * 1024
        ):
            exit_report = outcome.exit if outcome.kind == "exited" else environment.kill()
            oom = (
                bool(frame.get("oom"))
                or rss_kb > memory_mb * 1024
                or int(exit_report.get("max_rss_kb", 0) or 0) > memory_mb * 1024
            )
            if oom or exit_report.get("signal") == 9:
                reason = "signal: killed"
            elif "signal" in exit_report:
                reason = f"signal: {exit_report['signal']}"
            elif outcome.kind == "protocol_error" or outcome.kind == "frame":
                reason = "invalid response from the runtime"
            else:
                reason = f"exit status {exit_report.get('code', 1)}"
            error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
            body = error_payload(
                error_type, f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            )
            status = "error"
            if oom:
                rss_kb = max(rss_kb, memory_mb * 1024)
        elif isinstance(frame.get("error"), dict):
            raw = frame["error"]
            error = {
                "errorMessage": str(raw.get("errorMessage", "")),
                "errorType": str(raw.get("errorType", "Exception")),
                "requestId": request_id,
                "stackTrace": [str(line) for line in raw.get("stackTrace", [])][:100],
            }
            body, error_type, status, keep = json.dumps(error).encode(), error["errorType"], None, True
        elif isinstance(frame.get("payload"), str):
            body, error_type, status, keep = frame["payload"].encode("utf-8"), None, None, True
            if len(body) > SYNC_PAYLOAD_LIMIT:
                message = f"Response payload size exceeded maximum allowed payload size ({SYNC_PAYLOAD_LIMIT} bytes)."
                body, error_type = (
                    error_payload("Function.ResponseSizeTooLarge", message),
                    "Function.ResponseSizeTooLarge",
                )
        else:
            environment.kill()
            body = error_payload(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: invalid response from the runtime",
            )
            error_type, status = "Runtime.ExitError", "error"
        if keep and environment.alive:
            idle = self._idle.setdefault(key, [])
            idle.append(environment)
            self._trim_idle()
        environment.invocations += 1
        return self._finish(
            function,
            environment,
            request_id,
            body,
            "Unhandled" if error_type else None,
            error_type,
            init_output,
            start_line,
            output,
            duration_ms,
            init_ms,
            rss_kb,
            cause,
            status=status,
        )

    def _finish(
        self,
        function,
        environment,
        request_id,
        body,
        function_error,
        error_type,
        init_output,
        start_line,
        output,
        duration_ms,
        init_ms,
        rss_kb,
        cause,
        status=None,
    ) -> Invocation:
        memory_mb = int(function.memory_size)
        billed_ms = math.ceil(duration_ms) + (math.ceil(init_ms) if init_ms else 0)
        used_mb = min(max(math.ceil(rss_kb / 1024), 1), memory_mb) if rss_kb else 1
        report = f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {used_mb} MB"
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        if status:
            report += f"\tStatus: {status}" + (f"\tError Type: {error_type}" if status != "timeout" else "")
        text = init_output + start_line + output + f"END RequestId: {request_id}\n" + report + "\n"
        self._write_logs(function, getattr(environment, "log_stream", "unknown"), text)
        invocation = Invocation(
            request_id=request_id,
            function_arn=function.function_arn,
            executed_version=str(function.version),
            status_code=200,
            payload=body,
            function_error=function_error,
            error_type=error_type,
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
        environment.trace_entry.update(record, status="done", logs=text[-LOG_TAIL_BYTES:])
        return invocation

    def _trim_idle(self) -> None:
        environments = [env for envs in self._idle.values() for env in envs]
        for environment in environments[: max(len(environments) - MAX_IDLE_ENVIRONMENTS, 0)]:
            self._idle[environment.key].remove(environment)
            environment.discard()

    # -- the Invoke API ------------------------------------------------------------------------------------
    def invoke_api(
        self, parsed: wire.ParsedRequest, headers: dict[str, str], body: bytes, cause: int | None
    ) -> tuple[int, dict, bytes]:
        """Answer Lambda's Invoke operation on the wire (status, headers, body), as AWS does."""
        lowered = {k.lower(): v for k, v in headers.items()}
        invocation_type = lowered.get("x-amz-invocation-type", "RequestResponse")
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
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            return wire.error_response(
                "lambda",
                400,
                "InvalidParameterValueException",
                f"Unsupported invocation type {invocation_type}",
            )
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(body) > limit:
            return wire.error_response(
                "lambda",
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            )
        try:
            json.loads(body or b"{}")
        except ValueError as error:
            return wire.error_response(
                "lambda",
                400,
                "InvalidRequestContentException",
                f"Could not parse request body into json: {error}",
            )
        if invocation_type == "DryRun":
            return 204, {"x-amzn-RequestId": self.cloud.new_request_id()}, b""
        if invocation_type == "Event":
            # Accepted onto the function's queue whatever its concurrency: throttling happens when the queue
            # is read, and is retried there (async_invoke).
            request_id = self.cloud.async_invoker.accept(name, qualifier, body or b"{}", cause)
            return 202, {"x-amzn-RequestId": request_id}, b""
        reason = self.concurrency.throttled(function, cause)
        if reason:
            status, response_headers, _ = wire.error_response(
                "lambda", 429, "TooManyRequestsException", "Rate Exceeded."
            )
            throttle = {
                "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"
                if reason == "injected"
                else reason,
                "Type": "User",
                "message": "Rate Exceeded.",
            }
            return status, response_headers, json.dumps(throttle).encode()
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
        result = self.invoke(name, body or b"{}", qualifier, client_context, cause)
        response_headers = {
            "x-amzn-RequestId": result.request_id,
            "X-Amz-Executed-Version": result.executed_version,
            "Content-Type": "application/json",
        }
        if result.function_error:
            response_headers["X-Amz-Function-Error"] = result.function_error
        if lowered.get("x-amz-log-type") == "Tail":
            response_headers["X-Amz-Log-Result"] = result.log_tail
        return 200, response_headers, result.payload

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
