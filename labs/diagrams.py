"""Mermaid source for a grading report: the event trace as a sequence diagram, a Step Functions execution as
a flowchart. Pure functions over the report's plain data; the browser draws them (static/js/diagrams.js).

Every label may carry student-controlled text (function output, object keys, state names), so every label
goes through ``mermaid_text``: characters outside a small safe set become Mermaid entity codes (``#60;``),
which Mermaid shows as the character and never parses as syntax (no ``;`` statement breaks, ``%%``
comments, ``-->`` arrows, ``<br>`` or quotes). Identifiers are our own (``P1``, ``n3``), never from the data.
Mermaid's entity codes: https://mermaid.js.org/syntax/sequenceDiagram.html#entity-codes-to-escape-characters
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from labs.executions import execution_view

__all__ = [
    "MAX_NODES",
    "MAX_STEPS",
    "execution_flowchart",
    "mermaid_text",
    "sequence_diagram",
    "with_diagrams",
]

MAX_STEPS = 150  # arrows and notes drawn; the list below the diagram always has every event
MAX_NODES = 150  # larger state machines are left to the list
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,_/()=+'?-")
_SERVICE_NAMES = {
    "s3": "S3",
    "sqs": "SQS",
    "sns": "SNS",
    "dynamodb": "DynamoDB",
    "lambda": "Lambda API",
    "events": "EventBridge",
    "states": "Step Functions",
    "stepfunctions": "Step Functions",
    "iam": "IAM",
    "sts": "STS",
    "logs": "CloudWatch Logs",
    "apigateway": "API Gateway",
    "function-url": "Function URL",
    "rekognition": "Rekognition",
    "ses": "SES",
    "kinesis": "Kinesis",
}
_ASYNC = "lambda-async"
_ASYNC_LABEL = "Lambda async queue"
_SYNCHRONOUS = ("invocation", "apigateway_request")
# records of the routing services: what they cause was done by that service
_ROUTING_ACTORS = {
    "s3_notification": "s3",
    "sns_delivery": "sns",
    "event_received": "events",
    "rule_matched": "events",
    "schedule_fired": "events",
    "sfn_execution_started": "states",
}  # records whose answer comes after what they caused


def mermaid_text(value: object, limit: int = 80) -> str:
    """``value`` as a Mermaid label: one line of at most ``limit`` characters, anything but letters, digits
    and ``space . , _ / ( ) = + ' ? -`` written as an entity code."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(char if char in _SAFE else f"#{ord(char)};" for char in text) or "#160;"


def _function_name(arn: object) -> str:
    """``arn:aws:lambda:region:account:function:name[:qualifier]`` -> ``name``."""
    parts = str(arn or "").split(":")
    return parts[6] if len(parts) > 6 and parts[5] == "function" else str(arn or "function")


def _resource(resource: object) -> str:
    """The readable end of an ARN (``bucket/key``, ``table/Orders``, ``function:name``)."""
    text = str(resource or "")
    return text.split(":", 5)[5] if text.startswith("arn:") and text.count(":") >= 5 else text


def _service_of_arn(arn: object) -> str:
    parts = str(arn or "").split(":")
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else "target"


class _Sequence:
    """Accumulates participants (declared in order of first appearance) and lines, up to ``MAX_STEPS``."""

    def __init__(self, caller: str) -> None:
        self.participants: dict[str, str] = {}  # key -> alias
        self.labels: dict[str, str] = {}
        self.lines: list[str] = []
        self.steps = 0
        self.caller = self.add("caller", caller)

    def add(self, key: str, label: str) -> str:
        if key not in self.participants:
            self.participants[key] = f"P{len(self.participants) + 1}"
            self.labels[key] = label
        return self.participants[key]

    def function(self, arn: object) -> str:
        name = _function_name(arn)
        return self.add(f"function:{name}", f"λ {name}")

    def service(self, service: object) -> str:
        name = str(service or "service").lower()
        label = _SERVICE_NAMES.get(name, str(service))
        # Keyed by the label: API calls say "stepfunctions", executions "states"; one lifeline for both.
        return self.add(f"service:{label}", label)

    def arrow(self, source: str, arrow: str, target: str, label: object) -> None:
        self.lines.append(f"    {source}{arrow}{target}: {mermaid_text(label)}")
        self.steps += 1

    def note(self, over: str, label: object) -> None:
        self.lines.append(f"    Note over {over}: {mermaid_text(label)}")
        self.steps += 1

    def source(self, more: int) -> str:
        head = ["sequenceDiagram"]
        for key, alias in self.participants.items():
            head.append(f"    participant {alias} as {mermaid_text(self.labels[key], 40)}")
        if more:
            head_note = f"{more} more event{'s' if more != 1 else ''}: see the list below"
            self.note(self.caller, head_note)
        return "\n".join(head + self.lines) + "\n"


