"""Poll-based invocation: Lambda's event source mappings for Amazon SQS, on the simulated clock.

Lambda polls the queue, invokes the function synchronously with a batch, and deletes what was processed.
What AWS documents (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html and
.../services-sqs-errorhandling.html) and this module copies:

- ``BatchSize`` (default 10) messages per invocation; with ``MaximumBatchingWindowInSeconds`` Lambda waits up to
  that long for a full batch.
- If the invocation fails (an exception, a timeout), no message is deleted: each becomes visible again when the
  queue's visibility timeout ends and is received again. Once a message has been received more than the
  redrive policy's ``maxReceiveCount``, SQS moves it to the dead-letter queue (moto's SQS does this part).
- With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` the function may answer
  ``{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}``: only those messages stay on the queue. An empty
  list or a null means all succeeded; a malformed answer, or an identifier that is not in the batch, fails the
  whole batch.
- Reserved concurrency is not consulted before receiving: a batch received for a function that has no
  concurrency left (reserved concurrency 0, say) is throttled and stays on the queue, and that receive counts
  towards ``maxReceiveCount`` like any other (hence AWS's advice of a ``maxReceiveCount`` of at least 5).

- With ``ScalingConfig.MaximumConcurrency`` (2 to 1,000, SQS only) the poller itself stops at that many
  invocations of this mapping in flight: it receives nothing more until one ends, so no batch is throttled and
  no receive is wasted. Reserved concurrency below the poller's scale does the opposite: the extra batches are
  received, throttled, and come back after the visibility timeout, counting towards ``maxReceiveCount``
  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html, "Configuring maximum concurrency
  for Amazon SQS event sources"; https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html).
  Lambda's own growth of pollers (five batches at first, up to 300 more a minute) is not simulated: without a
  maximum, every visible batch is received at once.
- With ``FilterCriteria`` (``filter_criteria.py``) a message that matches no filter is deleted from the queue
  without invoking the function (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html).

moto would invoke functions itself when a message is sent (through Docker); the mappings are detached from its
queues and polled here instead. Polls run when the simulation is otherwise idle and again when in-flight
messages become visible, so ``run_until_idle`` drains a queue with all its retries in simulated time.
"""

from __future__ import annotations

import heapq
import json
import sys

from labs.runtime.eventsources.filter_criteria import (
    FilterCriteriaError,
    compile_filter_criteria,
    matches_any,
    sqs_view,
)

__all__ = ["SqsPoller", "scaling_problem"]

DEFAULT_BATCH_SIZE = 10
MAXIMUM_CONCURRENCY_RANGE = (2, 1000)  # API_ScalingConfig.html: "Minimum value of 2. Maximum value of 1000."


def scaling_problem(params: dict, source: str) -> tuple[str, str] | None:
    """(error code, message) when AWS refuses a request's ``ScalingConfig``, or None. An empty ScalingConfig
    removes the setting (API_ScalingConfig.html: "To remove the configuration, pass an empty value")."""
    if "ScalingConfig" not in params or not params["ScalingConfig"]:
        return None
    if source != "sqs":
        return (
            "InvalidParameterValueException",
            f"ScalingConfig is supported only for Amazon SQS event sources, not {source or 'this source'}",
        )
    value = params["ScalingConfig"].get("MaximumConcurrency")
    low, high = MAXIMUM_CONCURRENCY_RANGE
    if isinstance(value, int) and not low <= value <= high:
        bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        return (
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'scalingConfig.maximumConcurrency' failed to "
            f"satisfy constraint: Member must have value {bound}",
        )
    return None


def maximum_concurrency(mapping) -> int | None:
    """The mapping's MaximumConcurrency as moto stored it, or None when unset."""
    value = (getattr(mapping, "scaling_config", None) or {}).get("MaximumConcurrency")
    return int(value) if value else None


