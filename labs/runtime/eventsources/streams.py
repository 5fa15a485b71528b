"""Poll-based invocation from streams: event source mappings for DynamoDB Streams and Kinesis.

Lambda reads each shard in order, invokes the function synchronously with a batch of records, and moves its
checkpoint past the batch only when the batch is done. What AWS documents (with-kinesis.html, with-ddb.html,
services-kinesis-errors / services-dynamodb-errors, services-ddb-batchfailurereporting) and this module copies,
on the simulated clock:

- ``StartingPosition`` TRIM_HORIZON (the oldest record kept), LATEST (what is written after the mapping was
  created) or, for Kinesis, AT_TIMESTAMP (``StartingPositionTimestamp``). ``BatchSize`` records (default 100) per
  invocation, never more than the 6 MB synchronous payload; with ``MaximumBatchingWindowInSeconds`` Lambda waits
  up to that long for a full batch. Records matching no ``FilterCriteria`` filter are skipped
  (``filter_criteria.py``).
- A failing batch blocks its shard: it is retried until it succeeds, its records are older than
  ``MaximumRecordAgeInSeconds`` or the stream's retention (24 h for DynamoDB, the stream's retention period for
  Kinesis), or ``MaximumRetryAttempts`` retries failed (-1, the default, is "until the records expire"). AWS
  does not document the interval between retries: here the first retry runs after 1 s, doubling up to 60 s.
- ``BisectBatchOnFunctionError``: a batch whose invocation fails is split in two and the halves are processed
  in order; splitting does not count against the retry quota. A single record that keeps failing is retried
  and discarded by the limits above.
- ``FunctionResponseTypes: ["ReportBatchItemFailures"]``: the function answers
  ``{"batchItemFailures": [{"itemIdentifier": "<sequence number>"}]}``; records before the lowest one reported
  are done and the batch is retried from it (a retry). An empty or null list is a success; an empty, null or
  unknown identifier, or a bad key name, fails the whole batch.
- Discarded records are not sent anywhere unless ``DestinationConfig.OnFailure`` names an SQS queue or SNS topic:
  it receives AWS's invocation record with ``KinesisBatchInfo`` / ``DDBStreamBatchInfo`` (shard, first and last
  sequence numbers, arrival times, batch size, stream ARN), sent with the function's execution role.
- A function at its reserved concurrency (0, say) is throttled: retried like an error but never counted.

``ParallelizationFactor`` is accepted and stays 1: one batch per shard at a time (ordering is what it keeps
anyway). DynamoDB Streams are read from moto's single shard per table. Tumbling windows are not simulated and
are refused. moto would invoke functions itself on every write (through Docker): its mappings are detached from
tables and streams, and this poller owns them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from labs.runtime.core import wire
from labs.runtime.eventsources.filter_criteria import (
    FilterCriteriaError,
    compile_filter_criteria,
    matches_any,
)
from labs.runtime.eventsources.stream_records import (
    StreamRecord,
    detach_mappings,
    failure_record,
    shards_of,
    watch,
)
from labs.runtime.eventsources.stream_settings import MappingSettings, setting_problem

__all__ = ["StreamPoller"]

PAYLOAD_LIMIT = 6 * 1024 * 1024
RETRY_FIRST_DELAY_S, RETRY_MAX_DELAY_S = 1.0, 60.0
_RETRY_MAX_EXPONENT = 6  # 1 s * 2**6 = 64 s: past RETRY_MAX_DELAY_S already
_DESTINATION_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}


@dataclass
class _Batch:
    records: list[StreamRecord]
    later: list[list[StreamRecord]] = field(default_factory=list)  # halves left by bisecting, in order
    attempts: int = 0  # invocations of these records (the failure record's approximateInvokeCount)
    retries: int = 0  # counted against MaximumRetryAttempts
    throttles: int = 0
    due: float = 0.0
    cause: int | None = None  # the first attempt links to the write, each retry to the attempt before it
    last_result: object = None
    filtered_out: int = 0


@dataclass
class _ShardState:
    checkpoint: int  # position of the next record to read
    batch: _Batch | None = None
    window_started: float | None = None


class StreamPoller:
    """Polls every enabled DynamoDB Streams and Kinesis mapping of one account (an idle hook)."""

    def __init__(self, cloud) -> None:
        watch(cloud.account_id, cloud.trace)
        self.cloud = cloud
        self._states: dict[str, dict[str, _ShardState]] = {}  # mapping uuid -> shard id -> state
        self._wake_ups: dict[tuple[str, str], float] = {}

    # -- moto's side ----------------------------------------------------------------------------------------
    def _lambda_backend(self):
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.cloud.account_id][self.cloud.region]

    def _mappings(self) -> list:
        mappings = getattr(self._lambda_backend(), "_event_source_mappings", {})
        return [m for m in mappings.values() if m.event_source_arn.split(":")[2] in ("dynamodb", "kinesis")]

    def detach_from_moto(self) -> None:
        """Stop moto from invoking functions on writes: this poller owns stream mappings."""
        detach_mappings(self.cloud.account_id, self.cloud.region)

    # -- requests and changes ---------------------------------------------------------------------------------
    def check_request(self, operation: str, params: dict) -> tuple[int, dict, bytes] | None:
        """Refuse a Create/UpdateEventSourceMapping request AWS would refuse (FilterCriteria for every source,
        stream settings); None when it may go on to moto."""
        arn = str(params.get("EventSourceArn") or "")
        if operation == "UpdateEventSourceMapping":
            mapping = self._lambda_backend().get_event_source_mapping(str(params.get("UUID", "")))
            arn = mapping.event_source_arn if mapping is not None else ""
        parts = arn.split(":")
        source = parts[2] if len(parts) > 2 else ""
        try:
            if "FilterCriteria" in params:
                compile_filter_criteria(params["FilterCriteria"], source)
            if source in ("dynamodb", "kinesis"):
                problem = setting_problem(operation, params, source)
                if problem is not None:
                    return wire.error_response("lambda", 400, *problem)
        except FilterCriteriaError as error:
            return wire.error_response("lambda", 400, "InvalidParameterValueException", str(error))
        return None

    def mapping_changed(self, operation: str, response: tuple[int, dict, bytes]) -> None:
        """After moto answered an event source mapping request: detach moto, and note where a new mapping
        starts (LATEST means "after what the stream holds now", not "after the first poll")."""
        self.detach_from_moto()
        status, _, body = response
        if operation != "CreateEventSourceMapping" or status >= 300:
            return
        try:
            uuid = json.loads(body)["UUID"]
        except (ValueError, KeyError, TypeError):
            return
        mapping = self._lambda_backend().get_event_source_mapping(uuid)
        shards = shards_of(mapping.event_source_arn, self.cloud.region) if mapping is not None else None
        if shards is not None:
            self._states[uuid] = {shard.shard_id: self._start(mapping, shard) for shard in shards}

    @staticmethod
    def _start(mapping, shard) -> _ShardState:
        position = mapping.starting_position or "TRIM_HORIZON"
        if position == "LATEST":
            return _ShardState(checkpoint=len(shard))
        if position == "AT_TIMESTAMP" and mapping.starting_position_timestamp is not None:
            return _ShardState(checkpoint=shard.position_at(float(mapping.starting_position_timestamp)))
        return _ShardState(checkpoint=0)  # TRIM_HORIZON: expired records are skipped when read

    # -- polling --------------------------------------------------------------------------------------------
    def poll(self) -> bool:
        """Process what is due on every shard of every enabled stream mapping; True if anything was done."""
        if "moto.awslambda.models" not in sys.modules:
            return False
        mappings = self._mappings()
        for uuid in set(self._states) - {m.uuid for m in mappings}:
            del self._states[uuid]  # deleted mappings
        if not mappings:
            return False
        self.detach_from_moto()
        worked = False
        for mapping in mappings:
            if mapping.enabled in (False, "false", "False"):
                continue  # the checkpoint is kept: re-enabling resumes where it stopped
            shards = shards_of(mapping.event_source_arn, self.cloud.region)
            if shards is None:
                continue
            states = self._states.setdefault(mapping.uuid, {})
            for shard in shards:
                if shard.shard_id not in states:
                    # a mapping met for the first time here, or a shard added by resharding
                    states[shard.shard_id] = self._start(mapping, shard) if not states else _ShardState(0)
                worked |= self._poll_shard(mapping, shard, states[shard.shard_id])
        return worked

    def _poll_shard(self, mapping, shard, state: _ShardState) -> bool:
        if state.batch is not None:
            if state.batch.due > self.cloud.clock():
                self._wake_at(mapping, shard.shard_id, state.batch.due)
                return False
            self._attempt(mapping, shard, state)
            return True
        return self._read(mapping, shard, state)

    def _read(self, mapping, shard, state: _ShardState) -> bool:
        if state.checkpoint >= len(shard):
            return False
        now, config = self.cloud.clock(), MappingSettings(mapping, shard.kind)
        batch, aged, skipped, expired = [], [], 0, 0
        position, payload, full = state.checkpoint, 0, False
        while position < len(shard):
            record = shard.record(position)
            if now - record.arrival > shard.retention_s:
                expired += 1  # trimmed from the stream before Lambda read it
            elif config.too_old(record, now):
                aged.append(record)
            elif not matches_any(config.filters, record.view):
                skipped += 1
            elif batch and payload + record.size > PAYLOAD_LIMIT:
                full = True
                break
            else:
                batch.append(record)
                payload += record.size
                if len(batch) >= config.batch_size:
                    position += 1
                    full = True
                    break
            position += 1
        if batch and not full and config.window_s:
            started = state.window_started = state.window_started or now
            if now < started + config.window_s:
                self._wake_at(mapping, shard.shard_id, started + config.window_s)
                return False
        state.window_started, state.checkpoint = None, position
        if skipped or expired:
            self.cloud.trace.stream_records_skipped(
                now,
                cause=None,
                event_source_arn=mapping.event_source_arn,
                function_arn=mapping.function_arn,
                shard_id=shard.shard_id,
                filtered_out=skipped,
                expired=expired,
            )
        if aged:
            self._discard(mapping, shard, aged, "RecordAgeExceeded", None, None)
        if batch:
            state.batch = _Batch(batch, due=now, cause=self._writer(batch[0]), filtered_out=skipped)
            self._attempt(mapping, shard, state)
        return True

    def _writer(self, record: StreamRecord) -> int | None:
        """The trace seq of the api_call that wrote ``record`` (PutRecord, PutItem...), if it is known."""
        seq = record.written_by
        if seq is None or not 0 <= seq < len(self.cloud.trace) or self.cloud.trace[seq]["kind"] != "api_call":
            return None
        return seq

    # -- one attempt ----------------------------------------------------------------------------------------
    def _attempt(self, mapping, shard, state: _ShardState) -> None:
        batch, now, config = state.batch, self.cloud.clock(), MappingSettings(mapping, shard.kind)
        assert batch is not None
        too_old = [r for r in batch.records if config.too_old(r, now) or now - r.arrival > shard.retention_s]
        if too_old:  # records grew too old while the batch was retried: discarded before the next attempt
            old = {r.position for r in too_old}
            batch.records = [r for r in batch.records if r.position not in old]
            self._discard(mapping, shard, too_old, "RecordAgeExceeded", batch, batch.cause)
            if not batch.records:
                self._next(state)
                return
        base = {
            "event_source_arn": mapping.event_source_arn,
            "function_arn": mapping.function_arn,
            "shard_id": shard.shard_id,
        }
        try:
            function = self.cloud.lambda_.get_function(mapping.function_arn)
        except Exception as error:  # noqa: BLE001 - moto's not-found error: the batch waits, as on AWS
            batch.throttles += 1  # never reached the function: waits like a throttle, not counted
            self._retry_later(mapping, shard, batch, "function_unavailable", base, error=str(error))
            return
        source = {"event_source_arn": mapping.event_source_arn, "shard_id": shard.shard_id}
        if self.cloud.lambda_.concurrency.throttled(function, batch.cause, **source):
            batch.throttles += 1  # a throttle never reaches the function: not counted as a retry
            self._retry_later(mapping, shard, batch, "throttled", base)
            return
        batch.attempts += 1
        entry = self.cloud.trace.stream_batch(
            now,
            cause=batch.cause,
            **base,
            sequence_numbers=[r.sequence_number for r in batch.records],
            written_by=sorted({seq for seq in map(self._writer, batch.records) if seq is not None}),
            batch_size=len(batch.records),
            attempt=batch.attempts,
            retries=batch.retries,
            filtered_out=batch.filtered_out,
        )
        batch.cause = entry["seq"]
        events = [r.event for r in batch.records]
        if shard.kind == "kinesis":
            events = [{**event, "invokeIdentityArn": str(function.role)} for event in events]
        payload = json.dumps({"Records": events}).encode()
        result = self.cloud.lambda_.invoke(mapping.function_arn, payload, cause=entry["seq"])
        batch.last_result = result
        failed_from = self._failed_from(config, result, batch.records)
        if failed_from is None:
            self._result(entry, "success", done=len(batch.records))
            self._next(state)
            return
        if result.function_error and config.bisect and len(batch.records) > 1:
            middle = (len(batch.records) + 1) // 2
            first, second = batch.records[:middle], batch.records[middle:]
            self._result(entry, "bisected", halves=[len(first), len(second)])
            batch.later.insert(0, second)
            batch.records, batch.attempts, batch.retries = first, 0, 0
            batch.due = now  # splitting does not count against the retries, nor wait
            return
        outcome = "function_error" if result.function_error else "partial_failure"
        batch.records = batch.records[failed_from:]
        batch.retries += 1
        if 0 <= config.max_retries < batch.retries:
            self._result(entry, outcome, done=failed_from, retries=batch.retries, exhausted=True)
            self._discard(mapping, shard, batch.records, "RetryAttemptsExhausted", batch, entry["seq"])
            self._next(state)
            return
        self._result(entry, outcome, done=failed_from, retries=batch.retries)
        self._retry_later(mapping, shard, batch, outcome, base)

    @staticmethod
    def _failed_from(config, result, records: list[StreamRecord]) -> int | None:
        """None when the batch succeeded, else the index of the first record to process again."""
        if result.function_error:
            return 0
        if not config.report_failures:
            return None
        try:
            answer = json.loads(result.payload) if result.payload else None
        except ValueError:
            return 0
        if not isinstance(answer, dict) or answer.get("batchItemFailures") in (None, []):
            return None  # an empty or null response or list: complete success, as AWS documents
        failures = answer["batchItemFailures"]
        if not isinstance(failures, list):
            return 0
        index = {record.sequence_number: i for i, record in enumerate(records)}
        failed = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in index:
                return 0  # empty, null, unknown identifier or a bad key name: the whole batch failed
            failed.append(index[identifier])
        return min(failed)  # the lowest sequence number reported is the checkpoint

    def _result(self, entry: dict, outcome: str, **fields: object) -> None:
        self.cloud.trace.stream_batch_result(
            self.cloud.clock(), cause=entry["seq"], outcome=outcome, **fields
        )

    def _retry_later(self, mapping, shard, batch: _Batch, reason: str, base: dict, **fields: object) -> None:
        # The exponent is capped before it is raised: with unlimited retries (MaximumRetryAttempts -1, the
        # default) a batch is retried until its records expire, ~1,440 times in 24 h at 60 s, and 2.0 ** 1024
        # no longer fits a float.
        count = max(batch.retries, batch.throttles, 1)
        delay = min(RETRY_FIRST_DELAY_S * 2 ** min(count - 1, _RETRY_MAX_EXPONENT), RETRY_MAX_DELAY_S)
        batch.due = self.cloud.clock() + delay
        self.cloud.trace.stream_retry_scheduled(
            self.cloud.clock(),
            cause=batch.cause,
            **base,
            reason=reason,
            delay_s=delay,
            **fields,
        )
        self._wake_at(mapping, shard.shard_id, batch.due)

    @staticmethod
    def _next(state: _ShardState) -> None:
        """The current batch is done (processed or discarded): on to the next half of a bisected batch."""
        batch = state.batch
        if batch is not None and batch.later:
            state.batch = _Batch(batch.later.pop(0), later=batch.later, due=0.0, cause=batch.cause)
        else:
            state.batch = None

    # -- discarding ----------------------------------------------------------------------------------------
    def _discard(self, mapping, shard, records: list, condition: str, batch, cause: int | None) -> None:
        now = self.cloud.clock()
        entry = self.cloud.trace.stream_discarded(
            now,
            cause=cause,
            event_source_arn=mapping.event_source_arn,
            function_arn=mapping.function_arn,
            shard_id=shard.shard_id,
            condition=condition,
            sequence_numbers=[r.sequence_number for r in records],
            attempts=batch.attempts if batch is not None else 0,
        )
        destination = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            return
        record = failure_record(
            shard.kind, mapping, shard.shard_id, records, condition, batch, self.cloud.new_request_id(), now
        )
        self._send(mapping, destination, record, entry["seq"])

    def _send(self, mapping, destination: str, record: dict, cause: int) -> None:
        service = destination.split(":")[2] if destination.count(":") >= 5 else ""
        fields = {"function_arn": mapping.function_arn, "destination": destination}
        action = _DESTINATION_ACTIONS.get(service)
        try:
            role = str(self.cloud.lambda_.get_function(mapping.function_arn).role)
        except Exception:  # noqa: BLE001 - a deleted function has no role left to send with
            role = ""
        if action is None:
            error = f"{destination} is not an SQS queue or SNS topic"
        elif not self.cloud.role_allows(role, action, destination).allowed:
            error = f"AccessDenied: the execution role may not {action} on {destination}"
        else:
            error = None
        if error is None:
            body = json.dumps(record)
            try:
                if service == "sqs":
                    sqs = self.cloud.client("sqs")
                    _, _, _, _, account, name = destination.split(":", 5)
                    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                    sqs.send_message(QueueUrl=url, MessageBody=body)
                else:
                    self.cloud.client("sns").publish(TopicArn=destination, Message=body)
            except Exception as failure:  # noqa: BLE001 - AWS's DestinationDeliveryFailures: recorded, dropped
                error = str(failure)
        if error:
            self.cloud.trace.destination_failed(self.cloud.clock(), cause=cause, **fields, error=error)
        else:
            condition = record["requestContext"]["condition"]
            self.cloud.trace.destination_delivered(
                self.cloud.clock(), cause=cause, **fields, condition=condition
            )

    # -- waking up later ------------------------------------------------------------------------------------
    def _wake_at(self, mapping, shard_id: str, when: float) -> None:
        key = (mapping.uuid, shard_id)
        scheduled = self._wake_ups.get(key)
        if scheduled is not None and self.cloud.clock() <= scheduled <= when:
            return
        self._wake_ups[key] = when

        def wake() -> None:
            if self._wake_ups.get(key) == when:
                del self._wake_ups[key]
            self.poll()

        self.cloud.scheduler.call_at(when, wake, label=f"poll {mapping.event_source_arn} {shard_id}")
