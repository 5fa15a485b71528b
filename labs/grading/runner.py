"""Running a lab: grading a submission, and the playground's single invocation.

``grade(lab, files)`` gives each grading a fresh simulated account (``labs.runtime.Cloud``), runs the
grader's setup then each check, and returns one report. The student's code only ever runs inside Lambda
execution environments (the sandbox); the grader and these helpers run on the host, and a verdict depends
only on what the host observed (invocation results, the account's state, the trace), never on what the
student's process says about itself.

The report is plain JSON-able data::

    {"score", "max_score", "checks": [{id, name, points, earned, passed, message, visibility}],
     "invocations": [...], "trace": [...], "executions": [...], "cost_usd", "grading_ms"}

A check that fails because of the student's work costs its points; anything else that goes wrong (the
grader's own bug, a sandbox that cannot start) raises ``InfrastructureError``, so the submission is retried
and, if it keeps failing, shown as an infrastructure error rather than a silent zero. Pure Python: no Django.
"""

from __future__ import annotations

import time
from typing import Any

from labs.grading.catalog import LabSpec
from labs.grading.checks import CheckFailed
from labs.grading.files import validate_files
from labs.grading.session import InfrastructureError, Session, json_safe
from labs.runtime import Cloud, LabsRuntimeError
from labs.runtime.cloudformation.template import _lint_rules
from labs.runtime.sandbox.host import close_fork_servers, fork_server, sweep_abandoned_sandboxes

__all__ = ["execute_draft", "grade", "invoke_draft", "warm_up", "worker_started", "worker_stopping"]


