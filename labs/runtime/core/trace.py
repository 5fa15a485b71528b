"""The run's trace: every invocation and API call, in order, with causal links, exportable as JSON.

Each kind of record is declared once: a member of ``Kind`` and a method of ``Trace`` named after it, whose
keyword-only parameters are the record's fields, in the order they are written. Records are written only
through these methods (``trace.invocation(now, cause=seq, request_id=..., function_arn=...)``), so a misspelt
kind is an ``AttributeError`` and a missing or unknown field a ``TypeError``, raised at the call site.
A field without a default is always written; one defaulting to None is *optional*, written only when given;
one with another default is a constant of the kind. The serialized trace (kinds, fields and their order) is
what students' pages, graders and stored results read: a change here changes what they see.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import threading
from collections.abc import Callable
from typing import Literal

from labs.runtime.core.trace_timeline import render

__all__ = ["Kind", "Trace"]


class Kind(enum.StrEnum):
    """Every kind of trace record; the value is the ``kind`` string in the serialized trace."""

    API_CALL = "api_call"
    INVOCATION = "invocation"
    ENVIRONMENT_FAILED = "environment_failed"
    THROTTLE = "throttle"
    EVENT_ACCEPTED = "event_accepted"
    ASYNC_RETRY_SCHEDULED = "async_retry_scheduled"
    ASYNC_FAILED = "async_failed"
    DESTINATION_DELIVERED = "destination_delivered"
    DESTINATION_FAILED = "destination_failed"
    DEAD_LETTER_DELIVERED = "dead_letter_delivered"
    DEAD_LETTER_FAILED = "dead_letter_failed"
    SQS_FILTERED_OUT = "sqs_filtered_out"
    SQS_BATCH = "sqs_batch"
    SQS_BATCH_RESULT = "sqs_batch_result"
    SQS_POLLER_AT_MAXIMUM_CONCURRENCY = "sqs_poller_at_maximum_concurrency"
    STREAM_RECORDS_SKIPPED = "stream_records_skipped"
    STREAM_BATCH = "stream_batch"
    STREAM_BATCH_RESULT = "stream_batch_result"
    STREAM_RETRY_SCHEDULED = "stream_retry_scheduled"
    STREAM_DISCARDED = "stream_discarded"
    S3_NOTIFICATION = "s3_notification"
    SNS_DELIVERY = "sns_delivery"
    SNS_FILTERED_OUT = "sns_filtered_out"
    EVENT_RECEIVED = "event_received"
    RULE_MATCHED = "rule_matched"
    RULE_NOT_MATCHED = "rule_not_matched"
    SCHEDULE_FIRED = "schedule_fired"
    EVENT_DROPPED = "event_dropped"
    DELIVERY = "delivery"
    DELIVERY_FAILED = "delivery_failed"
    APIGATEWAY_REQUEST = "apigateway_request"
    SFN_EXECUTION_STARTED = "sfn_execution_started"
    SFN_NOTE = "sfn_note"
    SFN_EXECUTION = "sfn_execution"
    DURABLE_EXECUTION = "durable_execution"
    DURABLE_INVOCATION = "durable_invocation"
    DURABLE_OPERATION = "durable_operation"
    DURABLE_RESUMED = "durable_resumed"
    FAULT_INJECTED = "fault_injected"


def _kind(kind: Kind) -> Callable[[Callable[..., None]], Callable[..., dict]]:
    """Turn a declaration of ``kind`` (a method whose keyword-only parameters are the record's fields) into
    the method that writes it: ``(time_s, *, cause, **fields) -> record``."""

    def declare(declaration: Callable[..., None]) -> Callable[..., dict]:
        signature = inspect.signature(declaration)
        empty = inspect.Parameter.empty
        order = [(field.name, field.default) for field in list(signature.parameters.values())[1:]]

        @functools.wraps(declaration)
        def record(self: Trace, time_s: float, *, cause: int | None, **given: object) -> dict:
            declaration(self, **given)  # Python checks the fields against the declaration: TypeError if not
            entry = {"seq": None, "kind": kind.value, "time": time_s, "cause": cause}
            for name, default in order:
                value = given.get(name, default)
                if value is not None or default is empty:
                    entry[name] = value
            return self._append(entry)

        self_, *declared = signature.parameters.values()
        record.__signature__ = signature.replace(  # what help() and editors show
            parameters=[
                self_,
                inspect.Parameter("time_s", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="float"),
                inspect.Parameter("cause", inspect.Parameter.KEYWORD_ONLY, annotation="int | None"),
                *declared,
            ],
            return_annotation="dict",
        )
        return record

    return declare


class Trace(list):
    """A list of records (plain dicts). Each record has ``seq`` (its position), ``kind``, ``time`` (the
    simulated clock, epoch seconds) and ``cause`` (the ``seq`` of the record that led to it, or None),
    then the fields its kind declares below. Each method is called as ``(time_s, *, cause, **fields)`` and
    returns the record it wrote."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def _append(self, entry: dict) -> dict:
        with self._lock:  # numbered and appended in one step: seq is the record's position
            entry["seq"] = len(self)
            self.append(entry)
        return entry

    def of_kind(self, kind: str | Kind) -> list[dict]:
        """The records of one kind, in order. Raises ``ValueError`` naming the known kinds for any other."""
        try:
            value = Kind(kind).value
        except ValueError:
            known = ", ".join(sorted(member.value for member in Kind))
            raise ValueError(f"unknown trace kind {kind!r}; the kinds are: {known}") from None
        return [entry for entry in self if entry["kind"] == value]

    # -- API calls and Lambda ------------------------------------------------------------------------------
    @_kind(Kind.API_CALL)
    def api_call(
        self,
        *,
        principal: str,
        service: str,
        operation: str,
        resource: str,
        status: int,
        outcome: str,
        duration_ms: float,
    ) -> None:
        """An AWS API call the account served, made by the host or by a function (``principal``)."""

    @_kind(Kind.INVOCATION)
    def invocation(
        self,
        *,
        request_id: str,
        function_arn: str,
        status: Literal["running"] = "running",
        injected: bool | None = None,
    ) -> None:
        """An invocation starting; when it ends, the Lambda service adds its result to the record
        (``status: done``, duration, memory, cost, log tail). ``injected``: a fault ran instead of the code."""

    @_kind(Kind.ENVIRONMENT_FAILED)
    def environment_failed(self, *, detail: str) -> None:
        """A new execution environment that never finished its init phase (the runtime exited or hung)."""

    @_kind(Kind.THROTTLE)
    def throttle(
        self,
        *,
        function_arn: str,
        reserved_concurrency: int | None,
        reason: str | None = None,
        injected: bool | None = None,
        request_id: str | None = None,
        event_source_arn: str | None = None,
        shard_id: str | None = None,
    ) -> None:
        """An invocation refused for want of concurrency (``reason`` as Lambda names it, or ``injected``;
        neither when an asynchronous event meets reserved concurrency 0), with the asynchronous event's
        ``request_id`` or the stream's ``event_source_arn`` and ``shard_id``."""

    # -- asynchronous invocation ---------------------------------------------------------------------------
    @_kind(Kind.EVENT_ACCEPTED)
    def event_accepted(self, *, function_arn: str, request_id: str) -> None:
        """An event accepted onto a function's asynchronous queue."""

    @_kind(Kind.ASYNC_RETRY_SCHEDULED)
    def async_retry_scheduled(
        self,
        *,
        function_arn: str,
        request_id: str,
        reason: str,
        delay_s: float,
    ) -> None:
        """An asynchronous event to be tried again in ``delay_s`` (after a function error or a throttle)."""

    @_kind(Kind.ASYNC_FAILED)
    def async_failed(
        self,
        *,
        function_arn: str,
        request_id: str,
        condition: str,
        attempts: int,
    ) -> None:
        """An asynchronous event given up (``RetriesExhausted`` or ``EventAgeExceeded``)."""

    @_kind(Kind.DESTINATION_DELIVERED)
    def destination_delivered(
        self,
        *,
        function_arn: str,
        request_id: str | None = None,
        destination: str,
        condition: str,
    ) -> None:
        """An invocation record sent to an on-success / on-failure destination (``request_id``: async only)."""

    @_kind(Kind.DESTINATION_FAILED)
    def destination_failed(
        self,
        *,
        function_arn: str,
        request_id: str | None = None,
        destination: str,
        error: str,
    ) -> None:
        """An invocation record its destination did not take (``request_id``: async only)."""

    @_kind(Kind.DEAD_LETTER_DELIVERED)
    def dead_letter_delivered(self, *, function_arn: str, request_id: str, target: str) -> None:
        """A failed asynchronous event sent to the function's dead-letter queue or topic."""

    @_kind(Kind.DEAD_LETTER_FAILED)
    def dead_letter_failed(self, *, function_arn: str, request_id: str, target: str, error: str) -> None:
        """A failed asynchronous event its dead-letter queue or topic did not take: the event is lost."""

    # -- event source mappings (SQS, DynamoDB Streams, Kinesis) --------------------------------------------
    @_kind(Kind.SQS_FILTERED_OUT)
    def sqs_filtered_out(self, *, event_source_arn: str, function_arn: str, message_ids: list) -> None:
        """Messages an SQS mapping's FilterCriteria rejected (deleted from the queue, as on AWS)."""

    @_kind(Kind.SQS_BATCH)
    def sqs_batch(
        self,
        *,
        event_source_arn: str,
        function_arn: str,
        message_ids: list,
        filtered_out: int,
    ) -> None:
        """A batch of SQS messages received for a function (caused by the send of its first message)."""

    @_kind(Kind.SQS_BATCH_RESULT)
    def sqs_batch_result(self, *, deleted: list, kept: list, throttled: bool | None = None) -> None:
        """What became of an SQS batch: messages deleted, messages kept for a retry (``throttled``: all)."""

    @_kind(Kind.SQS_POLLER_AT_MAXIMUM_CONCURRENCY)
    def sqs_poller_at_maximum_concurrency(
        self, *, event_source_arn: str, function_arn: str, maximum_concurrency: int, next_poll: float
    ) -> None:
        """An SQS mapping receiving nothing while MaximumConcurrency invocations run; next poll at ``next_poll``."""

    @_kind(Kind.STREAM_RECORDS_SKIPPED)
    def stream_records_skipped(
        self,
        *,
        event_source_arn: str,
        function_arn: str,
        shard_id: str,
        filtered_out: int,
        expired: int,
    ) -> None:
        """Stream records passed over: rejected by FilterCriteria, or trimmed before Lambda read them."""

    @_kind(Kind.STREAM_BATCH)
    def stream_batch(
        self,
        *,
        event_source_arn: str,
        function_arn: str,
        shard_id: str,
        sequence_numbers: list,
        written_by: list,
        batch_size: int,
        attempt: int,
        retries: int,
        filtered_out: int,
    ) -> None:
        """One attempt at a batch of a shard's records (``written_by``: the api_calls that wrote them)."""

    @_kind(Kind.STREAM_BATCH_RESULT)
    def stream_batch_result(
        self,
        *,
        outcome: str,
        done: int | None = None,
        halves: list | None = None,
        retries: int | None = None,
        exhausted: bool | None = None,
    ) -> None:
        """How a stream batch's attempt ended: ``success``, ``bisected`` (into ``halves``), ``function_error``
        or ``partial_failure`` (``done`` records checkpointed, ``retries`` so far, ``exhausted``)."""

    @_kind(Kind.STREAM_RETRY_SCHEDULED)
    def stream_retry_scheduled(
        self,
        *,
        event_source_arn: str,
        function_arn: str,
        shard_id: str,
        reason: str,
        delay_s: float,
        error: str | None = None,
    ) -> None:
        """A stream batch to be tried again in ``delay_s`` (``error``: why the function was unavailable)."""

    @_kind(Kind.STREAM_DISCARDED)
    def stream_discarded(
        self,
        *,
        event_source_arn: str,
        function_arn: str,
        shard_id: str,
        condition: str,
        sequence_numbers: list,
        attempts: int,
    ) -> None:
        """Stream records given up (``RecordAgeExceeded``, ``RetryAttemptsExhausted``)."""

    # -- S3 and SNS ----------------------------------------------------------------------------------------
    @_kind(Kind.S3_NOTIFICATION)
    def s3_notification(self, *, bucket: str, key: str, event_name: str, destination: str) -> None:
        """An S3 event notification on its way to a destination (Lambda, SQS, SNS, EventBridge)."""

    @_kind(Kind.SNS_DELIVERY)
    def sns_delivery(
        self,
        *,
        topic: str,
        subscription: str,
        protocol: str,
        endpoint: str,
        message_id: str,
    ) -> None:
        """An SNS message on its way to one subscription (past its filter policy)."""

    @_kind(Kind.SNS_FILTERED_OUT)
    def sns_filtered_out(self, *, topic: str, subscription: str, scope: str) -> None:
        """An SNS message a subscription's filter policy rejected (``scope``: attributes or body)."""

    # -- EventBridge ---------------------------------------------------------------------------------------
    @_kind(Kind.EVENT_RECEIVED)
    def event_received(self, *, bus: str, event_id: str, source: str, detail_type: str) -> None:
        """An event put on a bus."""

    @_kind(Kind.RULE_MATCHED)
    def rule_matched(self, *, rule: str, event_id: str) -> None:
        """A rule whose pattern matched an event: its targets get it."""

    @_kind(Kind.RULE_NOT_MATCHED)
    def rule_not_matched(self, *, rule: str, event_id: str) -> None:
        """A rule on the bus whose pattern did not match an event."""

    @_kind(Kind.SCHEDULE_FIRED)
    def schedule_fired(self, *, rule: str, event_id: str) -> None:
        """A scheduled rule (``rate()`` / ``cron()``) firing its event."""

    @_kind(Kind.EVENT_DROPPED)
    def event_dropped(self, *, rule: str, target: str | None, error: str) -> None:
        """An event a target never got and no dead-letter queue took."""

    # -- service-to-service deliveries ---------------------------------------------------------------------
    @_kind(Kind.DELIVERY)
    def delivery(
        self,
        *,
        source: str,
        target: str,
        rule: str | None = None,
        attempt: int | None = None,
    ) -> None:
        """A service (``s3``, ``sns``, ``events``) handing a message to its target (EventBridge: ``rule``,
        ``attempt``)."""

    @_kind(Kind.DELIVERY_FAILED)
    def delivery_failed(
        self,
        *,
        source: str,
        target: str,
        subscription: str | None = None,
        rule: str | None = None,
        attempt: int | None = None,
        error: str,
        retriable: bool | None = None,
    ) -> None:
        """A hand-over that failed (SNS: ``subscription``; EventBridge: ``rule``, ``attempt``, ``retriable``)."""

    # -- API Gateway and Step Functions --------------------------------------------------------------------
    @_kind(Kind.APIGATEWAY_REQUEST)
    def apigateway_request(
        self,
        *,
        api_id: str,
        api_type: str,
        stage: str,
        method: str,
        path: str,
        status: Literal["running"] = "running",
    ) -> None:
        """An HTTP request to an API; the data plane adds the response to the record when it ends."""

    @_kind(Kind.SFN_EXECUTION_STARTED)
    def sfn_execution_started(self, *, execution_arn: str, state_machine_arn: str) -> None:
        """A state machine execution starting."""

    @_kind(Kind.SFN_NOTE)
    def sfn_note(self, *, execution_arn: str, note: str) -> None:
        """Something a student should know about an execution (Express workflows run at least once)."""

    @_kind(Kind.SFN_EXECUTION)
    def sfn_execution(
        self,
        *,
        execution_arn: str,
        status: str,
        error: str | None,
        transitions: int,
    ) -> None:
        """A state machine execution that ended (SUCCEEDED, FAILED, TIMED_OUT, ABORTED)."""

    # -- Lambda durable functions ---------------------------------------------------------------------------
    @_kind(Kind.DURABLE_EXECUTION)
    def durable_execution(
        self,
        *,
        execution_arn: str,
        name: str,
        function_arn: str,
        status: str = "RUNNING",
        error: str | None = None,
    ) -> None:
        """A durable execution starting; the service sets ``status`` (and ``error``) on it when it ends."""

    @_kind(Kind.DURABLE_INVOCATION)
    def durable_invocation(
        self, *, execution_arn: str, replay: bool, replayed: int, outcome: str = "running"
    ) -> None:
        """Lambda invoking the function for an execution; ``replay``: it had completed operations, ``replayed``
        of them; ``outcome`` set at the end: pending (suspended), succeeded, failed, interrupted or error."""

    @_kind(Kind.DURABLE_OPERATION)
    def durable_operation(
        self,
        *,
        execution_arn: str,
        operation_id: str,
        type: str,  # noqa: A002 - the API's field name
        action: str,
        status: str,
        name: str | None = None,
        sub_type: str | None = None,
    ) -> None:
        """An operation update the function checkpointed (or the service made), and the status it left."""

    @_kind(Kind.DURABLE_RESUMED)
    def durable_resumed(self, *, execution_arn: str, reason: str) -> None:
        """The service waking a suspended execution: a wait ended, a retry fell due, a callback was answered,
        a chained invoke finished, or an invocation that failed is retried."""

    # -- fault injection -----------------------------------------------------------------------------------
    @_kind(Kind.FAULT_INJECTED)
    def fault_injected(
        self,
        *,
        fault: str,
        injected: Literal[True] = True,
        function: str | None = None,
        target: str | None = None,
        delay_s: float | None = None,
        service: str | None = None,
        operation: str | None = None,
        code: str | None = None,
    ) -> None:
        """A fault the lab armed, used here: on a ``function`` (throttle, timeout, error), on a delivery to
        ``target`` (duplicated, or delayed by ``delay_s``), or a ``service`` ``operation`` answering ``code``."""

    # -- reading -------------------------------------------------------------------------------------------
    def to_json(self, **dumps_options: object) -> str:
        return json.dumps(list(self), default=str, **dumps_options)

    def timeline(self, start: float | None = None) -> str:
        """The trace as text, one record a line (``trace_timeline.render``)."""
        return render(list(self), start)
