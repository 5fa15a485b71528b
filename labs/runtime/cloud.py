"""``Cloud``: one simulated AWS account and region, in this process, spoken to with boto3.

``cloud.client("s3")`` returns a real boto3 client whose HTTP sending is replaced, for that client only, by
this account's dispatcher: no global patching, nothing reaches the network. The dispatcher sends Lambda's
Invoke to ``LambdaService`` (our code runs the function) and everything else to moto's in-process request
handling, under this Cloud's own account id so that two Clouds never share state.

Requests from handlers arrive through ``serve_environment_request``: they are parsed by the host
(``core/wire.py``), authorized against the function's execution role (``iam/authorization.py``), traced, then
dispatched the same way. Host clients are the account's administrator: graders are trusted, so their calls
are not authorized, only traced.
"""

from __future__ import annotations

import base64
import itertools
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable

import moto.backend_index
import moto.backends
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from labs.runtime import request_checks
from labs.runtime.apigateway.gateway import ApiGateway
from labs.runtime.awslambda import wheelhouse
from labs.runtime.awslambda.async_invoke import AsyncInvoker
from labs.runtime.awslambda.service import LambdaService
from labs.runtime.backends import clock as moto_clock
from labs.runtime.backends import hooks as moto_hooks
from labs.runtime.backends import rekognition
from labs.runtime.backends import sqs as moto_sqs
from labs.runtime.core import client_pool, wire
from labs.runtime.core.faults import Faults
from labs.runtime.core.scheduler import Scheduler
from labs.runtime.core.trace import Trace
from labs.runtime.durable.api import OPERATIONS as DURABLE_OPERATIONS
from labs.runtime.durable.api import DurableApi
from labs.runtime.eventbridge.bus import EventBus
from labs.runtime.eventsources.sqs import SqsPoller
from labs.runtime.eventsources.streams import StreamPoller
from labs.runtime.functionurls import config as function_url_config
from labs.runtime.functionurls import serving as function_url_serving
from labs.runtime.iam import authorization
from labs.runtime.iam.managed import ensure_aws_managed_policy
from labs.runtime.iam.policy import Decision
from labs.runtime.notifications import s3_events
from labs.runtime.notifications.sns_delivery import SnsDelivery
from labs.runtime.sandbox.codestore import ACCOUNT_CODE_LIMIT, AccountCode
from labs.runtime.sandbox.framing import FrameError, require
from labs.runtime.sandbox.host import resolve_mode
from labs.runtime.stepfunctions.service import StepFunctionsService

__all__ = ["Cloud"]

_account_ids = itertools.count(100000000001)


def _prepare_client(client, cloud_of: Callable[[], Cloud]) -> None:
    """What a new host client needs beyond its sending: API Gateway's handlers for what moto drops."""
    if client.meta.service_model.service_name in ("apigateway", "apigatewayv2"):
        ApiGateway.install_hooks(client.meta.events, cloud_of)
    for operation in ("AttachRolePolicy", "AttachUserPolicy", "AttachGroupPolicy"):  # AWS managed policies
        client.meta.events.register(
            f"provide-client-params.iam.{operation}",
            lambda params, **_: ensure_aws_managed_policy(cloud_of().account_id, params.get("PolicyArn")),
            unique_id=f"labs-aws-managed-policy-{operation}",
        )


_MAX_URL, _MAX_HEADERS, _MAX_BODY = 16384, 200, 8 * 1024 * 1024


