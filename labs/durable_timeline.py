"""A Lambda durable execution read as a timeline a student can follow, from a grading's trace records
(``durable_execution``, ``durable_invocation``, ``durable_operation``, ``durable_resumed``, ``fault_injected``;
see labs/runtime/core/trace.py). Pure functions over plain data: the result page and the instructor's review
call ``durable_timelines``.

How durable functions run (https://docs.aws.amazon.com/lambda/latest/dg/durable-basic-concepts.html, "How
replay works"): Lambda keeps a log of the operations checkpointed; when the execution resumes (after a wait,
a retry delay, a callback, or an interruption) Lambda invokes the function again from the beginning and the
SDK replays the completed operations, returning their stored results without running their code
(https://docs.aws.amazon.com/durable-execution/sdk-reference/operations/step/). A step whose attempt was
interrupted before its result was checkpointed runs again on replay under the default at-least-once
semantics; at-most-once raises StepInterrupted instead
(https://aws.github.io/aws-durable-execution-docs/patterns/best-practices/idempotency/).

Each execution becomes::

    {"arn", "name", "function", "status", "error", "entries": [...]}

and each entry is either an invocation ``{"kind": "invocation", "number", "replay", "replayed",
"outcome", "outcome_text", "offset", "replay_text", "fault", "operations": [...]}`` or a resumption by the
service ``{"kind": "resumed", "offset", "text"}`` (the operations it completed said in it), or an
operation the service completed while the function ran ``{"kind": "service", "offset", "text"}``. An
operation is ``{"name", "type", "action", "text", "offset", "reran", "lost_in"}``: ``lost_in`` is the number of an earlier invocation that started this step
but never checkpointed its result; ``reran`` says its code ran again in this invocation.
"""

from __future__ import annotations

__all__ = ["durable_timelines", "time_offset"]

_KINDS = {"durable_execution", "durable_invocation", "durable_operation", "durable_resumed"}

_OUTCOMES = {
    "pending": "Suspended: the execution waits for a timer, a retry or a callback.",
    "succeeded": "The execution succeeded.",
    "failed": "The execution failed.",
    "interrupted": "Interrupted: the execution environment died before the invocation finished (an injected fault).",
    "error": "The invocation failed with an error.",
    "running": "Still running when the grading ended.",
    "timed_out": "The execution timed out.",
    "stopped": "The execution was stopped.",
}

# What an action on an operation of a type reads as; "{name}" is the operation's name.
_STEP = {
    "START": "step {name} started",
    "SUCCEED": "step {name} succeeded (result checkpointed)",
    "FAIL": "step {name} failed",
    "RETRY": "step {name} failed: retry scheduled",
    "CANCEL": "step {name} cancelled",
}
_WORDS = {
    "STEP": _STEP,
    "WAIT": {
        "START": "wait {name} started",
        "SUCCEED": "wait {name} ended",
        "CANCEL": "wait {name} cancelled",
    },
    "CALLBACK": {
        "START": "callback {name} created: the execution waits for its answer",
        "SUCCEED": "callback {name} answered: success",
        "FAIL": "callback {name} answered: failure",
        "TIME_OUT": "callback {name} timed out",
        "CANCEL": "callback {name} cancelled",
    },
    "CONTEXT": {
        "START": "child context {name} started",
        "SUCCEED": "child context {name} finished",
        "FAIL": "child context {name} failed",
    },
    "CHAINED_INVOKE": {
        "START": "chained invoke {name} started: Lambda invokes the other function",
        "SUCCEED": "chained invoke {name} returned",
        "FAIL": "chained invoke {name} failed",
        "TIME_OUT": "chained invoke {name} timed out",
        "STOP": "chained invoke {name} stopped",
    },
    "EXECUTION": {
        "SUCCEED": "the execution's result checkpointed: succeeded",
        "FAIL": "the execution's error checkpointed: failed",
    },
}


# A child context's sub-type (the SDK's map and parallel run in child contexts) in words.
_CONTEXTS = {
    "Map": "map",
    "MapIteration": "map iteration",
    "Parallel": "parallel",
    "ParallelBranch": "parallel branch",
}
# Updates the service makes, not the function: a wait ending, a callback answered or timing out, a chained
# invoke finishing. The runtime records them with the cause of the checkpoint that started them.
_BY_SERVICE = {"WAIT", "CALLBACK", "CHAINED_INVOKE"}


