"""Lambda concurrency in simulated time: how many invocations of a function run at an instant, and whether a
new one is throttled.

An invocation the simulation starts (asynchronous events, pollers, deliveries) holds one unit of its
function's concurrency for its billed duration, so a burst of events at one simulated instant meets the
limits; calls the host makes one after another never overlap. A function with reserved concurrency may run
that many at once; every other function shares the account's unreserved concurrency (the account limit less
all reservations), as AWS documents in https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html.
Every invocation model asks ``throttled`` and reacts as AWS's does (429, retry later, leave on the queue).
"""

from __future__ import annotations

import contextlib
import heapq
from collections import Counter
from collections.abc import Callable, Iterator

__all__ = ["Concurrency"]


class Concurrency:
    """One account's concurrency. ``functions()`` lists the account's functions (their ``$LATEST``)."""

    def __init__(self, cloud, functions: Callable[[], list]) -> None:
        self.cloud = cloud
        self._functions = functions
        self._running: Counter[str] = Counter()  # invocations under way in this process now
        self._busy_until: dict[str, list[float]] = {}  # simulated end times of simulation-started ones

    @contextlib.contextmanager
    def running(self, function_name: str) -> Iterator[None]:
        """Count one invocation of ``function_name`` while the block runs."""
        self._running[function_name] += 1
        try:
            yield
        finally:
            self._running[function_name] -= 1

    def hold(self, function_name: str, seconds: float) -> None:
        """After an invocation the simulation started: it occupies a unit for ``seconds`` of simulated time."""
        heapq.heappush(self._busy_until.setdefault(function_name, []), self.cloud.clock() + seconds)

    def in_flight(self, function_name: str) -> int:
        """How many invocations of ``function_name`` run at this simulated instant."""
        ends = self._busy_until.get(function_name)
        now = self.cloud.clock()
        while ends and ends[0] <= now:
            heapq.heappop(ends)
        return self._running[function_name] + len(ends or ())

    def throttle_reason(self, function) -> str | None:
        """Why a new invocation of ``function`` would be throttled now, as Lambda names it, or None."""
        reserved = function.reserved_concurrency
        if reserved is not None:
            if self.in_flight(function.function_name) >= int(reserved):
                return "ReservedFunctionConcurrentInvocationLimitExceeded"
            return None
        functions = self._functions()
        reservations = sum(int(f.reserved_concurrency or 0) for f in functions)
        unreserved_busy = sum(
            self.in_flight(f.function_name) for f in functions if f.reserved_concurrency is None
        )
        if unreserved_busy >= self.cloud.concurrency_limit - reservations:
            return "ConcurrentInvocationLimitExceeded"
        return None

    def throttled(
        self,
        function,
        cause: int | None,
        *,
        request_id: str | None = None,
        event_source_arn: str | None = None,
        shard_id: str | None = None,
    ) -> str | None:
        """Whether a new invocation of ``function`` is throttled now, for every invocation model: a throttle
        the lab injected (used up here) or no concurrency left. When it is, the throttle is traced, caused
        by ``cause`` and naming the asynchronous event (``request_id``) or the stream shard
        (``event_source_arn``, ``shard_id``), and the reason is returned."""
        injected = self.cloud.faults.invocation_fault(function.function_name, cause, kinds=("throttle",))
        reason = "injected" if injected else self.throttle_reason(function)
        if reason:
            reserved = function.reserved_concurrency
            self.cloud.trace.throttle(
                self.cloud.clock(),
                cause=cause,
                function_arn=function.function_arn,
                reserved_concurrency=None if reserved is None else int(reserved),
                reason=reason,
                injected=bool(injected),
                request_id=request_id,
                event_source_arn=event_source_arn,
                shard_id=shard_id,
            )
        return reason