def sequence_diagram(trace: Iterable[dict], caller: str = "Grader") -> str:
    """Mermaid ``sequenceDiagram`` source for trace records (``seq``, ``kind``, ``cause`` and the kind's
    fields), or "" when there is nothing to draw. ``caller`` names whoever started the run."""
    records = sorted(trace, key=lambda record: record["seq"])
    by_seq = {record["seq"]: record for record in records}
    diagram = _Sequence(caller)
    # Synchronous calls whose return arrow is still to be drawn: invocations, and API Gateway requests
    # (the function they invoke, and what it calls, happen inside them).
    open_invocations: list[dict] = []

    def actor(cause: object) -> str:
        """Who acted for a record caused by ``cause``: the function, queue or service behind it."""
        source = by_seq.get(cause)
        if source is None:
            return diagram.caller
        if source["kind"] == "invocation":
            return diagram.function(source.get("function_arn"))
        if source["kind"] == "event_accepted":
            return diagram.add(_ASYNC, _ASYNC_LABEL)
        if source["kind"] in ("sqs_batch", "sqs_batch_result"):
            return diagram.service("sqs")
        if source["kind"] == "api_call":
            return diagram.service(source.get("service"))
        if source["kind"] == "apigateway_request":
            return diagram.service(_front_door(source))
        service = _ROUTING_ACTORS.get(source["kind"])
        if service is not None:
            return diagram.service(service)
        if source["kind"] == "stream_batch":
            return diagram.service(_service_of_arn(source.get("event_source_arn")) or "kinesis")
        return diagram.caller

    def ancestors(record: dict) -> set[int]:
        """The invocations and requests ``record`` happened inside (synchronously, following ``cause``)."""
        found, cause = set(), record.get("cause")
        while cause in by_seq and by_seq[cause]["kind"] in _SYNCHRONOUS and cause not in found:
            found.add(cause)
            cause = by_seq[cause].get("cause")
        return found

    def close(invocation: dict) -> None:
        if invocation["kind"] == "apigateway_request":
            reason = f" {invocation['reason']}" if invocation.get("reason") else ""
            answer = f"{invocation.get('status', '')}{reason}"
            diagram.arrow(
                diagram.service(_front_door(invocation)), "-->>", actor(invocation.get("cause")), answer
            )
            return
        function = diagram.function(invocation.get("function_arn"))
        caller = actor(invocation.get("cause"))
        timing = f"{invocation.get('duration_ms')} ms" if invocation.get("duration_ms") is not None else ""
        if invocation.get("function_error"):
            label = f"{invocation.get('error_type') or 'Error'} ({invocation['function_error']}) {timing}"
            diagram.arrow(function, "--x", caller, label)
        else:
            diagram.arrow(function, "-->>", caller, f"{invocation.get('status_code', '')} OK {timing}")

    drawn = 0
    for record in records:
        inside = ancestors(record)
        while open_invocations and open_invocations[-1]["seq"] not in inside:
            close(open_invocations.pop())
        if diagram.steps >= MAX_STEPS:
            break
        _draw(diagram, record, actor)
        if record["kind"] in _SYNCHRONOUS:
            open_invocations.append(record)
        drawn += 1
    while open_invocations:
        close(open_invocations.pop())
    if not diagram.lines:
        return ""
    return diagram.source(len(records) - drawn)


def _draw(diagram: _Sequence, record: dict, actor: Callable[[object], str]) -> None:
    """Draw one record by its kind's function in ``_DRAW`` (a kind unknown here: a note of its fields)."""
    _DRAW.get(record["kind"], _draw_fields)(diagram, record, actor)


# Each function draws one kind of record: (diagram, record, actor), where ``actor(cause)`` is the lifeline
# of whoever acted for the record (see ``sequence_diagram``).
def _draw_invocation(diagram: _Sequence, record: dict, actor) -> None:
    label = "Invoke" + (" (cold start)" if record.get("cold_start") else "")
    diagram.arrow(actor(record.get("cause")), "->>", diagram.function(record.get("function_arn")), label)


