"""moto's SQS on the simulated clock.

moto's SQS reads the real clock for visibility timeouts, delays, retention and timestamps. Inside
``simulated(clock)`` (a context variable, so each thread and each ``Cloud`` has its own), those reads return
the simulated time instead: a visibility timeout of 30 s ends when the simulation reaches it, not 30 real
seconds later. Outside such a block moto behaves as it always does.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

__all__ = ["simulated"]

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
    _installed = True


@contextlib.contextmanager
def simulated(clock: Callable[[], float]) -> Iterator[None]:
    """Within this block, moto's SQS reads ``clock()`` (epoch seconds) as the current time."""
    _install()
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)