class Cloud:
    """One simulated account. Use as a context manager, or call ``close()`` when done.

    ``sandbox`` is None (bubblewrap; unsafe only with LABS_RUNTIME_UNSAFE_NO_SANDBOX=1), "bwrap" or
    "unsafe". Time is simulated: ``cloud.scheduler`` holds every delayed action (retries, later deliveries)
    and its clock starts at ``start_time`` (epoch seconds; the current second by default) and moves only when
    the simulation runs (``run_until_idle``, ``run_for``). ``seed`` seeds the simulation's random choices
    (retry jitter, sampling): with the same seed and start time, a run behaves the same. Ids (request ids, log
    stream names, generated resource names) are fresh for every ``Cloud`` unless ``id_seed`` is given too; with
    both, a run produces the same trace, ids included. ``concurrency_limit``
    is the account's concurrent executions quota; functions without reserved concurrency share what the
    reservations leave of it. ``code_limit_bytes`` bounds what the account's function code and layers may
    unpack to on the host (``sandbox/codestore.py``); the unpacked code is deleted when the account closes.
    Raises ``SandboxUnavailableError`` when no sandbox can be made and unsafe mode was not chosen.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str | None = None,
        sandbox: str | None = None,
        start_time: float | None = None,
        seed: int | None = None,
        concurrency_limit: int = 1000,
        id_seed: int | None = None,
        code_limit_bytes: int = ACCOUNT_CODE_LIMIT,
    ) -> None:
        self.sandbox_mode = resolve_mode(sandbox)
        self.code = AccountCode(code_limit_bytes)
        if concurrency_limit < 1:
            raise ValueError(f"concurrency_limit must be at least 1, got {concurrency_limit}")
        self.concurrency_limit = (
            concurrency_limit  # the account's concurrent executions (AWS's default: 1,000)
        )
        self.region = region
        self.account_id = account_id or f"{next(_account_ids):012d}"
        self.scheduler = Scheduler(start=float(int(time.time())) if start_time is None else start_time)
        self.clock: Callable[[], float] = self.scheduler.now
        self.random = random.Random(seed)  # noqa: S311 - simulated behaviour (jitter, sampling); seeded so runs repeat
        # Ids (request ids, log streams, generated names, session keys) come from their own source, fresh for every
        # run unless ``id_seed`` is given: two gradings of the same code behave the same, yet no student reads an
        # old result's request id again, as on AWS where an id is never reused.
        self.ids = random.Random(id_seed)  # noqa: S311 - not secrets: the sandbox's keys are only checked here
        self.trace = Trace()
        self._lock = threading.RLock()
        self._stubber = BotocoreStubber()
        self._role_clients: dict[tuple, object] = {}
        self._leases: list[client_pool.ClientLease] = []  # pooled host clients, given back at close()
        self._stubber.enabled = True
        self._session = client_pool.boto3_session(region)
        self.lambda_ = LambdaService(self)
        self.durable = DurableApi(self)  # Lambda durable functions
        self.async_invoker = AsyncInvoker(self)
        self.sqs_poller = SqsPoller(self)
        self.stepfunctions = StepFunctionsService(self)
        self.s3_events = s3_events.S3Notifier(self)
        self.sns_delivery = SnsDelivery(self)
        self.eventbridge_bus = EventBus(self)
        self.faults = Faults(self)
        self.apigateway = ApiGateway(self)
        self.function_urls = function_url_config.FunctionUrls(self)  # Lambda function URLs (not moto's)
        self._effects: list[list] = []  # one list per API call being served (calls nest: handler -> host)
        self._notification_before = None  # a bucket's configuration while S3 validates a new one
        self.message_causes: dict[str, int] = {}  # SQS message id -> the trace record that sent it
        self.stream_poller = StreamPoller(self)
        self.scheduler.add_idle_hook(self.sqs_poller.poll)
        self.scheduler.add_idle_hook(self.stream_poller.poll)
        moto_hooks.register(self)  # S3 notifications, SNS deliveries and EventBridge targets come to us
        moto_sqs.install()

    # -- public helpers (what AWS has no API for) ---------------------------------------------------------
    def client(self, service_name: str, **kwargs: object):
        """A real boto3 client for ``service_name`` bound to this account (in-process, no network).

        Without options it is lent from a pool (``client_pool``): it serves this account until ``close()``,
        after which it refuses to send."""
        if not kwargs:
            leased = client_pool.lease(self, self._session, self.region, service_name, _prepare_client)
            if leased is not None:
                self._leases.append(leased)
                return leased.client
        client = self._session.client(service_name, **kwargs)
        client.meta.events.register_first("before-send", self._send_from_host)
        _prepare_client(client, lambda: self)
        return client

    def client_as_role(self, service_name: str, role_arn: str, session_name: str, cause: int | None = None):
        """A boto3 client whose calls are made as ``role_arn`` (authorized against its policies), the way a
        service such as Step Functions acts with its role; ``cause`` is the trace record its calls point
        back to. A role that does not exist gives a host client."""
        if not role_arn or not authorization.role_exists(self.account_id, role_arn):
            return self.client(service_name)
        # Creating a boto3 client costs tens of milliseconds, and Step Functions asks for one per task: keep
        # one per (service, role, session). Safe because the role's policies are read at every request.
        cache_key = (service_name, role_arn, session_name, cause)
        if cache_key in self._role_clients:
            return self._role_clients[cache_key]
        role_name = role_arn.rsplit("/", 1)[-1]
        principal = {
            "role_arn": role_arn,
            "session_arn": f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{session_name}",
            "function_arn": "",
            "invocation_seq": cause,
        }
        client = self._session.client(service_name)
        client.meta.events.register_first("before-send", lambda request, **_: self._send(request, principal))
        _prepare_client(client, lambda: self)
        self._role_clients[cache_key] = client
        return client

    def resource(self, service_name: str, **kwargs: object):
        """A boto3 resource (``cloud.resource("dynamodb").Table(...)``) bound to this account."""
        resource = self._session.resource(service_name, **kwargs)
        resource.meta.client.meta.events.register_first("before-send", self._send_from_host)
        _prepare_client(resource.meta.client, lambda: self)
        return resource

    def http_request(self, method: str, url: str, headers=None, body=None, **options):
        """Call a REST or HTTP API, or a Lambda function URL, as an HTTP client would: an ``HttpResponse``."""
        with self._lock:
            if function_url_serving.HOST.match(url.partition("//")[2].partition("/")[0].partition("?")[0]):
                return function_url_serving.serve_function_url(self, method, url, headers, body, **options)
            return self.apigateway.http_request(method, url, headers, body, **options)

    def run_until_idle(self, max_events: int = 1_000_000) -> int:
        """Run the simulation until nothing is left to do (retries included); returns the events run."""
        with self._lock:
            return self.scheduler.run_until_idle(max_events)

    def run_for(self, seconds: float) -> int:
        """Run what is due in the next ``seconds`` of simulated time, then move the clock to that time."""
        with self._lock:
            return self.scheduler.run_for(seconds)

    def run_pending(self) -> list:
        """Run until idle and return the invocations that ran meanwhile (asynchronous ones, retries too)."""
        with self._lock:
            first = len(self.async_invoker.completed)
            self.scheduler.run_until_idle()
            return self.async_invoker.completed[first:]

    def simulated_moto_time(self):
        """A context in which moto's SQS reads this account's simulated clock."""
        return moto_clock.simulated(self.clock)

    def role_allows(self, role_arn: str, action: str, resource: str) -> Decision:
        """Whether the role's identity policies allow ``action`` on ``resource`` (for what a service does
        with a function's role: sending to its destinations and dead-letter queue)."""
        return authorization.role_allows(self.account_id, role_arn, action, resource)

    def principal_for(self, function, invocation_seq: int) -> dict:
        """The principal a function's requests are made as: its execution role, in a session named after it."""
        return authorization.function_principal(self.account_id, function, invocation_seq)

    def after_call(self, action: Callable[[int | None], object], label: str = "") -> None:
        """Run ``action(cause)`` asynchronously (at the current simulated time, once the simulation runs),
        ``cause`` being the trace record of the API call that triggered it: S3 notifications, SNS deliveries
        and EventBridge routing are asynchronous on AWS, and their trace records point back at the call."""
        if self._effects:
            self._effects[-1].append((action, label))
        else:
            self.scheduler.call_later(0, lambda: action(None), label)

    def outbox(self, channel: str | None = None) -> list[dict]:
        """Messages that left the account: SES e-mail and SNS e-mail/HTTP/SMS deliveries, in order. Each is
        ``{"channel", "to", "subject", "body", "time", ...}``; ``channel`` filters by prefix (``"ses"``, ``"sns"``)."""
        messages = list(self.sns_delivery.outbox)
        if "moto.ses.models" in sys.modules:
            from moto.ses.models import ses_backends

            for sent in ses_backends[self.account_id][self.region].sent_messages:
                destinations = getattr(sent, "destinations", {})
                if isinstance(destinations, dict):
                    to = [
                        a
                        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
                        for a in destinations.get(kind, [])
                    ]
                else:
                    to = list(destinations or [])
                messages.append(
                    {
                        "channel": "ses:email",
                        "to": to,
                        "from": getattr(sent, "source", ""),
                        "subject": getattr(sent, "subject", getattr(sent, "template", "")),
                        "body": getattr(
                            sent, "body", getattr(sent, "raw_data", getattr(sent, "template_data", ""))
                        ),
                    }
                )
        return [m for m in messages if channel is None or m["channel"].startswith(channel)]

    def new_request_id(self) -> str:
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    def reset(self) -> None:
        """Forget everything: functions, environments, every resource of this account, and the trace."""
        with self._lock:
            self.lambda_.close()
            self.code.remove()  # after its environments are gone: the unpacked code of every function
            self.apigateway.close()
            self.function_urls.clear()
            if "moto.s3.models" in sys.modules:
                from moto.s3.models import s3_backends

                for name, (_, owner) in list(s3_backends.bucket_accounts.items()):
                    if owner == self.account_id:
                        del s3_backends.bucket_accounts[name]  # bucket names are global, as on AWS
            loaded = {
                name for name, _ in moto.backend_index.backend_url_patterns if f"moto.{name}" in sys.modules
            }
            for service in sorted(loaded | {"lambda", "logs", "iam"}):
                try:
                    backend_dict = moto.backends.get_backend(service)
                except (KeyError, ModuleNotFoundError, AttributeError, ValueError):
                    continue
                if isinstance(backend_dict, dict):
                    backend_dict.pop(self.account_id, None)
            # moto also keeps every model object it ever made in a list on its class (for its server's
            # dashboard; nothing here reads them): without this, each account closed in a long-running
            # worker would stay in memory for good (~20 KB a grading, more with S3 objects).
            if "moto.core.model_instances" in sys.modules:
                from moto.core.model_instances import reset_model_data

                reset_model_data()
            self.trace.clear()
            self.message_causes.clear()
            self._role_clients.clear()
            self.scheduler.clear()
            self.async_invoker.completed.clear()
            self.stepfunctions = StepFunctionsService(self)
            self.s3_events = s3_events.S3Notifier(self)
            self.sns_delivery = SnsDelivery(self)
            self.eventbridge_bus = EventBus(self)
            self.faults = Faults(self)

    def close(self) -> None:
        """Kill this account's environments and drop its state (the shared fork server stays warm); its
        pooled clients go back to the pool."""
        self.reset()
        client_pool.release(self._leases)

    def __enter__(self) -> Cloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- dispatching ------------------------------------------------------------------------------------------
    def _send_from_host(self, request: AWSPreparedRequest, **_: object) -> AWSResponse:
        return self._send(request, None)

    def _send(self, request: AWSPreparedRequest, principal: dict | None) -> AWSResponse:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {
            k: v.decode("latin-1") if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
        }
        status, response_headers, response_body = self.dispatch(
            request.method, request.url, headers, body or b"", principal
        )
        return AWSResponse(request.url, status, response_headers, MockRawResponse(response_body))

    def dispatch(
        self, method: str, url: str, headers: dict[str, str], body: bytes, principal: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one AWS request for this account; ``principal`` is None for the trusted host."""
        with self._lock:
            started = time.perf_counter()
            try:
                parsed = wire.parse_request(method, url, headers, body, self.account_id)
            except ValueError as error:
                if principal is not None:
                    return 400, {}, f"labs.runtime cannot serve this request: {error}".encode()
                parsed = None  # the trusted host may use any service moto has (IAM, EventBridge, ...)
            cause = principal.get("invocation_seq") if principal else None
            response = authorization.authorize(self, parsed, principal) if principal and parsed else None
            if response is None and principal and parsed:
                response = self.faults.service_error_for(parsed.service, parsed.operation, cause)
            self._effects.append([])
            try:
                if response is None:
                    response = self._serve(parsed, method, url, headers, body, principal, cause)
            finally:
                effects = self._effects.pop()
            call = None
            if parsed is not None:
                call = self.trace.api_call(
                    self.clock(),
                    cause=cause,
                    principal=principal["session_arn"] if principal else "host",
                    service=parsed.service,
                    operation=parsed.operation,
                    resource=parsed.resources[0],
                    status=response[0],
                    outcome="ok" if response[0] < 400 else "error",
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )
            effect_cause = call["seq"] if call is not None else cause
            if call is not None and parsed.service == "sqs" and parsed.operation.startswith("SendMessage"):
                request_checks.remember_sent_messages(self, response, call["seq"])
            for action, label in effects:
                self.scheduler.call_later(0, lambda a=action: a(effect_cause), label)
            return response

    def _serve(self, parsed, method, url, headers, body, principal, cause) -> tuple[int, dict, bytes]:
        if parsed is not None and parsed.service == "lambda":
            if parsed.operation in ("CreateEventSourceMapping", "UpdateEventSourceMapping"):
                invalid = self.stream_poller.check_request(parsed.operation, parsed.params)
                if invalid is not None:
                    return invalid
                scaling = self.sqs_poller.check_request(parsed.operation, parsed.params)
                if scaling is not None:
                    return wire.error_response("lambda", 400, *scaling)
            if parsed.operation in ("Invoke", "InvokeWithResponseStream"):
                return self.lambda_.invoke_api(parsed, headers, body, cause)
            if parsed.operation in function_url_config.OPERATIONS:
                return self.function_urls.handle(parsed)
            if parsed.operation in DURABLE_OPERATIONS:
                return self.durable.handle(parsed, url, body, cause)
        if parsed is not None and parsed.service == "stepfunctions":
            return self.stepfunctions.handle(parsed.operation, body)
        if parsed is not None and parsed.service == "rekognition":
            if parsed.operation != "DetectLabels":
                return wire.error_response(
                    "rekognition", 400, "UnsupportedOperation", f"{parsed.operation} is not simulated"
                )
            return rekognition.handle(body, self._read_object)
        if parsed is not None and principal is not None and parsed.operation == "GetCallerIdentity":
            return authorization.caller_identity(self, principal)
        if parsed is not None:
            body = request_checks.rewrite(parsed, body)
            refused = request_checks.refuse(self, parsed, body)
            if refused is not None:
                return refused
        if (
            parsed is not None
            and parsed.service == "lambda"
            and parsed.operation in wheelhouse.FUNCTION_WRITES
        ):
            # requirements.txt and public layers (the wheelhouse) are checked, and moto sees only its layers
            forward = lambda checked: self._moto(method, url, headers, checked)  # noqa: E731
            response = wheelhouse.serve_function_write(self, parsed.operation, body, forward)
        else:
            response = self._moto(method, url, headers, body)
        if parsed is not None and response[0] < 300:
            response = request_checks.after(self, parsed, body, response)
        if parsed is not None and parsed.service == "lambda" and "EventSourceMapping" in parsed.operation:
            self.sqs_poller.detach_from_moto()  # moto would invoke through Docker; the poller owns mappings
            self.stream_poller.mapping_changed(parsed.operation, response)
        return response

    def _moto(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        request = AWSPreparedRequest(
            method, url, {**headers, "x-moto-account-id": self.account_id}, body, False
        )
        try:
            with self.simulated_moto_time():
                response = self._stubber.process_request(request)
        except (ValueError, KeyError, TypeError) as error:
            # moto raises where AWS answers a ValidationException (a malformed DynamoDB expression, an undefined
            # expression value): the caller, a handler above all, gets that answer, not the host a traceback
            service = wire.signing_service(headers) or "dynamodb"
            message = f"The request is not valid: {type(error).__name__}: {error}"
            return wire.error_response(service, 400, "ValidationException", message)
        if response is None:
            return 404, {}, b"not served by this simulated account"
        status, response_headers, response_body = response
        if isinstance(response_body, str):
            response_body = response_body.encode("utf-8")
        return status, {str(k): str(v) for k, v in dict(response_headers).items()}, response_body or b""

    # -- requests from execution environments (untrusted) -------------------------------------------------
    def _read_object(self, bucket: str, key: str) -> bytes | None:
        try:
            return self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception:  # noqa: BLE001 - any failure reads as "no such object", as Rekognition reports it
            return None

    def serve_environment_request(self, frame: dict, principal: dict) -> dict:
        """Answer one ``aws_request`` frame from an environment; every field is checked before use."""
        try:
            require(frame, {"method": str, "url": str, "headers": dict, "body": str})
            if frame["method"] not in ("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"):
                raise FrameError(f"HTTP method {frame['method']!r} is not allowed")
            if len(frame["url"]) > _MAX_URL or len(frame["headers"]) > _MAX_HEADERS:
                raise FrameError("URL or headers too large")
            headers = {str(k): str(v) for k, v in frame["headers"].items() if isinstance(v, str)}
            body = base64.b64decode(frame["body"], validate=True)
            if len(body) > _MAX_BODY:
                raise FrameError("request body too large")
        except (FrameError, ValueError) as error:
            return {
                "type": "aws_response",
                "status": 400,
                "headers": {},
                "body": base64.b64encode(str(error).encode()).decode(),
            }
        status, response_headers, response_body = self.dispatch(
            frame["method"], frame["url"], headers, body, principal
        )
        return {
            "type": "aws_response",
            "status": status,
            "headers": response_headers,
            "body": base64.b64encode(response_body).decode("ascii"),
        }