def _draw_api_call(diagram: _Sequence, record: dict, actor) -> None:
    invoke = record.get("service") == "lambda" and record.get("operation") == "Invoke"
    if invoke and int(record.get("status") or 0) < 400:
        return  # the invocation record draws this call
    source, service = actor(record.get("cause")), diagram.service(record.get("service"))
    diagram.arrow(source, "->>", service, f"{record.get('operation')} {_resource(record.get('resource'))}")
    failed = record.get("outcome") == "error"
    diagram.arrow(service, "--x" if failed else "-->>", source, str(record.get("status", "")))


def _draw_apigateway_request(diagram: _Sequence, record: dict, actor) -> None:
    label = f"{record.get('method')} {record.get('path')}"
    if record.get("cache"):  # REST stage caching: a hit means no integration was called
        label += f" (cache {record['cache']})"
    diagram.arrow(actor(record.get("cause")), "->>", diagram.service(_front_door(record)), label)


def _front_door(record: dict) -> str:
    """Who answered an HTTP request: API Gateway, or Lambda itself for a function URL (``api_type``)."""
    return "function-url" if record.get("api_type") == "FunctionURL" else "apigateway"


def _draw_throttle(diagram: _Sequence, record: dict, actor) -> None:
    label = f"Throttled (reserved concurrency {record.get('reserved_concurrency')})"
    diagram.arrow(actor(record.get("cause")), "-x", diagram.function(record.get("function_arn")), label)


def _draw_event_accepted(diagram: _Sequence, record: dict, actor) -> None:
    queue = diagram.add(_ASYNC, _ASYNC_LABEL)
    source = actor(record.get("cause"))
    diagram.arrow(source, "->>", queue, f"Invoke (Event) {_function_name(record.get('function_arn'))}")
    diagram.arrow(queue, "-->>", source, "202 Accepted")


def _draw_async_send(diagram: _Sequence, record: dict, actor) -> None:
    """An asynchronous event's record sent (or not) to a destination or dead-letter queue."""
    kind = record["kind"]
    target = record.get("destination") or record.get("target")
    what = "destination" if kind.startswith("destination") else "dead-letter queue"
    failed = kind.endswith("failed")
    diagram.arrow(
        diagram.add(_ASYNC, _ASYNC_LABEL),
        "-x" if failed else "->>",
        diagram.service(_service_of_arn(target)),
        f"{what} {_resource(target)}" + (" failed" if failed else ""),
    )


def _draw_delivery(diagram: _Sequence, record: dict, actor) -> None:
    target = record.get("target")
    failed = record["kind"] == "delivery_failed"
    label = f"deliver to {_resource(target)}" + (f" failed: {record.get('error', '')}" if failed else "")
    destination = diagram.service(_service_of_arn(target)) if str(target).startswith("arn:") else None
    if destination is None:  # an e-mail address or URL: the message left the account
        diagram.note(diagram.service(record.get("source")), f"sent to {target}")
    else:
        diagram.arrow(diagram.service(record.get("source")), "-x" if failed else "->>", destination, label)


def _draw_sfn_execution_started(diagram: _Sequence, record: dict, actor) -> None:
    name = _resource(record.get("execution_arn")).split(":")[-1]
    diagram.arrow(actor(record.get("cause")), "->>", diagram.service("states"), f"StartExecution {name}")


def _draw_nothing(diagram: _Sequence, record: dict, actor) -> None:
    """The list shows each filter decision; the diagram shows what was delivered."""


def _draw_fields(diagram: _Sequence, record: dict, actor) -> None:
    """A note over the actor listing the record's fields: for kinds without a drawing of their own."""
    skipped = ("seq", "kind", "time", "cause")
    fields = " ".join(f"{key}={value}" for key, value in record.items() if key not in skipped)
    diagram.note(actor(record.get("cause")), f"{record['kind']} {fields}")


def _note_on(lifeline: str | None, label: Callable[[dict], object]):
    """A kind drawn as a note over a service's lifeline (``lifeline`` None: over the record's actor)."""

    def draw(diagram: _Sequence, record: dict, actor) -> None:
        over = actor(record.get("cause")) if lifeline is None else diagram.service(lifeline)
        diagram.note(over, label(record))

    return draw


def _async_note(label: Callable[[dict], object]):
    """A kind drawn as a note over the asynchronous invocation queue."""
    return lambda diagram, record, actor: diagram.note(diagram.add(_ASYNC, _ASYNC_LABEL), label(record))


def _execution_label(record: dict) -> str:
    name = _resource(record.get("execution_arn")).split(":")[-1]
    error = f" {record['error']}" if record.get("error") else ""
    return f"execution {name} {record.get('status')}{error}"