def time_offset(seconds: float) -> str:
    """Simulated time since the execution started, in words: "+0 s", "+3 s", "+2 min 5 s", "+1 h",
    "+1 day", "+2 days 3 h" (the two largest units only)."""
    total = max(0, round(seconds))
    units = [("day", 86400), ("h", 3600), ("min", 60), ("s", 1)]
    parts = []
    for unit, size in units:
        count, total = divmod(total, size)
        if count:
            plural = "s" if unit == "day" and count != 1 else ""
            parts.append(f"{count} {unit}{plural}")
    return "+" + " ".join(parts[:2]) if parts else "+0 s"


def _duration(seconds: float) -> str:
    return time_offset(seconds)[1:]


def _operation_text(record: dict) -> str:
    name = record.get("name") or record.get("sub_type") or "(unnamed)"
    kind, action = str(record.get("type")), str(record.get("action"))
    template = _WORDS.get(kind, {}).get(action)
    if template is None:
        return f"{kind.lower().replace('_', ' ')} {name}: {action.lower().replace('_', ' ')}"  # a new kind
    text = template.format(name=name)
    context = _CONTEXTS.get(str(record.get("sub_type")))
    return text.replace("child context", context, 1) if kind == "CONTEXT" and context else text


def _replay_text(invocation: dict) -> str:
    """Said once per replay: what ran again and what did not."""
    replayed = int(invocation.get("replayed") or 0)
    skipped = (
        f"The SDK replayed {replayed} completed operation{'s' if replayed != 1 else ''} from the checkpoints"
        " without running their code again"
        if replayed
        else "No operation had completed yet, so nothing could be replayed from the checkpoints"
    )
    return (
        "Replay: Lambda ran the handler again from the top. "
        + skipped
        + "; the code outside steps (before, between and after them) ran again."
    )


def _belongs(trace: list[dict]) -> tuple[dict[int, dict], dict[int, int]]:
    """(seq -> record, seq of a Lambda invocation record -> seq of the durable invocation it served)."""
    by_seq = {entry["seq"]: entry for entry in trace}
    served = {
        entry["seq"]: entry["cause"]
        for entry in trace
        if entry.get("kind") == "invocation"
        and by_seq.get(entry.get("cause"), {}).get("kind") == "durable_invocation"
    }
    return by_seq, served


def _new_execution(arn: str, record: dict | None) -> dict:
    record = record or {}
    function = str(record.get("function_arn") or arn.split("/durable-execution/")[0])
    return {
        "arn": arn,
        "name": record.get("name") or arn.partition("/durable-execution/")[2].split("/")[0] or arn,
        "function": function.split(":function:", 1)[-1],
        "status": record.get("status") or "RUNNING",
        "error": record.get("error") or "",
        "start": record.get("time"),
        "entries": [],
    }


def _invocation_entry(record: dict, number: int, offset: str) -> dict:
    outcome = str(record.get("outcome") or "running")
    return {
        "kind": "invocation",
        "seq": record["seq"],
        "number": number,
        "replay": bool(record.get("replay")),
        "replayed": int(record.get("replayed") or 0),
        "outcome": outcome,
        "outcome_text": _OUTCOMES.get(outcome, outcome),
        "offset": offset,
        "replay_text": _replay_text(record) if record.get("replay") else "",
        "fault": "",
        "operations": [],
    }


def _mark_rerun(operation: dict, record: dict, number: int, open_steps: dict[str, int]) -> None:
    """Track steps started but not closed; mark a step whose earlier attempt lost its result. Its code ran
    again here if this invocation starts it again or checkpoints its result (at-least-once semantics)."""
    if record.get("type") != "STEP":
        return
    key, action = str(record.get("operation_id")), record.get("action")
    earlier = open_steps.get(key)
    if earlier is not None and earlier != number:
        operation["lost_in"] = earlier
        operation["reran"] = action in ("START", "SUCCEED")
        if operation["reran"]:
            operation["text"] += (
                f": its code ran again, because invocation {earlier} ran it but its result was lost"
            )
        else:
            operation["text"] += (
                f" (its attempt in invocation {earlier} was interrupted before its checkpoint)"
            )
    if action == "START":
        open_steps[key] = number
    else:
        open_steps.pop(key, None)


