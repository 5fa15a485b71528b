"""Parallel branches and Map iterations: child threads, MaxConcurrency in simulated time, tolerated failures.

A mixin of ``Execution``: a branch yields ``Spawn`` with one factory per child, ``_run_children`` starts
them (no more than MaxConcurrency at once) and resumes the parent with every child's (ok, value) once all
have finished or the failures exceed what the state tolerates (then the rest are aborted).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from labs.runtime.stepfunctions.flow import Spawn, StatesError
from labs.runtime.stepfunctions.machine import State
from labs.runtime.stepfunctions.scope import Scope, dumps

if TYPE_CHECKING:
    from labs.runtime.stepfunctions.scope import Thread

__all__ = ["Branching"]


class Branching:
    """Parallel and Map for ``Execution`` (which supplies record, run_program, _spawn_thread, _evaluate...)."""

    def _run_children(self, parent: Thread, command: Spawn) -> list | None:
        total = len(command.children)
        results: list = [None] * total
        progress = {"next": 0, "running": 0, "finished": 0, "failed": 0, "launching": False, "over": False}
        parent.children = []

        def launch() -> None:
            progress["launching"] = True
            while (
                not progress["over"]
                and progress["next"] < total
                and (command.max_concurrency <= 0 or progress["running"] < command.max_concurrency)
            ):
                index = progress["next"]
                progress["next"] += 1
                progress["running"] += 1
                factory = command.children[index]
                child = self._spawn_thread(
                    lambda thread, factory=factory: factory(thread),
                    lambda ok, value, index=index: child_done(index, ok, value),
                    parent.last_event,
                )
                parent.children.append(child)
            progress["launching"] = False

        def child_done(index: int, ok: bool, value: Any) -> None:
            progress["running"] -= 1
            progress["finished"] += 1
            results[index] = (ok, value)
            if not ok:
                progress["failed"] += 1
                if progress["failed"] > command.tolerated:
                    progress["over"] = True
                    for other in parent.children:
                        if not other.done:
                            self._abort_thread(other)
                    progress["running"] = 0  # the aborted children will never report
            if progress["launching"]:
                return
            if not progress["over"]:
                launch()
            if self._children_over(progress, total):
                self._resume(parent, results)

        launch()
        return results if self._children_over(progress, total) else None

    @staticmethod
    def _children_over(progress: dict, total: int) -> bool:
        return progress["running"] == 0 and (progress["over"] or progress["finished"] == total)

    def _parallel(self, state: State, value: Any, scope: Scope, thread: Thread) -> Generator:
        self.record(thread, "ParallelStateStarted")
        children = [
            lambda child, branch=branch: self.run_program(branch, value, Scope(scope), child)
            for branch in state.branches
        ]
        results = yield Spawn(children)
        failure = next((result for ok, result in (r for r in results if r) if not ok), None)
        if failure is not None:
            self.record(
                thread,
                "ParallelStateFailed",
                parallelStateFailedEventDetails={"error": failure.error, "cause": failure.cause},
            )
            raise failure
        self.record(thread, "ParallelStateSucceeded")
        return [result for _, result in results]

    def _map(
        self, state: State, effective: Any, scope: Scope, thread: Thread, context: dict, bindings
    ) -> Generator:
        if state.distributed is not None:
            return (yield from self._distributed_map(state, effective, scope, thread, context, bindings))
        items = (
            self._dynamic(state, "Items", effective, context, scope, bindings)
            if "Items" in state.dynamic
            else effective
        )
        if not isinstance(items, list):
            raise self._runtime_error(state, f"Map items must be an array, but got '{dumps(items)}'")
        batcher = state.spec.get("ItemBatcher")
        if batcher:
            size = batcher.get("MaxItemsPerBatch") or len(items) or 1
            base = batcher.get("BatchInput", {})
            items = [{"BatchInput": base, "Items": items[i : i + size]} for i in range(0, len(items), size)]
        max_concurrency = (
            self._dynamic_number(state, "MaxConcurrency", effective, context, scope, bindings) or 0
        )
        tolerated = self._tolerated(state, len(items), effective, context, scope, bindings)
        self.record(thread, "MapStateStarted", mapStateStartedEventDetails={"length": len(items)})
        iteration_inputs = [
            self._iteration_input(state, index, item, effective, context, scope)
            for index, item in enumerate(items)
        ]

        def iteration(child: Thread, index: int) -> Generator:
            details = {"name": state.name, "index": index}
            self.record(child, "MapIterationStarted", mapIterationStartedEventDetails=details)
            try:
                output = yield from self.run_program(
                    state.iterator, iteration_inputs[index], Scope(scope), child
                )
            except StatesError:
                self.record(child, "MapIterationFailed", mapIterationFailedEventDetails=details)
                raise
            self.record(child, "MapIterationSucceeded", mapIterationSucceededEventDetails=details)
            return output

        children = [lambda child, index=index: iteration(child, index) for index in range(len(items))]
        results = yield Spawn(children, max_concurrency=int(max_concurrency), tolerated=tolerated)
        failures = [result for result in results if result and not result[0]]
        if len(failures) > tolerated:
            for index, result in enumerate(results):
                if result is None:
                    self.record(
                        thread,
                        "MapIterationAborted",
                        mapIterationAbortedEventDetails={"name": state.name, "index": index},
                    )
            self.record(thread, "MapStateFailed")
            if (
                tolerated
                or "ToleratedFailurePercentage" in state.dynamic
                or "ToleratedFailureCount" in state.dynamic
            ):
                raise StatesError(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                )
            raise failures[0][1]
        self.record(thread, "MapStateSucceeded")
        return [value.output() if not ok else value for ok, value in results]

    def _iteration_input(
        self, state: State, index: int, item: Any, effective: Any, context: dict, scope: Scope
    ):
        """What one Map iteration receives: the item, or ItemSelector / Parameters evaluated with
        ``$$.Map.Item`` (``$states.context.Map.Item`` in JSONata) set to its index and value."""
        if state.parameters is None:
            return item
        item_context = dict(context, Map={"Item": {"Index": index, "Value": item}})
        if state.jsonata:
            states = {"input": effective, "context": item_context}
            return self._evaluate(state, state.parameters, self._bindings(scope, states))
        lookup = self._lookup(effective, item_context, scope)
        return self._evaluate(state, state.parameters, lookup, self.rng, source=effective)

    def _tolerated(self, state: State, total: int, data, context, scope, bindings) -> int:
        count = self._dynamic_number(state, "ToleratedFailureCount", data, context, scope, bindings)
        percentage = self._dynamic_number(
            state, "ToleratedFailurePercentage", data, context, scope, bindings, high=100, integer=False
        )
        limits = []
        if count is not None:
            limits.append(int(count))
        if percentage is not None:
            limits.append(int(total * float(percentage) / 100))
        return min(limits) if limits else 0