# trace kind -> how to draw it (the kinds are declared in labs/runtime/trace.py)
_DRAW: dict[str, Callable[[_Sequence, dict, Callable[[object], str]], None]] = {
    "invocation": _draw_invocation,
    "api_call": _draw_api_call,
    "apigateway_request": _draw_apigateway_request,
    "throttle": _draw_throttle,
    "event_accepted": _draw_event_accepted,
    "async_retry_scheduled": _async_note(
        lambda r: f"retry {_function_name(r.get('function_arn'))} in {r.get('delay_s')} s ({r.get('reason')})"
    ),
    "async_failed": _async_note(
        lambda r: (
            f"{_function_name(r.get('function_arn'))} gave up after {r.get('attempts')} "
            f"attempts ({r.get('condition')})"
        )
    ),
    "destination_delivered": _draw_async_send,
    "destination_failed": _draw_async_send,
    "dead_letter_delivered": _draw_async_send,
    "dead_letter_failed": _draw_async_send,
    "sqs_batch": _note_on(
        "sqs",
        lambda r: (
            f"poll: batch of {len(r.get('message_ids') or [])} for {_function_name(r.get('function_arn'))}"
        ),
    ),
    "sqs_batch_result": _note_on(
        "sqs", lambda r: f"deleted {len(r.get('deleted') or [])}, kept {len(r.get('kept') or [])} for a retry"
    ),
    "sfn_execution_started": _draw_sfn_execution_started,
    "sfn_execution": _note_on("states", _execution_label),
    "sfn_note": _note_on("states", lambda r: r.get("note", "")),
    "delivery": _draw_delivery,
    "delivery_failed": _draw_delivery,
    "s3_notification": _note_on("s3", lambda r: f"{r.get('event_name')} {r.get('key')}"),
    "sns_delivery": _draw_nothing,
    "sns_filtered_out": _note_on(
        "sns", lambda r: f"filter policy skipped {_resource(r.get('subscription'))}"
    ),
    "event_received": _note_on("events", lambda r: f"{r.get('detail_type')} on bus {r.get('bus')}"),
    "rule_matched": _note_on("events", lambda r: f"rule {_resource(r.get('rule'))} matched"),
    "rule_not_matched": _draw_nothing,
    "schedule_fired": _note_on("events", lambda r: f"schedule of rule {_resource(r.get('rule'))}"),
    "event_dropped": _note_on("events", lambda r: f"event dropped: {r.get('error', '')}"),
    "fault_injected": _note_on(None, lambda r: f"injected fault: {r.get('fault')}"),
    "environment_failed": _note_on(None, lambda r: f"environment failed: {r.get('detail', '')}"),
    "sqs_filtered_out": _draw_fields,
    "sqs_poller_at_maximum_concurrency": _note_on(
        "sqs",
        lambda r: f"poller waits: {r.get('maximum_concurrency')} invocations running (MaximumConcurrency)",
    ),
    "stream_records_skipped": _draw_fields,
    "stream_batch": _draw_fields,
    "stream_batch_result": _draw_fields,
    "stream_retry_scheduled": _draw_fields,
    "stream_discarded": _draw_fields,
    # durable functions, over Lambda's lifeline: each checkpoint is drawn by its API call, and the result page
    # lists an execution's invocations and checkpoints (labs/durable_timeline.py)
    "durable_execution": _note_on("lambda", lambda r: f"durable execution {r.get('name')} starts"),
    "durable_invocation": _note_on(
        "lambda", lambda r: f"replay: {r.get('replayed')} done operations" if r.get("replay") else "first run"
    ),
    "durable_operation": _draw_nothing,
    "durable_resumed": _note_on("lambda", lambda r: f"resume: {r.get('reason')}"),
}


# -- Step Functions -----------------------------------------------------------------------------------------
_STATUS_CLASSES = {
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "CAUGHT_ERROR": "caught",
    "RUNNING": "running",
    "NOT_RUN": "notrun",
}
_CLASS_STYLES = {
    "succeeded": "fill:#dcfce7,stroke:#15803d,color:#14532d",
    "failed": "fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d",
    "caught": "fill:#fef3c7,stroke:#b45309,color:#78350f",
    "running": "fill:#dbeafe,stroke:#1d4ed8,color:#1e3a8a",
    "notrun": "fill:#f3f4f6,stroke:#9ca3af,color:#6b7280,stroke-dasharray:4 3",
    "marker": "fill:#374151,stroke:#374151,color:#ffffff",
}
_CONTAINERS = ("Parallel", "Map")


