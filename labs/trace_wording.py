"""Every kind of trace record in words a student reads (the result page's timeline), never the record's
internal name (``sfn_execution_started execution_arn=...``). One phrasing per kind of
``labs.runtime.core.trace.Kind``; a test proves none is missing. Pure functions over the serialized trace."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["WORDING", "describe"]


def _name(arn: object) -> str:
    """The last part of an ARN (a function, queue, topic, execution or state machine name)."""
    text = str(arn or "")
    return text.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or text


def _count(items: object, one: str) -> str:
    number = len(items) if isinstance(items, list | tuple) else int(items or 0)
    return f"{number} {one}{'' if number == 1 else 's'}"


WORDING: dict[str, Callable[[dict], str]] = {
    "api_call": lambda e: (
        f"{e.get('service')} {e.get('operation')} called by {_name(e.get('principal'))}: {e.get('status')}"
    ),
    "invocation": lambda e: (
        f"Lambda ran {_name(e.get('function_arn'))} (request {e.get('request_id')}): {e.get('status')}"
    ),
    "environment_failed": lambda e: f"Lambda could not start an execution environment: {e.get('detail')}",
    "throttle": lambda e: f"Lambda throttled {_name(e.get('function_arn'))}: {e.get('reason')}",
    "event_accepted": lambda e: (
        f"Lambda accepted an asynchronous event for {_name(e.get('function_arn'))} (request {e.get('request_id')})"
    ),
    "async_retry_scheduled": lambda e: (
        f"Lambda will retry the event for {_name(e.get('function_arn'))} in {e.get('delay_s')} s ({e.get('reason')})"
    ),
    "async_failed": lambda e: (
        f"Lambda gave up on the event for {_name(e.get('function_arn'))} after {e.get('attempts')} attempts ({e.get('condition')})"
    ),
    "destination_delivered": lambda e: (
        f"Lambda sent the {str(e.get('condition', '')).lower()} record of {_name(e.get('function_arn'))} to {_name(e.get('destination'))}"
    ),
    "destination_failed": lambda e: (
        f"Lambda could not send a record of {_name(e.get('function_arn'))} to {_name(e.get('destination'))}: {e.get('error')}"
    ),
    "dead_letter_delivered": lambda e: (
        f"Lambda sent the failed event of {_name(e.get('function_arn'))} to its dead-letter queue {_name(e.get('target'))}"
    ),
    "dead_letter_failed": lambda e: (
        f"Lambda could not send the failed event of {_name(e.get('function_arn'))} to {_name(e.get('target'))}: {e.get('error')}"
    ),
    "sqs_filtered_out": lambda e: (
        f"{_count(e.get('message_ids'), 'message')} of {_name(e.get('event_source_arn'))} did not match the filter of {_name(e.get('function_arn'))} and were deleted"
    ),
    "sqs_batch": lambda e: (
        f"Lambda polled {_name(e.get('event_source_arn'))}: a batch of {_count(e.get('message_ids'), 'message')} for {_name(e.get('function_arn'))}"
    ),
    "sqs_poller_at_maximum_concurrency": lambda e: (
        f"Lambda stopped polling {_name(e.get('event_source_arn'))}: {e.get('maximum_concurrency')} invocations of {_name(e.get('function_arn'))} running, its maximum concurrency"
    ),
    "sqs_batch_result": lambda e: (
        f"Batch done: {_count(e.get('deleted'), 'message')} deleted, {_count(e.get('kept'), 'message')} left in the queue"
    ),
    "stream_records_skipped": lambda e: (
        f"Lambda skipped records of {_name(e.get('event_source_arn'))} shard {e.get('shard_id')} (filtered out or expired)"
    ),
    "stream_batch": lambda e: (
        f"Lambda read a batch of {_count(e.get('sequence_numbers'), 'record')} from {_name(e.get('event_source_arn'))} shard {e.get('shard_id')} for {_name(e.get('function_arn'))}"
    ),
    "stream_batch_result": lambda e: f"Stream batch done: {e.get('outcome')}",
    "stream_retry_scheduled": lambda e: (
        f"Lambda will retry the stream batch of {_name(e.get('function_arn'))} in {e.get('delay_s')} s ({e.get('reason')})"
    ),
    "stream_discarded": lambda e: (
        f"Lambda discarded {_count(e.get('sequence_numbers'), 'record')} of {_name(e.get('event_source_arn'))} after {e.get('attempts')} attempts ({e.get('condition')})"
    ),
    "s3_notification": lambda e: (
        f"S3 notified {_name(e.get('destination'))} of {e.get('event_name')} on {e.get('bucket')}/{e.get('key')}"
    ),
    "sns_delivery": lambda e: (
        f"SNS delivered a message of {_name(e.get('topic'))} to {e.get('protocol')} {_name(e.get('endpoint'))}"
    ),
    "sns_filtered_out": lambda e: (
        f"SNS did not deliver to {_name(e.get('subscription'))}: its filter policy did not match"
    ),
    "event_received": lambda e: (
        f"EventBridge bus {e.get('bus')} received an event ({e.get('source')}, {e.get('detail_type')})"
    ),
    "rule_matched": lambda e: f"EventBridge rule {e.get('rule')} matched the event",
    "rule_not_matched": lambda e: f"EventBridge rule {e.get('rule')} did not match the event",
    "schedule_fired": lambda e: f"EventBridge schedule {e.get('rule')} fired",
    "event_dropped": lambda e: f"EventBridge dropped the event for rule {e.get('rule')}: {e.get('error')}",
    "delivery": lambda e: f"{_name(e.get('source'))} delivered to {_name(e.get('target'))}",
    "delivery_failed": lambda e: (
        f"{_name(e.get('source'))} could not deliver to {_name(e.get('target'))}: {e.get('error')}"
    ),
    "apigateway_request": lambda e: f"API Gateway {e.get('method')} {e.get('path')}: {e.get('status')}",
    "sfn_execution_started": lambda e: (
        f"Step Functions started execution {_name(e.get('execution_arn'))} of {_name(e.get('state_machine_arn'))}"
    ),
    "sfn_note": lambda e: f"Step Functions: {e.get('note')}",
    "sfn_execution": lambda e: (
        f"Step Functions execution {_name(e.get('execution_arn'))} ended {e.get('status')}"
        + (f" with {e.get('error')}" if e.get("error") else "")
    ),
    "durable_execution": lambda e: (
        f"Durable execution {e.get('name')} of {_name(e.get('function_arn'))}: {e.get('status')}"
        + (f" ({e.get('error')})" if e.get("error") else "")
    ),
    "durable_invocation": lambda e: (
        (
            "Lambda invoked the function again and the SDK replayed "
            + f"{e.get('replayed')} completed operation(s)"
            if e.get("replay")
            else "Lambda invoked the durable function for the first time"
        )
        + f": {e.get('outcome')}"
    ),
    "durable_operation": lambda e: (
        f"Checkpoint: {e.get('type')} {e.get('name') or e.get('operation_id')} {e.get('action')} -> {e.get('status')}"
    ),
    "durable_resumed": lambda e: f"Lambda resumed the durable execution: {e.get('reason')}",
    "fault_injected": lambda e: f"The grader injected a fault: {e.get('fault')}",
}


def describe(entry: dict) -> str:
    """``entry`` (one serialized trace record) in words; a kind this module does not know yet is named
    plainly as an event rather than by its raw fields."""
    wording = WORDING.get(str(entry.get("kind")))
    if wording is None:
        return f"Event: {str(entry.get('kind', '')).replace('_', ' ')}"
    return wording(entry)
