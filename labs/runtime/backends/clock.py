"""moto's SQS, DynamoDB Streams and Kinesis on the simulated clock.

moto's SQS reads the real clock for visibility timeouts, delays, retention and timestamps; its DynamoDB stream
records (``ApproximateCreationDateTime``, the stream label) and Kinesis records (``ApproximateArrivalTimestamp``)
are stamped with the real time too. Inside ``simulated(clock)`` (a context variable, so each thread and each
``Cloud`` has its own), those reads return the simulated time instead: a visibility timeout of 30 s ends when
the simulation reaches it, not 30 real seconds later, and a record's age is measured on the simulated clock
(``MaximumRecordAgeInSeconds``, retention). Outside such a block moto behaves as it always does.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Callable, Iterator

__all__ = ["epoch_seconds", "simulated"]

_clock: contextvars.ContextVar[Callable[[], float] | None] = contextvars.ContextVar(
    "labs_moto_clock", default=None
)
_installed = False


def _install() -> None:
    global _installed
    if _installed:
        return
    import moto.sqs.models as sqs_models

    real_seconds, real_millis = sqs_models.unix_time, sqs_models.unix_time_millis

    def unix_time(dt=None) -> float:
        clock = _clock.get()
        return clock() if clock is not None and dt is None else real_seconds(dt)

    def unix_time_millis(dt=None) -> float:
        clock = _clock.get()
        return clock() * 1000.0 if clock is not None and dt is None else real_millis(dt)

    sqs_models.unix_time, sqs_models.unix_time_millis = unix_time, unix_time_millis

    import moto.dynamodb.models.table as dynamodb_table
    import moto.kinesis.models as kinesis_models

    real_utcnow = dynamodb_table.utcnow

    def utcnow() -> datetime.datetime:  # moto's utcnow is a naive UTC datetime
        clock = _clock.get()
        if clock is None:
            return real_utcnow()
        return datetime.datetime.fromtimestamp(clock(), datetime.UTC).replace(tzinfo=None)

    dynamodb_table.utcnow = kinesis_models.utcnow = utcnow
    _installed = True


@contextlib.contextmanager
def simulated(clock: Callable[[], float]) -> Iterator[None]:
    """Within this block, moto's SQS, DynamoDB tables and Kinesis read ``clock()`` (epoch seconds) as now."""
    _install()
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def epoch_seconds(stamp: float | int | str | datetime.datetime) -> float:
    """Epoch seconds of a timestamp that moto keeps on a record, whatever type its release gives.

    moto 5.2.5 and earlier keep a Kinesis record's ``created_at`` as epoch seconds (a float); 5.2.6 keeps a naive
    UTC ``datetime``, as it does for DynamoDB stream records. A naive datetime is UTC (moto's ``utcnow``); an aware
    one is converted. Raises ``TypeError`` for anything else, naming the type.
    """
    if isinstance(stamp, datetime.datetime):
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=datetime.UTC)
        return stamp.timestamp()
    if isinstance(stamp, bool):
        raise TypeError("a timestamp cannot be a bool")
    if isinstance(stamp, int | float):
        return float(stamp)
    if isinstance(stamp, str):
        return float(stamp)
    raise TypeError(f"cannot read a timestamp from {type(stamp).__name__}")
