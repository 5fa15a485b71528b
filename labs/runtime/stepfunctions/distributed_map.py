"""A Map state in Distributed mode: a Map Run whose items run as child workflow executions.

A mixin of ``Execution``. As "Map state in Distributed mode" documents it,
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html :

- the items come from the state input (``ItemsPath`` / ``Items``) or from S3 (``ItemReader``,
  ``item_reader.py``); ``ItemSelector`` shapes each one (``$$.Map.Item.Index`` / ``Value``);
- ``ItemBatcher`` groups them (``MaxItemsPerBatch``, ``MaxInputBytesPerBatch``, their ``...Path`` forms;
  ``BatchInput``): a child then receives ``{"BatchInput": ..., "Items": [...]}``
  (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html);
- each item or batch runs as a child workflow execution (``ProcessorConfig.ExecutionType`` STANDARD or
  EXPRESS) on the simulated clock, no more than ``MaxConcurrency`` at once, with its own history, named
  ``arn:aws:states:REGION:ACCOUNT:execution:MACHINE/LABEL:ID`` (``express:`` for Express) under a Map Run
  ``arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:RUN-ID``; LABEL is the state's ``Label`` or a UUID
  (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html);
- more failed items than ``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` tolerate (none by
  default) aborts the children still running and fails the state with
  ``States.ExceedToleratedFailureThreshold``
  (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html);
- ``ResultWriter`` exports the results to S3 (``result_writer.py``).
The parent's history shows MapStateStarted, MapRunStarted, then MapRunSucceeded or MapRunFailed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from labs.runtime.stepfunctions.flow import StatesError, Suspend
from labs.runtime.stepfunctions.item_reader import read_items
from labs.runtime.stepfunctions.result_writer import format_results, write_results
from labs.runtime.stepfunctions.scope import Scope, dumps

if TYPE_CHECKING:
    from labs.runtime.stepfunctions.machine import State
    from labs.runtime.stepfunctions.scope import Thread

__all__ = ["DistributedMapping"]

_THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"
_MAX_BATCH_BYTES = 256 * 1024  # a child's input, like every execution's, is at most 256 KiB


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class DistributedMapping:
    """Distributed Map for ``Execution`` (which supplies record, tasks, scheduler, rng, _dynamic...)."""

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _distributed_map(
        self, state: State, effective: Any, scope: Scope, thread: Thread, context: dict, bindings
    ) -> Generator:
        spec = state.distributed
        items = self._map_items(state, effective, context, scope, bindings)
        inputs = [
            self._iteration_input(state, index, item, effective, context, scope)
            for index, item in enumerate(items)
        ]
        inputs, weights = self._batches(state, inputs, effective, context, scope, bindings)
        max_concurrency = self._dynamic_number(state, "MaxConcurrency", effective, context, scope, bindings)
        tolerated = self._tolerated(state, len(items), effective, context, scope, bindings)
        _, partition, _, region, account, _, machine = (self.state_machine_arn.split(":") + [""] * 7)[:7]
        prefix = f"arn:{partition}:states:{region}:{account}"
        label = spec["label"] or self._uuid()
        run = {
            "mapRunArn": f"{prefix}:mapRun:{machine}/{label}:{self._uuid()}",
            "stateMachineArn": f"{prefix}:stateMachine:{machine}/{label}",
            "kind": "express" if spec["execution_type"] == "EXPRESS" else "execution",
            "prefix": prefix,
            "machine": f"{machine}/{label}",
            "label": label,
            "state": state,
            "executions": [],
            "status": "RUNNING",
            "startDate": self.scheduler.now(),
            "maxConcurrency": int(max_concurrency or 0),
            "tolerated": tolerated,
        }
        self.map_runs.append(run)
        self.record(thread, "MapStateStarted", mapStateStartedEventDetails={"length": len(inputs)})
        self.record(thread, "MapRunStarted", mapRunStartedEventDetails={"mapRunArn": run["mapRunArn"]})
        children = yield Suspend(self._map_run(run, inputs, weights, int(max_concurrency or 0), tolerated))
        failed = sum(weight for child, weight in zip(children, weights, strict=True) if _failed(child))
        records = [self._child_record(child, value) for child, value in zip(children, inputs, strict=True)]
        exceeded = failed > tolerated
        run["status"], run["stopDate"] = "FAILED" if exceeded else "SUCCEEDED", self.scheduler.now()
        result = None
        writer = spec.get("writer")
        if writer is not None and "Resource" in writer:
            parameters = self._distributed_parameters(
                state, spec["writer_parameters"], effective, context, scope, bindings
            )
            result = write_results(
                self._s3("ResultWriterFailed"),
                parameters,
                run["mapRunArn"],
                records,
                writer.get("WriterConfig") or {},
            )
        elif writer is not None:
            result = format_results(
                records, (writer.get("WriterConfig") or {}).get("Transformation", "COMPACT")
            )
        if exceeded:
            details = {"error": "States.ExceedToleratedFailureThreshold", "cause": _THRESHOLD_CAUSE}
            self.record(thread, "MapRunFailed", mapRunFailedEventDetails=details)
            self.record(thread, "MapStateFailed")
            raise StatesError("States.ExceedToleratedFailureThreshold", _THRESHOLD_CAUSE)
        self.record(thread, "MapRunSucceeded")
        self.record(thread, "MapStateSucceeded")
        if result is None:
            # Without a ResultWriter the results are COMPACT: each child's output, and a failed child's
            # execution record unchanged (input-output-resultwriter.html, WriterConfig).
            result = format_results(records, "COMPACT")
        return result

    # -- items ------------------------------------------------------------------------------------------------
    def _map_items(self, state: State, effective: Any, context: dict, scope: Scope, bindings) -> list:
        spec = state.distributed
        if "reader" in spec:
            parameters = self._distributed_parameters(
                state, spec["reader_parameters"], effective, context, scope, bindings
            )
            max_items = self._dynamic_number(
                state,
                "ItemReader.MaxItems",
                effective,
                context,
                scope,
                bindings,
                source=_source(spec["reader"].get("ReaderConfig") or {}, "MaxItems"),
            )
            return read_items(spec["reader"], parameters, self._s3("ItemReaderFailed"), max_items)
        items = (
            self._dynamic(state, "Items", effective, context, scope, bindings)
            if "Items" in state.dynamic
            else effective
        )
        if not isinstance(items, list):
            raise self._runtime_error(state, f"Map items must be an array, but got '{dumps(items)}'")
        return items

    def _distributed_parameters(self, state: State, render, effective, context, scope, bindings) -> Any:
        if render is None:
            return {}
        if state.jsonata:
            return self._evaluate(
                state, render, self._bindings(scope, {"input": effective, "context": context})
            )
        return self._evaluate(
            state, render, self._lookup(effective, context, scope), self.rng, source=effective
        )

    def _s3(self, failure: str) -> Any:
        try:
            return self.tasks.client_for(self, "s3")
        except StatesError as error:
            raise StatesError(f"States.{failure}", error.cause) from None

    def _batches(self, state: State, inputs: list, effective, context, scope, bindings) -> tuple[list, list]:
        """The children's inputs and how many items each holds."""
        spec = state.distributed
        if "batcher" not in spec:
            return inputs, [1] * len(inputs)
        args = (effective, context, scope, bindings)
        max_items = self._dynamic_number(
            state, "ItemBatcher.MaxItemsPerBatch", *args, source=_source(spec["batcher"], "MaxItemsPerBatch")
        )
        max_bytes = self._dynamic_number(
            state,
            "ItemBatcher.MaxInputBytesPerBatch",
            *args,
            source=_source(spec["batcher"], "MaxInputBytesPerBatch"),
        )
        base = None
        if spec["batch_input"] is not None:
            base = self._distributed_parameters(state, spec["batch_input"], *args)
        limit_bytes = min(max_bytes or _MAX_BATCH_BYTES, _MAX_BATCH_BYTES)
        batches: list[list] = []
        size = 0
        for item in inputs:
            item_size = len(dumps(item).encode()) + 1
            if (
                batches
                and (len(batches[-1]) < (max_items or len(inputs)))
                and size + item_size <= limit_bytes
            ):
                batches[-1].append(item)
                size += item_size
            else:
                batches.append([item])
                size = item_size
        shaped = [
            {"BatchInput": base, "Items": batch} if base is not None else {"Items": batch}
            for batch in batches
        ]
        return shaped, [len(batch) for batch in batches]

    # -- the Map Run ---------------------------------------------------------------------------------------------
    def _map_run(
        self, run: dict, inputs: list, weights: list, max_concurrency: int, tolerated: int
    ) -> Suspend:
        """Start the child executions on the scheduler, no more than ``max_concurrency`` at once; resume the
        Map state with them (None for a child never started) once all ended or too many failed."""
        total = len(inputs)
        children: list = [None] * total
        progress = {"next": 0, "running": 0, "failed": 0, "over": False, "resumed": False}

        def setup(resume: Callable[[Any], None]) -> Callable[[], None]:
            def launch() -> None:
                while (
                    not progress["over"]
                    and progress["next"] < total
                    and (max_concurrency <= 0 or progress["running"] < max_concurrency)
                ):
                    index = progress["next"]
                    progress["next"] += 1
                    progress["running"] += 1
                    self.scheduler.call_later(0, lambda i=index: start(i), "sfn map run child start")
                settle()

            def start(index: int) -> None:
                if progress["over"]:  # the Map Run failed or stopped before this child's turn came
                    progress["running"] -= 1
                    settle()
                    return
                children[index] = self._child_execution(run, index, inputs[index], finished)
                children[index].start()

            def finished(child) -> None:
                progress["running"] -= 1
                if _failed(child):
                    progress["failed"] += weights[child.map_index]
                    if progress["failed"] > tolerated and not progress["over"]:
                        progress["over"] = True
                        for other in children:
                            if other is not None and other is not child:
                                other.stop("States.Aborted", "The Map Run failed")
                if not progress["over"]:
                    launch()
                settle()

            def settle() -> None:
                done = progress["over"] or progress["next"] == total
                if done and progress["running"] <= 0 and not progress["resumed"]:
                    progress["resumed"] = True
                    self.scheduler.call_later(0, lambda: resume(children), "sfn map run done")

            def cancel() -> None:
                progress["over"] = progress["resumed"] = True
                for child in children:
                    if child is not None:
                        child.stop("States.Aborted", "The execution that started the Map Run stopped")

            self.scheduler.call_later(0, launch, "sfn map run start")
            return cancel

        return setup

    def _child_execution(self, run: dict, index: int, value: Any, finished: Callable) -> Any:
        name = self._uuid()
        child = type(self)(
            run["state"].iterator,
            value,
            arn=f"{run['prefix']}:{run['kind']}:{run['machine']}:{name}",
            name=name,
            state_machine_arn=run["stateMachineArn"],
            state_machine_name=run["machine"],
            role_arn=self.role_arn,
            scheduler=self.scheduler,
            rng=self.rng,
            tasks=self.tasks,
            workflow_type="EXPRESS" if run["kind"] == "express" else "STANDARD",
        )
        child.map_run_arn, child.map_index = run["mapRunArn"], index
        child.state_status = self.state_status  # the graph shows the item processor's states as they ran
        child.on_finish_callbacks.append(finished)
        run["executions"].append(child)
        register = getattr(self.tasks, "register_child", None)
        if register is not None:
            register(self, child)
        return child

    @staticmethod
    def _child_record(child: Any, value: Any) -> dict:
        """A child execution as ResultWriter's NONE transformation writes it."""
        if child is None:
            return {"Input": json.dumps(value), "InputDetails": {"Included": True}, "Status": "PENDING"}
        record = {
            "ExecutionArn": child.arn,
            "Input": json.dumps(child.input),
            "InputDetails": {"Included": True},
            "Name": child.name,
            "RedriveCount": 0,
            "StartDate": _iso(child.start_time),
            "StateMachineArn": child.state_machine_arn,
            "Status": child.status,
            "StopDate": _iso(child.stop_time),
        }
        if child.status == "SUCCEEDED":
            record["Output"] = json.dumps(child.output)
            record["OutputDetails"] = {"Included": True}
            record["RedriveStatus"] = "NOT_REDRIVABLE"
            record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        else:
            record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
            record["Error"], record["Cause"] = child.error, child.cause or ""
        return record


def _source(container: dict, name: str) -> str:
    """The field a bad value came from, as the failure names it."""
    return f"{name}Path" if f"{name}Path" in container else name


def _failed(child: Any) -> bool:
    return child is not None and child.status in ("FAILED", "TIMED_OUT", "ABORTED")