def execution_flowchart(graph: dict) -> str:
    """Mermaid ``flowchart`` source for ``state_machine_graph`` output (nodes with id, type, parent, branch,
    start, end, status; edges with from, to, kind): each state coloured by its status, Parallel and Map
    states drawn as boxes around their branches. "" when the graph is empty or larger than ``MAX_NODES``."""
    nodes = graph.get("nodes") or []
    if not nodes or len(nodes) > MAX_NODES:
        return ""
    ids: dict[tuple, str] = {}
    by_name: dict[str, str] = {}
    for index, node in enumerate(nodes):
        ids[(node.get("parent"), node.get("branch"), node["id"])] = f"n{index}"
        by_name.setdefault(node["id"], f"n{index}")
    scope_of = {f"n{index}": (node.get("parent"), node.get("branch")) for index, node in enumerate(nodes)}

    def node_id(scope: tuple, name: str) -> str | None:
        return ids.get((*scope, name)) or by_name.get(name)

    children: dict[tuple, list[int]] = {}
    for index, node in enumerate(nodes):
        children.setdefault((node.get("parent"), node.get("branch")), []).append(index)

    class_defs = [f"    classDef {name} {style}" for name, style in _CLASS_STYLES.items()]
    lines = ["flowchart TD", *class_defs, '    start(["Start"]):::marker', '    finish(["End"]):::marker']

    def emit(scope: tuple, depth: int) -> None:
        pad = "    " * depth
        for index in children.get(scope, []):
            node = nodes[index]
            status = _STATUS_CLASSES.get(str(node.get("status")), "notrun")
            label = f"{mermaid_text(node['id'], 60)}<br/>{mermaid_text(node.get('type', ''), 20)}"
            if node.get("type") in _CONTAINERS:
                title = mermaid_text(f"{node['id']} ({node.get('type')})", 60)
                lines.append(f'{pad}subgraph n{index} ["{title}"]')
                if node.get("type") == "Parallel":
                    lines.append(f"{pad}    direction LR")  # branches side by side, as the console draws them
                branches = sorted(
                    {branch for (parent, branch) in children if parent == node["id"] and branch is not None}
                )
                for branch in reversed(branches):  # Mermaid stacks later boxes on top
                    if node.get("type") == "Parallel":
                        lines.append(f'{pad}    subgraph n{index}b{branch} ["Branch {branch + 1}"]')
                        lines.append(f"{pad}        direction TB")
                        emit((node["id"], branch), depth + 2)
                        lines.append(f"{pad}    end")
                    else:
                        emit((node["id"], branch), depth + 1)
                lines.append(f"{pad}end")
                # Mermaid does not apply a class to a subgraph's box; a style line does.
                lines.append(f"{pad}style n{index} {_CLASS_STYLES[status]}")
                continue
            if node.get("type") == "Choice":
                shape = f'{{"{label}"}}'
            elif node.get("type") in ("Succeed", "Fail"):
                shape = f'(["{label}"])'
            else:
                shape = f'["{label}"]'
            lines.append(f"{pad}n{index}{shape}:::{status}")

    emit((None, None), 1)
    start = node_id((None, None), graph.get("start", ""))
    if start:
        lines.append(f"    start --> {start}")
    for edge in graph.get("edges") or []:
        source = by_name.get(edge["from"])
        target = node_id(scope_of.get(source or "", (None, None)), edge["to"])
        if source is None or target is None:
            continue
        kind = edge.get("kind")
        if kind == "catch":
            errors = ", ".join(edge.get("errors") or [])
            lines.append(f'    {source} -.->|"{mermaid_text("Catch " + errors, 50)}"| {target}')
        elif kind == "default":
            lines.append(f'    {source} -.->|"Default"| {target}')
        else:
            lines.append(f"    {source} --> {target}")
    for index, node in enumerate(nodes):
        if node.get("parent") is None and node.get("end"):
            lines.append(f"    n{index} --> finish")
    return "\n".join(lines) + "\n"


def with_diagrams(view: dict) -> dict:
    """A result view (``selectors.result_view``) with Mermaid source for what the viewer may see: the trace
    as a sequence diagram, each execution as a flowchart (the lists beside them stay as the text
    alternative). The student's result page and the instructor's review page draw the same diagrams."""
    view["sequence_diagram"] = sequence_diagram(view["timeline"])
    view["executions"] = [
        dict(
            execution_view(execution, f"r{index}"), diagram=execution_flowchart(execution.get("graph") or {})
        )
        for index, execution in enumerate(view["executions"])
    ]
    return view
