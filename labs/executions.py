"""A Step Functions execution read as the console reads it, from what the runtime records (its
``GetExecutionHistory`` events): each state's input, output, error and cause, with the retries of a Task
counted on that Task; and the event-history table (id, type, step, time since the start). Pure functions
over plain data: the result page, the instructor's review and the Start execution box all call
``execution_view``.

The console's Execution Details page (https://docs.aws.amazon.com/step-functions/latest/dg/exec-details-interface-overview.html,
and https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html): choosing a state
in the graph shows its input, output and error; the event view lists each event with its id, type, step and
the time since the execution started; a Task's retries are the repeated Scheduled/Started/Failed events of
the same step. The event types and their ``...EventDetails``:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

__all__ = ["execution_view", "history_rows", "state_details"]

# The events that start one attempt of a Task's work (a retry repeats them).
_ATTEMPT_STARTS = {"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"}
_FAILURES = {
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
    "ActivityFailed",
    "ActivityTimedOut",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "MapIterationFailed",
}


def _details(event: dict) -> dict:
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {}) or {}


def _json_text(text: Any) -> str:
    """A JSON document as indented text (the console's pretty view); other text as it is."""
    if not isinstance(text, str):
        return json.dumps(text, indent=2)
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def _steps(history: list[dict]) -> dict[int, str]:
    """Event id -> the state it belongs to: a StateEntered event names it, and the events that follow it
    (by ``previousEventId``) belong to it until the state is exited."""
    by_id = {event["id"]: event for event in history}
    steps: dict[int, str] = {}
    for event in history:
        details = _details(event)
        if event["type"].endswith("StateEntered") or event["type"].endswith("StateExited"):
            steps[event["id"]] = details.get("name", "")
            continue
        previous = by_id.get(event.get("previousEventId"))
        if previous is not None and not previous["type"].endswith("StateExited"):
            steps[event["id"]] = steps.get(previous["id"], "")
    return steps


def _elapsed_ms(start: str | None, timestamp: str | None) -> int | None:
    try:
        return round(
            (dt.datetime.fromisoformat(timestamp) - dt.datetime.fromisoformat(start)).total_seconds() * 1000
        )
    except (TypeError, ValueError):
        return None


def history_rows(history: list[dict]) -> list[dict]:
    """The console's event-history table: one row per event, {id, type, step, elapsed_ms, error, cause,
    attempt} (``attempt``: the number of a Task's try, counted per state, 2 and up being retries)."""
    steps = _steps(history)
    start = history[0].get("timestamp") if history else None
    attempts: dict[str, int] = {}
    rows = []
    for event in history:
        details = _details(event)
        step = steps.get(event["id"], "")
        attempt = None
        if event["type"] in _ATTEMPT_STARTS:
            attempts[step] = attempt = attempts.get(step, 0) + 1
        rows.append(
            {
                "id": event["id"],
                "type": event["type"],
                "step": step,
                "elapsed_ms": _elapsed_ms(start, event.get("timestamp")),
                "error": details.get("error") or "",
                "cause": details.get("cause") or "",
                "attempt": attempt,
            }
        )
    return rows


def state_details(history: list[dict]) -> dict[str, dict]:
    """State name -> what it did: {visits: [{input, output, error, cause}], attempts, retries, failures:
    [{error, cause}] of the attempts that failed, errors: [{error, count}] the same counted}. A state entered more than once (a loop, a Map's
    iterations) has one visit each time."""
    steps = _steps(history)
    states: dict[str, dict] = {}
    for event in history:
        details, kind = _details(event), event["type"]
        step = steps.get(event["id"])
        if not step:
            continue
        state = states.setdefault(step, {"visits": [], "attempts": 0, "failures": []})
        if kind.endswith("StateEntered"):
            state["visits"].append({"input": _json_text(details.get("input", "")), "output": None})
        elif kind.endswith("StateExited") and state["visits"]:
            state["visits"][-1]["output"] = _json_text(details.get("output", ""))
        elif kind in _ATTEMPT_STARTS:
            state["attempts"] += 1
        elif kind in _FAILURES or kind.endswith("Failed"):
            failure = {"error": details.get("error") or "", "cause": _json_text(details.get("cause") or "")}
            state["failures"].append(failure)
            if state["visits"]:
                state["visits"][-1].update(failure)
    for state in states.values():
        state["retries"] = max(state["attempts"] - 1, 0)
        counts: dict[str, int] = {}
        for failure in state["failures"]:
            counts[failure["error"]] = counts.get(failure["error"], 0) + 1
        state["errors"] = [{"error": error, "count": count} for error, count in counts.items()]
    return states


def execution_view(execution: dict, key: str) -> dict:
    """``execution`` with what its page shows beside the graph: ``key`` (unique on the page, for element
    ids), ``states`` (one per graph node, in the graph's order, with ``details``: see ``state_details``;
    None for a state that never ran) and ``events`` (``history_rows``)."""
    history = execution.get("history") or []
    details = state_details(history)
    nodes = (execution.get("graph") or {}).get("nodes") or []
    states = [dict(node, index=index, details=details.get(node["id"])) for index, node in enumerate(nodes)]
    return dict(execution, key=key, states=states, events=history_rows(history))
