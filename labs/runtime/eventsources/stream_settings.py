"""A stream event source mapping's settings: what Create/UpdateEventSourceMapping refuses, and the settings as
the poller (``streams.py``) reads them.

Ranges and refusals follow the Lambda API reference for CreateEventSourceMapping
(https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html): a value out of range is a
``ValidationException``; a StartingPosition the source does not take, a record age below 60 s, tumbling windows
(not simulated) and an on-failure destination other than an SQS queue or SNS topic are
``InvalidParameterValueException``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.runtime.eventsources.filter_criteria import FilterCriteriaError, compile_filter_criteria

if TYPE_CHECKING:
    from labs.runtime.eventsources.stream_records import StreamRecord

__all__ = ["DEFAULT_BATCH_SIZE", "MappingSettings", "setting_problem"]

DEFAULT_BATCH_SIZE = 100


class MappingSettings:
    """A mapping's settings as the stream poller uses them (moto keeps what the API was given, or None)."""

    def __init__(self, mapping, kind: str) -> None:
        self.batch_size = int(mapping.batch_size or DEFAULT_BATCH_SIZE)
        self.window_s = float(mapping.max_batch_window or 0)
        self.max_age_s = int(mapping.max_record_age if mapping.max_record_age is not None else -1)
        self.max_retries = int(mapping.max_retry_attempts if mapping.max_retry_attempts is not None else -1)
        self.bisect = mapping.bisect_on_error in (True, "true", "True")
        self.report_failures = "ReportBatchItemFailures" in (mapping.function_response_types or [])
        try:
            self.filters = compile_filter_criteria(mapping.filter_criteria, kind)
        except FilterCriteriaError:
            self.filters = ()  # refused at CreateEventSourceMapping; moto's own API cannot have stored one

    def too_old(self, record: StreamRecord, now: float) -> bool:
        return self.max_age_s >= 0 and now - record.arrival > self.max_age_s


_RANGES = {
    "BatchSize": (1, 10000),
    "MaximumBatchingWindowInSeconds": (0, 300),
    "MaximumRetryAttempts": (-1, 10000),
    "MaximumRecordAgeInSeconds": (-1, 604800),
    "ParallelizationFactor": (1, 10),
}


def setting_problem(operation: str, params: dict, source: str) -> tuple[str, str] | None:
    """(error code, message) for a stream mapping setting AWS refuses, or None."""
    for name, (low, high) in _RANGES.items():
        value = params.get(name)
        if isinstance(value, int) and not low <= value <= high:
            bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
            field_name = name[0].lower() + name[1:]
            return (
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy "
                f"constraint: Member must have value {bound}",
            )
    age = params.get("MaximumRecordAgeInSeconds")
    if isinstance(age, int) and 0 <= age < 60:
        return (
            "InvalidParameterValueException",
            f"MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, got {age}",
        )
    position = params.get("StartingPosition")
    allowed = (
        ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP") if source == "kinesis" else ("TRIM_HORIZON", "LATEST")
    )
    if operation == "CreateEventSourceMapping" and position is None:
        return (
            "InvalidParameterValueException",
            f"StartingPosition is required for a {source} event source: one of {', '.join(allowed)}",
        )
    if position is not None and position not in allowed:
        return (
            "InvalidParameterValueException",
            f"StartingPosition {position!r} is not valid for a {source} event source: one of {', '.join(allowed)}",
        )
    if position == "AT_TIMESTAMP" and params.get("StartingPositionTimestamp") is None:
        return (
            "InvalidParameterValueException",
            "StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp",
        )
    if params.get("TumblingWindowInSeconds"):
        return (
            "InvalidParameterValueException",
            "TumblingWindowInSeconds (tumbling windows) is not simulated by labs.runtime",
        )
    destination = ((params.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if destination and not str(destination).startswith(("arn:aws:sqs:", "arn:aws:sns:")):
        return (
            "InvalidParameterValueException",
            f"DestinationConfig.OnFailure.Destination {destination!r}: labs.runtime sends stream failure "
            "records to an SQS queue or SNS topic ARN",
        )
    return None