def grade(lab: LabSpec, files: dict[str, str], *, visible_only: bool = False) -> dict:
    """Grade ``files`` against ``lab``; ``visible_only`` runs only the checks shown before submitting
    ("Run checks"). Raises ``ValueError`` for files that do not fit the lab, ``InfrastructureError`` when
    grading itself failed."""
    validate_files(lab.editable, files)
    started = time.perf_counter()
    checks = [c for c in lab.checks if not visible_only or lab.visibility[c.id] == "visible"]
    results = []
    try:
        with Cloud(seed=7) as cloud:
            session = Session(lab, files, cloud)
            setup_failure = None
            setup = lab.setup()
            if setup is not None:
                setup_failure = _run(setup, session)
            for declared in checks:
                first_entry, first_execution = len(cloud.trace), len(session.executions)
                message = setup_failure if setup_failure is not None else _run(declared.run, session)
                if message is not None and setup_failure is None and session.template_warnings:
                    # a warning (a property or resource type not simulated) may be why the check failed
                    message += "\nTemplate warnings:\n" + "\n".join(
                        f"  {w}" for w in session.template_warnings
                    )
                results.append(
                    {
                        "id": declared.id,
                        "name": declared.name,
                        "points": declared.points,
                        "earned": declared.points if message is None else 0,
                        "passed": message is None,
                        "message": message or "",
                        "visibility": lab.visibility[declared.id],
                        # what this check caused, so pages can hide a hidden check's events and logs
                        "trace_range": [first_entry, len(cloud.trace)],
                        "execution_range": [first_execution, len(session.executions)],
                    }
                )
            trace = [json_safe(entry) for entry in cloud.trace]
            executions = session.executions
    except LabsRuntimeError as error:
        raise InfrastructureError(f"the runtime failed: {error}") from error
    invocations = [entry for entry in trace if entry["kind"] == "invocation"]
    return {
        "score": sum(result["earned"] for result in results),
        "max_score": sum(result["points"] for result in results),
        "checks": results,
        "invocations": invocations,
        "trace": trace,
        "executions": executions,
        "cost_usd": round(sum(entry.get("cost_usd", 0) or 0 for entry in invocations), 10),
        "grading_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def invoke_draft(lab: LabSpec, files: dict[str, str], event: Any, *, handler: str = "") -> dict:
    """The playground: deploy ``files`` as the lab's playground handler in a fresh simulated account and
    invoke it once, synchronously, with ``event``. Nothing is checked or scored. Returns what the Lambda
    console's Test shows: the response payload, the function error, the logs, the REPORT figures, and the
    run's trace. Raises ``ValueError`` (files that do not fit, no playground), ``InfrastructureError``."""
    validate_files(lab.editable, files)
    handler = handler or lab.playground_handler
    if not handler:
        raise ValueError(f"lab {lab.slug} has no playground")
    started = time.perf_counter()
    try:
        with Cloud(seed=7) as cloud:
            session = Session(lab, files, cloud)
            name = lab.playground_function or lab.slug[:64]
            session.deploy_function(name, handler=handler)
            first = len(cloud.trace)  # what follows the deployment is the student's run
            result = session.invoke(name, event)
            # the logs are shown once, from the result; the trace keeps the rest of each invocation
            trace = [
                json_safe({k: v for k, v in entry.items() if k != "logs"}) for entry in cloud.trace[first:]
            ]
    except LabsRuntimeError as error:
        raise InfrastructureError(f"the runtime failed: {error}") from error
    invocation = next((entry for entry in trace if entry["kind"] == "invocation"), {})
    return {
        "payload": result.text,
        "function_error": result.function_error,
        "error_type": invocation.get("error_type"),
        "logs": result.logs,
        "duration_ms": result.duration_ms,
        "billed_duration_ms": invocation.get("billed_duration_ms"),
        "init_duration_ms": invocation.get("init_duration_ms"),
        "memory_size_mb": invocation.get("memory_size_mb"),
        "max_memory_used_mb": invocation.get("max_memory_used_mb"),
        "cold_start": result.cold_start,
        "cost_usd": result.cost_usd,
        "trace": trace,
        "run_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def execute_draft(lab: LabSpec, files: dict[str, str], value: Any) -> dict:
    """The "Start execution" box of a Step Functions lab: in a fresh simulated account, the grader's setup
    (the functions and roles the workflow calls) then its ``start_execution(session, value)``, which runs
    the student's draft definition to its end in simulated time. Nothing is checked or scored. Returns
    ``{"execution": {name, status, input, output, error, cause, graph, history}, "trace", "run_ms"}``, or
    ``{"rejected": message}`` when the draft cannot run (invalid JSON or ASL: the validator's words).
    Raises ``ValueError`` (files that do not fit, no such playground), ``InfrastructureError``."""
    validate_files(lab.editable, files)
    start = getattr(lab.grader, "start_execution", None)
    if not lab.playground_state_machine or start is None:
        raise ValueError(f"lab {lab.slug} has no Start execution box")
    started = time.perf_counter()
    try:
        with Cloud(seed=7) as cloud:
            session = Session(lab, files, cloud)
            setup = lab.setup()
            message = _run(setup, session) if setup is not None else None
            first = len(cloud.trace)  # what follows the grader's setup is the student's execution
            if message is None:

                def start_execution(session: Session) -> None:  # named: a grader's failure names it
                    start(session, value)

                message = _run(start_execution, session)
            trace = [json_safe(entry) for entry in cloud.trace[first:]]
    except LabsRuntimeError as error:
        raise InfrastructureError(f"the runtime failed: {error}") from error
    if message is not None or not session.executions:
        return {"rejected": message or "The state machine did not start."}
    return {
        "execution": session.executions[-1],
        "trace": trace,
        "run_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def warm_up() -> None:
    """Load, once per worker process, what a first grading would otherwise wait for: the runtime's fork
    server, boto3's service models, cfn-lint's rule collection (about 2 s) and the SAM translator. A
    failure here is not fatal: the first grading then pays for it, or reports what is missing."""
    _lint_rules()
    import samtranslator.translator.transform  # noqa: F401 - imported for its side effect: loaded once

    with Cloud() as cloud:
        for service in ("iam", "lambda", "sqs", "sns", "s3", "dynamodb", "events", "stepfunctions"):
            cloud.client(service)
        fork_server(cloud.sandbox_mode)  # started, with boto3 preloaded in it


def worker_started() -> None:
    """At worker start: remove the code stores and pids cgroups of worker processes that were killed
    (SIGKILL, a crash) before they could remove their own."""
    sweep_abandoned_sandboxes()


def worker_stopping() -> None:
    """When a worker process ends, however it ends: its fork server goes, and the student code it unpacked."""
    close_fork_servers()


def _run(function, session: Session) -> str | None:
    """Run a check (or the setup): None when it passed, else the message for the student."""
    try:
        function(session)
    except CheckFailed as failure:
        return failure.message
    except LabsRuntimeError:
        raise
    except Exception as error:  # noqa: BLE001 - a grader's own failure is never the student's zero
        raise InfrastructureError(
            f"the grader failed in {function.__name__}: {type(error).__name__}: {error}"
        ) from error
    return None
