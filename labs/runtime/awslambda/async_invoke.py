"""Lambda's asynchronous invocation: the internal event queue, retries, dead-letter queues and destinations.

What AWS documents (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html and
.../invocation-async-retain-records.html), on the simulated clock:

- ``Invoke`` with ``InvocationType=Event`` (and S3, SNS, EventBridge) puts the event on the function's queue and
  answers 202 at once. The same request id is used for every attempt.
- A function error (an exception, a timeout, running out of memory) is retried ``MaximumRetryAttempts`` times
  (0 to 2, default 2): one minute before the first retry, two minutes before the second.
- A throttled attempt (reserved concurrency reached) goes back on the queue, retried after 1 s, then doubling up
  to 5 minutes, until the event is older than ``MaximumEventAgeInSeconds`` (60 to 21,600, default 6 hours).
  With reserved concurrency 0 events go straight to the failure handling, without retries.
- An event that fails every attempt or grows too old goes to the on-failure destination (an invocation record)
  and to the dead-letter queue (the event itself, with RequestID / ErrorCode / ErrorMessage attributes). A
  success goes to the on-success destination. Destinations are SQS queues, SNS topics, Lambda functions and
  EventBridge buses, and Lambda sends with the function's execution role: a role that may not send is a
  delivery failure (AWS's ``DestinationDeliveryFailures`` / ``DeadLetterErrors`` metrics), shown in the trace.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

__all__ = ["AsyncInvoker", "DEFAULT_MAX_EVENT_AGE_S", "DEFAULT_MAX_RETRY_ATTEMPTS", "invocation_record"]

DEFAULT_MAX_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE_S = 6 * 3600
RETRY_DELAYS_S = (60.0, 120.0)  # before the first and the second retry of a function error
THROTTLE_FIRST_DELAY_S, THROTTLE_MAX_DELAY_S = 1.0, 300.0
_DESTINATION_ACTIONS = {
    "sqs": "sqs:SendMessage",
    "sns": "sns:Publish",
    "lambda": "lambda:InvokeFunction",
    "events": "events:PutEvents",
}


@dataclass
class QueuedEvent:
    """One event on a function's asynchronous queue."""

    request_id: str
    function_name: str
    qualifier: str | None
    payload: bytes
    cause: int | None
    accepted_at: float
    attempts: int = 0  # attempts that ran the function
    tenant_id: str | None = None  # X-Amz-Tenant-Id of a tenant-isolated function's event
    throttle_delay_s: float = 0.0
    results: list = field(default_factory=list)