class SqsPoller:
    """Polls every enabled SQS event source mapping of one account (an idle hook of its scheduler)."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._wake_ups: dict[str, float] = {}  # mapping uuid -> simulated time a poll is already scheduled
        self._window_started: dict[str, float] = {}
        self._busy_until: dict[
            str, list[float]
        ] = {}  # mapping uuid -> simulated end times of its invocations
        self._waiting_until: dict[str, float] = {}  # mapping uuid -> the poll its traced wait ends with

    # -- moto's side ----------------------------------------------------------------------------------------
    def _lambda_backend(self):
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.cloud.account_id][self.cloud.region]

    def _sqs_backend(self):
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.cloud.account_id][self.cloud.region]

    def _mappings(self) -> list:
        mappings = getattr(self._lambda_backend(), "_event_source_mappings", {})
        return [m for m in mappings.values() if str(m.event_source_arn).startswith("arn:aws:sqs:")]

    def detach_from_moto(self) -> None:
        """Stop moto from invoking functions on send: this poller owns SQS mappings."""
        if "moto.sqs.models" not in sys.modules:
            return
        for queue in self._sqs_backend().queues.values():
            queue.lambda_event_source_mappings.clear()

    def check_request(self, operation: str, params: dict) -> tuple[str, str] | None:
        """(error code, message) when AWS refuses a Create/UpdateEventSourceMapping's ScalingConfig."""
        arn = str(params.get("EventSourceArn") or "")
        if operation == "UpdateEventSourceMapping":
            mapping = self._lambda_backend().get_event_source_mapping(str(params.get("UUID", "")))
            arn = mapping.event_source_arn if mapping is not None else ""
        parts = arn.split(":")
        return scaling_problem(params, parts[2] if len(parts) > 2 else "")

    # -- polling --------------------------------------------------------------------------------------------
    def poll(self) -> bool:
        """Process one batch for each mapping with visible messages; True if any function ran."""
        if "moto.sqs.models" not in sys.modules:
            return False
        self.detach_from_moto()
        worked = False
        with self.cloud.simulated_moto_time():
            for mapping in self._mappings():
                if mapping.enabled in (False, "false", "False"):
                    continue
                worked |= self._poll_mapping(mapping)
        return worked

    def _queue_for(self, arn: str):
        for queue in self._sqs_backend().queues.values():
            if queue.queue_arn == arn:
                return queue
        return None

    def _poll_mapping(self, mapping) -> bool:
        queue = self._queue_for(mapping.event_source_arn)
        if queue is None:
            return False
        now = self.cloud.clock()
        batch_size = int(mapping.batch_size or DEFAULT_BATCH_SIZE)
        visible = sum(1 for message in queue.messages if message.visible)
        if not visible:
            self._schedule_next_visibility(mapping, queue)
            return False
        window = float(mapping.max_batch_window or 0)
        if window and visible < batch_size:
            started = self._window_started.setdefault(mapping.uuid, now)
            if now < started + window:
                self._wake_at(mapping, started + window)
                return False
        self._window_started.pop(mapping.uuid, None)
        if self._at_maximum_concurrency(mapping, queue):
            return False
        messages = self._sqs_backend().receive_message(
            queue.name,
            batch_size,
            wait_seconds_timeout=0,
            visibility_timeout=queue.visibility_timeout,
            message_attribute_names=["All"],
        )
        if not messages:
            return False
        self._invoke(mapping, queue, messages)
        self._schedule_next_visibility(mapping, queue)
        return True

    def _invoke(self, mapping, queue, messages: list) -> None:
        records = [self._record(queue, message) for message in messages]
        try:
            patterns = compile_filter_criteria(mapping.filter_criteria, "sqs")
        except FilterCriteriaError:
            patterns = ()  # refused at CreateEventSourceMapping; moto's own API cannot have stored one
        kept = [matches_any(patterns, sqs_view(record)) for record in records]
        dropped = [message for message, keep in zip(messages, kept, strict=True) if not keep]
        messages = [message for message, keep in zip(messages, kept, strict=True) if keep]
        records = [record for record, keep in zip(records, kept, strict=True) if keep]
        if dropped:
            for message in dropped:  # Lambda deletes what its filters reject, as AWS documents
                self._sqs_backend().delete_message(queue.name, message.receipt_handle)
            self.cloud.trace.sqs_filtered_out(
                self.cloud.clock(),
                cause=None,
                event_source_arn=queue.queue_arn,
                function_arn=mapping.function_arn,
                message_ids=[message.id for message in dropped],
            )
        if not messages:
            return
        event = {"Records": records}
        cause = self.cloud.trace.sqs_batch(
            self.cloud.clock(),
            cause=self.cloud.message_causes.get(messages[0].id),  # the send of the batch's first message
            event_source_arn=queue.queue_arn,
            function_arn=mapping.function_arn,
            message_ids=[message.id for message in messages],
            filtered_out=len(dropped),
        )["seq"]
        if self._throttled(mapping, cause):
            # The messages were received (their receive count grew) but the function did not run: they come
            # back when the visibility timeout ends, and the redrive policy counts this receive like any other.
            self.cloud.trace.sqs_batch_result(
                self.cloud.clock(),
                cause=cause,
                deleted=[],
                kept=sorted(message.id for message in messages),
                throttled=True,
            )
            return
        result = self.cloud.lambda_.invoke(mapping.function_arn, json.dumps(event).encode(), cause=cause)
        if maximum_concurrency(mapping) is not None:
            ends = self._busy_until.setdefault(mapping.uuid, [])
            heapq.heappush(ends, self.cloud.clock() + result.billed_duration_ms / 1000)
        failed = self._failed_ids(mapping, result, [message.id for message in messages])
        for message in messages:
            if message.id not in failed:
                self._sqs_backend().delete_message(queue.name, message.receipt_handle)
        self.cloud.trace.sqs_batch_result(
            self.cloud.clock(),
            cause=cause,
            deleted=[m.id for m in messages if m.id not in failed],
            kept=sorted(failed),
        )

    def _at_maximum_concurrency(self, mapping, queue) -> bool:
        """Whether the mapping already runs MaximumConcurrency invocations: then the poller receives nothing
        (the messages stay visible and no receive is counted), traces the wait, and polls again when the
        first invocation ends."""
        limit = maximum_concurrency(mapping)
        ends = self._busy_until.get(mapping.uuid)
        now = self.cloud.clock()
        while ends and ends[0] <= now:
            heapq.heappop(ends)
        if limit is None or len(ends or ()) < limit:
            return False
        self._wake_at(mapping, ends[0])
        if self._waiting_until.get(mapping.uuid) == ends[0]:
            return True  # this wait is already in the trace (the idle hook runs often)
        self._waiting_until[mapping.uuid] = ends[0]
        self.cloud.trace.sqs_poller_at_maximum_concurrency(
            now,
            cause=None,
            event_source_arn=queue.queue_arn,
            function_arn=mapping.function_arn,
            maximum_concurrency=limit,
            next_poll=ends[0],
        )
        return True

    def _throttled(self, mapping, cause: int) -> bool:
        """Whether the function's reserved concurrency refuses this batch. Event source mappings do not look
        at reserved concurrency before receiving (AWS's knowledge-center article "lambda-sqs-scaling"), so
        the batch is received first and the invocation is throttled."""
        function = self.cloud.lambda_.get_function(mapping.function_arn)
        return bool(self.cloud.lambda_.concurrency.throttled(function, cause))

    @staticmethod
    def _failed_ids(mapping, result, batch_ids: list[str]) -> set[str]:
        """Which messages stay on the queue after this invocation."""
        if result.function_error:
            return set(batch_ids)
        if "ReportBatchItemFailures" not in (mapping.function_response_types or []):
            return set()
        try:
            answer = json.loads(result.payload) if result.payload else None
        except ValueError:
            return set(batch_ids)
        if not isinstance(answer, dict) or answer.get("batchItemFailures") is None:
            return set()
        failures = answer["batchItemFailures"]
        if not isinstance(failures, list):
            return set(batch_ids)
        ids = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in batch_ids:
                return set(batch_ids)  # Lambda treats a malformed report as a failure of the whole batch
            ids.add(identifier)
        return ids

    def _record(self, queue, message) -> dict:
        attributes = {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": str(message.sender_id),
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        }
        if message.group_id is not None:
            attributes.update(MessageGroupId=message.group_id, SequenceNumber=str(message.sequence_number))
            if message.deduplication_id:
                attributes["MessageDeduplicationId"] = message.deduplication_id
        message_attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in (message.message_attributes or {}).items()
        }
        return {
            "messageId": message.id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": message.body_md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": queue.queue_arn,
            "awsRegion": self.cloud.region,
        }

    # -- waking up later ------------------------------------------------------------------------------------
    def _schedule_next_visibility(self, mapping, queue) -> None:
        """Poll again when the first in-flight message becomes visible (its visibility timeout ends)."""
        now_ms = self.cloud.clock() * 1000
        later = [m.visible_at for m in queue._messages if m.visible_at > now_ms]
        later += [m.delayed_until for m in queue._messages if m.delayed_until > now_ms]
        if later:
            # moto counts a message visible only once the clock is past its visible_at: wake just after
            self._wake_at(mapping, min(later) / 1000 + 0.001)

    def _wake_at(self, mapping, when: float) -> None:
        scheduled = self._wake_ups.get(mapping.uuid)
        if scheduled is not None and scheduled <= when and scheduled >= self.cloud.clock():
            return
        self._wake_ups[mapping.uuid] = when

        def wake() -> None:
            self._wake_ups.pop(mapping.uuid, None)
            self.poll()

        self.cloud.scheduler.call_at(when, wake, label=f"poll {mapping.event_source_arn}")
