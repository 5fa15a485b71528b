"""Step Functions: an Amazon States Language interpreter on the simulated clock.

``run(definition, input)`` validates and runs a state machine and returns how it ended; with ``cloud=`` its
Task states call that account's Lambda functions and services. ``cloud.client("stepfunctions")`` serves
the API (``service.py``). Modules: ``validation`` and ``state_checks`` (CreateStateMachine's checks),
``machine`` (compile), ``interpreter`` (the execution loop and history), ``dataflow`` (how a state reads and
writes its data), ``branches`` (Parallel and Map), ``distributed_map`` / ``item_reader`` / ``result_writer``
(a Map Run's child executions, items read from S3, results written to it), ``paths`` / ``intrinsics`` /
``choice`` / ``expressions`` (JSONPath, intrinsic functions, Choice rules, JSONata), ``integrations`` (which
Task resources AWS accepts and which are simulated), ``tasks`` (running them), ``graph`` (for drawing),
``testing`` (TestState).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from typing import Any

from labs.runtime.stepfunctions.flow import StatesError
from labs.runtime.stepfunctions.validation import DefinitionError, Problem, validate

__all__ = ["DefinitionError", "Problem", "StatesError", "history_json", "run", "validate"]


def run(
    definition: str | dict,
    input: Any = None,  # noqa: A002 - the name the contract uses
    *,
    cloud: Any = None,
    context: dict | None = None,
    name: str = "run",
    role_arn: str = "",
    workflow_type: str = "STANDARD",
    start_time: float | None = None,
    seed: int | None = 0,
) -> dict:
    """Validate and run a state machine until it ends; returns ``status`` (SUCCEEDED, FAILED, TIMED_OUT,
    ABORTED), ``output`` (parsed JSON), ``error``, ``cause``, ``history`` (AWS's events) and ``execution``.

    ``context`` overrides fields of the context object's ``Execution`` (e.g. ``{"Name": "order-42"}``).
    Without ``cloud`` time is simulated on a private clock starting at ``start_time`` and Task states fail
    with States.TaskFailed (there is no account to call). Raises ``DefinitionError`` for an invalid definition.
    """
    from labs.runtime.core.scheduler import Scheduler
    from labs.runtime.stepfunctions.interpreter import Execution
    from labs.runtime.stepfunctions.machine import compiled_program
    from labs.runtime.stepfunctions.tasks import TaskRunner

    program = compiled_program(definition)
    if cloud is not None:
        scheduler, rng, tasks = cloud.scheduler, cloud.random, cloud.stepfunctions.tasks
        region, account = cloud.region, cloud.account_id
    else:
        scheduler = Scheduler(start=float(int(time.time())) if start_time is None else start_time)
        rng, tasks, region, account = random.Random(seed), TaskRunner(None), "us-east-1", "123456789012"  # noqa: S311
    machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    execution = Execution(
        program,
        {} if input is None else input,
        arn=f"arn:aws:states:{region}:{account}:execution:{name}:{name}-{rng.getrandbits(32):08x}",
        name=name,
        state_machine_arn=machine_arn,
        state_machine_name=name,
        role_arn=role_arn,
        scheduler=scheduler,
        rng=rng,
        tasks=tasks,
        workflow_type=workflow_type,
    )
    if context:
        execution._context_execution.update(context)
    execution.start()
    while execution.status == "RUNNING" and scheduler.pending():
        scheduler.run_for(max(0.0, (scheduler.next_time() or 0) - scheduler.now()))
    if execution.status == "RUNNING":  # nothing left that could wake it: a callback nobody will send
        execution.stop("States.Runtime", "The execution waits for a task token that nothing can send")
    return {
        "status": execution.status,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "history": execution.history,
        "execution": execution,
    }


def history_json(history: list[dict]) -> list[dict]:
    """History events with ISO-8601 timestamps, as the AWS CLI prints them."""
    out = []
    for event in history:
        moment = dt.datetime.fromtimestamp(event["timestamp"], dt.UTC)
        out.append({**event, "timestamp": moment.isoformat(timespec="milliseconds")})
    return json.loads(json.dumps(out))