def _iso(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + f".{int(epoch_s * 1000) % 1000:03d}Z"


def invocation_record(event: QueuedEvent, function_arn: str, condition: str, result, now: float) -> dict:
    """AWS's invocation record for destinations (``condition``: Success, RetriesExhausted or
    EventAgeExceeded); ``result`` is the last ``Invocation`` or None when the function never ran."""
    try:
        request_payload = json.loads(event.payload or b"{}")
    except ValueError:
        request_payload = event.payload.decode("utf-8", "replace")
    record = {
        "version": "1.0",
        "timestamp": _iso(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": request_payload,
    }
    if result is not None:
        context = {"statusCode": 200, "executedVersion": result.executed_version}
        if result.function_error:
            context["functionError"] = result.function_error
        record["responseContext"] = context
        try:
            record["responsePayload"] = json.loads(result.payload) if result.payload else None
        except ValueError:
            record["responsePayload"] = result.payload.decode("utf-8", "replace")
    return record


class AsyncInvoker:
    """The asynchronous event queues of one account's functions, run on the account's scheduler."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.completed: list = []  # Invocation results, in the order they ran (what run_pending returns)
        self._clients: dict[str, object] = {}

    # -- accepting ------------------------------------------------------------------------------------------
    def accept(
        self,
        function_name: str,
        qualifier: str | None,
        payload: bytes,
        cause: int | None,
        tenant_id: str | None = None,
    ) -> str:
        """Queue an event for ``function_name``; returns the request id (the 202 answer's)."""
        event = QueuedEvent(
            request_id=self.cloud.new_request_id(),
            function_name=function_name,
            qualifier=qualifier,
            payload=payload or b"{}",
            cause=cause,
            accepted_at=self.cloud.clock(),
            tenant_id=tenant_id,
        )
        function = self.cloud.lambda_.get_function(function_name, qualifier)
        entry = self.cloud.trace.event_accepted(
            self.cloud.clock(),
            cause=cause,
            function_arn=function.function_arn,
            request_id=event.request_id,
        )
        event.cause = entry["seq"]
        self.cloud.scheduler.call_later(0, lambda: self._attempt(event), label=f"async {function_name}")
        return event.request_id

    # -- one attempt --------------------------------------------------------------------------------------
    def _attempt(self, event: QueuedEvent) -> None:
        lambda_ = self.cloud.lambda_
        function = lambda_.get_function(event.function_name, event.qualifier)
        config = self._config(function)
        now = self.cloud.clock()
        if now - event.accepted_at > config["MaximumEventAgeInSeconds"]:
            self._fail(event, function, config, "EventAgeExceeded", None)
            return
        reserved = function.reserved_concurrency
        if reserved is not None and int(reserved) == 0:
            self.cloud.trace.throttle(
                self.cloud.clock(), **self._about(event, function), reserved_concurrency=0
            )
            self._fail(event, function, config, "RetriesExhausted", None)
            return
        if lambda_.concurrency.throttled(function, event.cause, request_id=event.request_id):
            event.throttle_delay_s = min(
                max(event.throttle_delay_s * 2, THROTTLE_FIRST_DELAY_S), THROTTLE_MAX_DELAY_S
            )
            self._retry_later(event, event.throttle_delay_s, "throttled")
            return
        event.attempts += 1
        result = lambda_.invoke(
            event.function_name,
            event.payload,
            event.qualifier,
            None,
            event.cause,
            request_id=event.request_id,
            tenant_id=event.tenant_id,
        )
        self.completed.append(result)
        if not result.function_error:
            self._deliver(event, function, config, "OnSuccess", "Success", result)
            return
        retries_done = event.attempts - 1
        if retries_done < config["MaximumRetryAttempts"]:
            self._retry_later(event, RETRY_DELAYS_S[retries_done], "function_error")
            return
        self._fail(event, function, config, "RetriesExhausted", result)

    def _retry_later(self, event: QueuedEvent, delay_s: float, reason: str) -> None:
        function = self.cloud.lambda_.get_function(event.function_name, event.qualifier)
        self.cloud.trace.async_retry_scheduled(
            self.cloud.clock(), **self._about(event, function), reason=reason, delay_s=delay_s
        )
        self.cloud.scheduler.call_later(
            delay_s, lambda: self._attempt(event), label=f"async retry {event.function_name}"
        )

    def _fail(self, event: QueuedEvent, function, config: dict, condition: str, result) -> None:
        self.cloud.trace.async_failed(
            self.cloud.clock(), **self._about(event, function), condition=condition, attempts=event.attempts
        )
        self._deliver(event, function, config, "OnFailure", condition, result)
        target = self.cloud.lambda_.dead_letter_target(function.function_name)
        if target:
            self._send_to_dead_letter(event, function, target, result)

    # -- configuration --------------------------------------------------------------------------------------
    @staticmethod
    def _config(function) -> dict:
        # moto appends a configuration on every Put instead of replacing it: the last one is the current one.
        configs = getattr(function, "event_invoke_config", []) or []
        config = dict(configs[-1].config) if configs else {}
        config.setdefault("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS)
        config.setdefault("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)
        config.setdefault("DestinationConfig", {})
        return config

    # -- delivering records --------------------------------------------------------------------------------
    def _deliver(
        self, event: QueuedEvent, function, config: dict, which: str, condition: str, result
    ) -> None:
        destination = ((config.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if not destination:
            return
        record = invocation_record(
            event, self._qualified_arn(function), condition, result, self.cloud.clock()
        )
        service = destination.split(":")[2]
        body = json.dumps(record)
        if not self._allowed(event, function, service, destination, "destination"):
            return
        try:
            if service == "sqs":
                self._client("sqs").send_message(QueueUrl=self._queue_url(destination), MessageBody=body)
            elif service == "sns":
                self._client("sns").publish(TopicArn=destination, Message=body)
            elif service == "lambda":
                self.accept(destination, None, body.encode(), event.cause)
            elif service == "events":
                outcome = "Success" if which == "OnSuccess" else "Failure"
                self._client("events").put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": f"Lambda Function Invocation Result - {outcome}",
                            "Detail": body,
                            "Resources": [self._qualified_arn(function), destination],
                            "EventBusName": destination,
                        }
                    ]
                )
            else:
                raise ValueError(f"{service} is not a destination type Lambda supports")
        except Exception as error:  # noqa: BLE001 - any failure to deliver is recorded, as AWS's metric does
            self.cloud.trace.destination_failed(
                self.cloud.clock(), **self._about(event, function), destination=destination, error=str(error)
            )
            return
        self.cloud.trace.destination_delivered(
            self.cloud.clock(), **self._about(event, function), destination=destination, condition=condition
        )

    def _send_to_dead_letter(self, event: QueuedEvent, function, target: str, result) -> None:
        service = target.split(":")[2]
        if not self._allowed(event, function, service, target, "dead_letter"):
            return
        message = (result.payload.decode("utf-8", "replace") if result is not None else "")[:1024]
        try:
            if service == "sqs":
                self._client("sqs").send_message(
                    QueueUrl=self._queue_url(target),
                    MessageBody=event.payload.decode("utf-8", "replace"),
                    MessageAttributes={
                        "RequestID": {"DataType": "String", "StringValue": event.request_id},
                        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                        "ErrorMessage": {"DataType": "String", "StringValue": message or "Event dropped"},
                    },
                )
            elif service == "sns":
                self._client("sns").publish(
                    TopicArn=target,
                    Message=event.payload.decode("utf-8", "replace"),
                    MessageAttributes={
                        "RequestID": {"DataType": "String", "StringValue": event.request_id},
                        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                        "ErrorMessage": {"DataType": "String", "StringValue": message or "Event dropped"},
                    },
                )
            else:
                raise ValueError("a dead-letter queue must be an SQS queue or an SNS topic")
        except Exception as error:  # noqa: BLE001 - AWS's DeadLetterErrors: the event is lost, and we say so
            self.cloud.trace.dead_letter_failed(
                self.cloud.clock(), **self._about(event, function), target=target, error=str(error)
            )
            return
        self.cloud.trace.dead_letter_delivered(
            self.cloud.clock(), **self._about(event, function), target=target
        )

    def _allowed(self, event: QueuedEvent, function, service: str, arn: str, what: str) -> bool:
        action = _DESTINATION_ACTIONS.get(service)
        if action is None:
            return True  # the send itself reports the unsupported type
        decision = self.cloud.role_allows(str(function.role), action, arn)
        if not decision.allowed:
            error = f"AccessDenied: the execution role may not {action} on {arn}"
            about = self._about(event, function)
            if what == "destination":
                self.cloud.trace.destination_failed(self.cloud.clock(), **about, destination=arn, error=error)
            else:
                self.cloud.trace.dead_letter_failed(self.cloud.clock(), **about, target=arn, error=error)
        return decision.allowed

    # -- helpers --------------------------------------------------------------------------------------------
    def _client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.cloud.client(service)
        return self._clients[service]

    def _queue_url(self, queue_arn: str) -> str:
        _, _, _, _, account, name = queue_arn.split(":", 5)
        return self._client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]

    @staticmethod
    def _qualified_arn(function) -> str:
        arn = function.function_arn
        return arn if arn.count(":") == 7 else f"{arn}:{function.version}"

    @staticmethod
    def _about(event: QueuedEvent, function) -> dict:
        """What every trace record of an asynchronous event starts with: its cause, function and request id."""
        return {"cause": event.cause, "function_arn": function.function_arn, "request_id": event.request_id}
