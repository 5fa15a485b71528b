"""A state machine as a graph for drawing, like the Step Functions console: nodes, edges, and nesting.

Parallel branches and Map iterators are subgraphs: their states carry ``parent`` (the Parallel or Map state)
and ``branch`` (the branch index; 0 for a Map's iterator). With an execution, each node gets its status:
NOT_RUN, RUNNING, SUCCEEDED, FAILED or CAUGHT_ERROR.
"""

from __future__ import annotations

from typing import Any

__all__ = ["state_machine_graph"]


def state_machine_graph(definition: dict, execution: Any = None) -> dict:
    """``{"start": name, "nodes": [...], "edges": [...]}`` for a validated definition."""
    nodes: list[dict] = []
    edges: list[dict] = []
    statuses = execution.state_status if execution is not None else {}
    _add(definition, None, None, nodes, edges, statuses)
    return {"start": definition["StartAt"], "nodes": nodes, "edges": edges}


def _add(
    machine: dict, parent: str | None, branch: int | None, nodes: list, edges: list, statuses: dict
) -> None:
    for name, spec in machine["States"].items():
        nodes.append(
            {
                "id": name,
                "type": spec["Type"],
                "parent": parent,
                "branch": branch,
                "start": name == machine["StartAt"],
                "end": bool(spec.get("End")) or spec["Type"] in ("Succeed", "Fail"),
                "status": statuses.get(name, "NOT_RUN"),
            }
        )
        if "Next" in spec:
            edges.append({"from": name, "to": spec["Next"], "kind": "next"})
        for rule in spec.get("Choices", []):
            edges.append({"from": name, "to": rule["Next"], "kind": "choice"})
        if "Default" in spec:
            edges.append({"from": name, "to": spec["Default"], "kind": "default"})
        for catcher in spec.get("Catch", []):
            edges.append(
                {"from": name, "to": catcher["Next"], "kind": "catch", "errors": catcher["ErrorEquals"]}
            )
        for index, sub in enumerate(spec.get("Branches", [])):
            _add(sub, name, index, nodes, edges, statuses)
        processor = spec.get("ItemProcessor") or spec.get("Iterator")
        if processor:
            _add(processor, name, 0, nodes, edges, statuses)