def _wait_lengths(records: list[dict]) -> dict[str, float]:
    """operation id -> how long the wait lasted (from its START to the service's SUCCEED)."""
    started, lengths = {}, {}
    for record in records:
        if record.get("kind") == "durable_operation" and record.get("type") == "WAIT":
            key = str(record.get("operation_id"))
            if record.get("action") == "START":
                started[key] = record["time"]
            elif record.get("action") == "SUCCEED" and key in started:
                lengths[key] = record["time"] - started[key]
    return lengths


def _resumed(entries: list[dict], record: dict, offset: str) -> dict:
    """The service invoking the function again; the operations it completed just before (a wait ended, a
    callback answered) are its reasons, said once, in place of the record's own reason."""
    done = []
    while entries and entries[-1]["kind"] == "service" and entries[-1]["offset"] == offset:
        done.insert(0, entries.pop()["text"])
    reason = "; ".join(done) or str(record.get("reason") or "")
    return {"kind": "resumed", "offset": offset, "text": f"Resumed by the service: {reason}"}


def _build(execution: dict, records: list[dict], by_seq: dict, served: dict[int, int]) -> None:
    """Fill ``execution["entries"]`` from its ``records`` (in trace order)."""
    invocations: dict[int, dict] = {}
    open_steps: dict[str, int] = {}
    waits = _wait_lengths(records)
    start = execution["start"] if execution["start"] is not None else records[0]["time"]
    for record in records:
        offset = time_offset(record["time"] - start)
        kind = record["kind"]
        if kind == "durable_invocation":
            entry = _invocation_entry(record, len(invocations) + 1, offset)
            invocations[record["seq"]] = entry
            execution["entries"].append(entry)
        elif kind == "durable_resumed":
            execution["entries"].append(_resumed(execution["entries"], record, offset))
        elif kind == "durable_operation":
            owner = invocations.get(served.get(record.get("cause"), -1))
            if record.get("type") in _BY_SERVICE and record.get("action") not in ("START", "CANCEL"):
                owner = None
            operation = {
                "name": record.get("name") or "",
                "type": record.get("type"),
                "action": record.get("action"),
                "text": _operation_text(record),
                "offset": offset,
                "reran": False,
                "lost_in": None,
            }
            key = str(record.get("operation_id"))
            if record.get("type") == "WAIT" and record.get("action") == "START":
                operation["text"] += f" for {_duration(waits[key])}" if key in waits else " (still waiting)"
            if owner is None:  # the service completed it (a wait ended, a callback was answered, ...)
                execution["entries"].append({"kind": "service", "offset": offset, "text": operation["text"]})
                continue
            _mark_rerun(operation, record, owner["number"], open_steps)
            owner["operations"].append(operation)
        elif kind == "fault_injected":
            owner = invocations.get(served.get(record.get("cause"), -1))
            if owner is not None:
                owner["fault"] = (
                    f"Injected fault: the execution environment died right after step {record.get('target')}"
                    " ran, before its result was checkpointed."
                )


def durable_timelines(trace: list[dict]) -> list[dict]:
    """Each durable execution in ``trace`` (serialized trace records, in order) as a timeline, in the order
    the executions started. Records of other kinds are ignored, except the Lambda invocations that tie a
    checkpoint to the durable invocation it came from and the faults injected into them."""
    by_seq, served = _belongs(trace)
    executions: dict[str, dict] = {}
    records: dict[str, list[dict]] = {}
    for entry in trace:
        kind = entry.get("kind")
        if kind == "fault_injected" and entry.get("fault") == "durable_interruption":
            invocation = by_seq.get(served.get(entry.get("cause"), -1), {})
            arn = invocation.get("execution_arn")
        elif kind in _KINDS:
            arn = entry.get("execution_arn")
        else:
            continue
        if not arn:
            continue
        if arn not in executions:
            executions[arn] = _new_execution(arn, entry if kind == "durable_execution" else None)
            records[arn] = []
        records[arn].append(entry)
    for arn, execution in executions.items():
        _build(execution, records[arn], by_seq, served)
        del execution["start"]
    return list(executions.values())
