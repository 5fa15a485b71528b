"""The Lambda Python runtime as it runs INSIDE an execution environment (the role of AWS's awslambdaric).

Loaded by ``forkserver`` in the fork server, so that every environment starts with boto3 and botocore
already imported. ``run`` then: sets the function's environment variables, routes every botocore HTTP request
over the private channel (fd passed in; never stdout), installs Lambda's log format on the root logger,
imports the handler module (the init phase), and answers ``invoke`` frames one at a time.

Shapes copied from the Python runtime (awslambdaric): log records are
``[LEVEL]\\t<UTC time>.<ms>Z\\t<request id>\\t<message>``; an unhandled exception is returned as
``errorMessage`` / ``errorType`` / ``requestId`` / ``stackTrace`` and logged as ``[ERROR] Type: message`` plus
the traceback; init failures are ``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
``Runtime.UserCodeSyntaxError``; an unserializable result is ``Runtime.MarshalError``.
See https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html and python-logging.html.
"""

from __future__ import annotations

import base64
import decimal
import importlib
import io
import json
import logging
import os
import sys
import threading
import time
import traceback

import framing

__all__ = ["LambdaContext", "preload", "run"]

_PRELOADED_SERVICES = ("s3", "dynamodb", "sqs", "sns", "ses", "sts", "logs", "lambda")
_channel_fd = -1
_early_invokes: list[dict] = []
_current_request_id = ""
# One request at a time on the channel: a handler's threads (the durable execution SDK checkpoints from a
# background thread while the handler's own thread calls AWS) would otherwise interleave frames and take
# each other's answers.
_channel_lock = threading.Lock()


def preload() -> None:
    """Import boto3 and warm its default session's model caches (runs once, in the fork server)."""
    import boto3
    import botocore.httpsession

    boto3.setup_default_session(region_name="us-east-1")
    session = boto3.DEFAULT_SESSION
    for name in _PRELOADED_SERVICES:
        session.client(name, aws_access_key_id="preload", aws_secret_access_key="preload")  # noqa: S106
    for name in ("s3", "dynamodb", "sqs", "sns"):
        session.resource(name, aws_access_key_id="preload", aws_secret_access_key="preload")  # noqa: S106
    botocore.httpsession.URLLib3Session.send = _send_over_channel


class _RawBody(io.BytesIO):
    """A response body botocore can both ``read()`` and ``stream()``."""

    def stream(self, amt: int = 65536, **_: object):
        while chunk := self.read(amt):
            yield chunk


def _send_over_channel(self: object, request: object) -> object:
    """Replacement for ``URLLib3Session.send``: the request goes to the host, never to the network."""
    from botocore.awsrequest import AWSResponse

    body = request.body
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        body = body.read()
        if position is not None and hasattr(body, "seek"):
            request.body.seek(position)
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {
        str(key): value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for key, value in request.headers.items()
    }
    frame = {
        "type": "aws_request",
        "method": request.method,
        "url": request.url,
        "headers": headers,
        "body": base64.b64encode(body or b"").decode("ascii"),
    }
    with _channel_lock:
        framing.write_frame(_channel_fd, frame)
        reply = framing.read_frame(_channel_fd)
        while reply is not None and reply.get("type") == "invoke":
            # The first event, sent along with the spawn, can be ahead of the answer to a call made at init.
            _early_invokes.append(reply)
            reply = framing.read_frame(_channel_fd)
    if reply is None:
        os._exit(0)  # the host has gone: nothing left to do
    raw = _RawBody(base64.b64decode(reply["body"]))
    return AWSResponse(request.url, reply["status"], reply["headers"], raw)


class LambdaContext:
    """The context object Lambda passes to a Python handler (same attribute and method names)."""

    def __init__(self, invoke: dict, spec: dict) -> None:
        self.aws_request_id = invoke["request_id"]
        self.function_name = spec["function_name"]
        self.function_version = spec["function_version"]
        self.invoked_function_arn = invoke["invoked_function_arn"]
        self.memory_limit_in_mb = str(spec["memory_mb"])
        self.log_group_name = spec["log_group_name"]
        self.log_stream_name = spec["log_stream_name"]
        self.identity = _Namespace(
            invoke.get("identity") or {"cognito_identity_id": None, "cognito_identity_pool_id": None}
        )
        client_context = invoke.get("client_context")
        self.client_context = _Namespace(client_context) if client_context else None
        # tenant-isolation-context.html: the invocation's tenant identifier (None without tenant isolation)
        self.tenant_id = invoke.get("tenant_id")
        self._deadline_ms = int(time.time() * 1000) + int(invoke["timeout_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


class _Namespace:
    def __init__(self, values: dict) -> None:
        for key, value in values.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__})"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


class _LambdaLogHandler(logging.Handler):
    """Writes each record as one CloudWatch-style line to the function's output."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
            sys.stdout.flush()
        except Exception:  # noqa: BLE001 - logging must never break the handler
            self.handleError(record)


def _setup_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _error(error: BaseException, error_type: str | None = None, message: str | None = None) -> dict:
    stack = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])
    return {
        "errorMessage": message if message is not None else str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": _current_request_id,
        "stackTrace": stack,
    }


def _log_error(error: dict) -> None:
    text = f"[ERROR] {error['errorType']}: {error['errorMessage']}"
    if error["stackTrace"]:
        text += "\nTraceback (most recent call last):\n" + "".join(error["stackTrace"])
    sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


def _load_handler(handler_name: str) -> tuple[object | None, dict | None]:
    """The init phase: import the module and find the function, with the runtime's own error shapes."""
    module_name, _, function_name = handler_name.rpartition(".")
    if not module_name:
        return None, {
            "errorMessage": f"Bad handler '{handler_name}': not enough values to unpack (expected 2, got 1)",
            "errorType": "Runtime.MalformedHandlerName",
            "requestId": "",
            "stackTrace": [],
        }
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        return None, {
            "errorMessage": message,
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        }
    except SyntaxError as error:
        message = f"Syntax error in module '{module_name}': {error}"
        return None, {
            "errorMessage": message,
            "errorType": "Runtime.UserCodeSyntaxError",
            "requestId": "",
            "stackTrace": [],
        }
    except Exception as error:  # noqa: BLE001 - an exception raised by module-level code is an init error
        return None, _error(error)
    _quicken_durable_sdk()
    function = getattr(module, function_name, None)
    if function is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, {
            "errorMessage": message,
            "errorType": "Runtime.HandlerNotFound",
            "requestId": "",
            "stackTrace": [],
        }
    return function, None


def _quicken_durable_sdk() -> None:
    """The durable execution SDK's checkpoint thread notices the end of an invocation by polling every 100 ms
    (``state._STOP_SIGNAL_POLL_SECONDS``), so each suspension would cost up to 100 ms of wall time; here, where a
    workflow's days of waits take no time, it polls every 2 ms. Nothing else about the SDK changes."""
    state = sys.modules.get("aws_durable_execution_sdk_python.state")
    if state is not None and getattr(state, "_STOP_SIGNAL_POLL_SECONDS", 0) > 0.002:
        state._STOP_SIGNAL_POLL_SECONDS = 0.002


class _Encoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, decimal.Decimal):
            return float(o)
        return super().default(o)


def _invoke(handler: object, invoke: dict, spec: dict) -> dict:
    global _current_request_id
    _current_request_id = invoke["request_id"]
    os.environ["_X_AMZN_TRACE_ID"] = invoke.get("trace_id", "")
    context = LambdaContext(invoke, spec)
    outcome: dict = {"type": "result", "request_id": invoke["request_id"]}
    try:
        result = handler(json.loads(invoke["event"]), context)
    except MemoryError:
        outcome["oom"] = True
        return outcome
    except Exception as error:  # noqa: BLE001 - the handler's unhandled exception is the invocation's result
        outcome["error"] = _error(error)
        _log_error(outcome["error"])
        return outcome
    try:
        outcome["payload"] = json.dumps(result, cls=_Encoder)
    except (TypeError, ValueError) as error:
        outcome["error"] = {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
            "requestId": _current_request_id,
            "stackTrace": [],
        }
        _log_error(outcome["error"])
    return outcome


def run(channel_fd: int, spec: dict, output_fd: int) -> None:
    """Serve one execution environment until the host closes its channel.

    Output goes to fds 1 and 2 (the init phase's pipe) until the init frame is sent, then to ``output_fd``.
    """
    global _channel_fd
    _channel_fd = channel_fd
    os.environ.clear()
    os.environ.update(spec["environment"])
    sys.path[:0] = [path for path in spec["python_path"] if path not in sys.path]
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), encoding="utf-8", line_buffering=True)
    sys.stderr = sys.stdout
    _setup_logging()
    try:
        handler, init_error = _load_handler(spec["handler"])
    except MemoryError:
        handler, init_error = (
            None,
            {"errorType": "Runtime.OutOfMemory", "errorMessage": "", "requestId": "", "stackTrace": []},
        )
    except BaseException as error:  # noqa: BLE001 - sys.exit() at import time is also an init failure
        handler, init_error = None, _error(error, "Runtime.ExitError")
    if init_error is not None:
        _log_error(init_error)
    sys.stdout.flush()
    # No durations or memory figures: the host measures both itself (a frame is something the handler
    # could write too).
    framing.write_frame(channel_fd, {"type": "init", "error": init_error})
    if init_error is not None:
        return
    os.dup2(output_fd, 1)  # everything written so far was flushed before the init frame
    os.dup2(output_fd, 2)
    os.close(output_fd)
    while True:
        invoke = _early_invokes.pop(0) if _early_invokes else framing.read_frame(channel_fd)
        if invoke is None:
            return
        outcome = _invoke(handler, invoke, spec)
        sys.stdout.flush()
        framing.write_frame(channel_fd, outcome)
