"""The trace as a Mermaid sequence diagram and an execution as a Mermaid flowchart: pure functions over the
grading report's plain data, every label escaped."""

import re
import types

import pytest

from labs.diagrams import MAX_STEPS, execution_flowchart, mermaid_text, sequence_diagram
from labs.runtime.stepfunctions.graph import state_machine_graph

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
# Everything Mermaid could read as syntax: statement breaks, comments, arrows, HTML, quotes, entity codes,
# the placeholders Mermaid itself uses for entity codes, a newline that would start a new statement.
HOSTILE = 'a;b %%c\n--> <img src=x onerror=alert(1)> "q" #quot; `t` ﬂ°°60¶ß : click P1 call x() end'
# What a label may contain once escaped: safe characters and entity codes, nothing else.
ESCAPED = re.compile(r"^(?:[A-Za-z0-9 .,_/()=+'?-]|#\d+;)*$")


def invocation(seq, cause=None, name="squared", error=None, **fields):
    return {
        "seq": seq,
        "kind": "invocation",
        "time": 0,
        "cause": cause,
        "function_arn": ARN + name,
        "status_code": 200,
        "function_error": "Unhandled" if error else None,
        "error_type": error,
        "cold_start": seq == 0,
        "duration_ms": 1.5,
        **fields,
    }


def api_call(seq, cause, service="s3", operation="PutObject", resource="arn:aws:s3:::bucket/key", status=200):
    return {
        "seq": seq,
        "kind": "api_call",
        "time": 0,
        "cause": cause,
        "service": service,
        "operation": operation,
        "resource": resource,
        "status": status,
        "outcome": "ok" if status < 400 else "error",
    }


def labels(source: str) -> list[str]:
    """Every piece of text a diagram line carries after its syntax."""
    found = []
    for line in source.splitlines()[1:]:
        line = line.strip()
        if line.startswith("participant "):
            found.append(line.split(" as ", 1)[1])
        elif ": " in line:
            found.append(line.split(": ", 1)[1])
        for quoted in re.findall(r'"([^"]*)"', line):
            found.append(quoted.replace("<br/>", ""))
    return found


def test_mermaid_text_keeps_plain_words_and_encodes_everything_else():
    assert mermaid_text("Invoke squared (cold start)") == "Invoke squared (cold start)"
    assert mermaid_text("a;b") == "a#59;b"
    assert mermaid_text('<b>"x"</b>') == "#60;b#62;#34;x#34;#60;/b#62;"
    assert mermaid_text("#quot;") == "#35;quot#59;"  # an entity code in the data stays literal text
    assert mermaid_text("λ") == "#955;"
    assert mermaid_text("two\nlines\tand  spaces") == "two lines and spaces"
    assert mermaid_text("x" * 100, limit=10) == "x" * 9 + "#8230;"
    assert mermaid_text("") == "#160;"  # Mermaid needs some text after the colon


def test_hostile_text_cannot_escape_its_label():
    escaped = mermaid_text(HOSTILE, limit=500)
    assert ESCAPED.match(escaped)
    for dangerous in ("\n", "<", ">", '"', "`", ":", "%", "ﬂ", "#quot;"):
        assert dangerous not in escaped


def test_the_grader_invoking_a_function_is_a_call_and_its_return():
    source = sequence_diagram([invocation(0), invocation(1, error="InvalidInput")])
    assert source.splitlines() == [
        "sequenceDiagram",
        "    participant P1 as Grader",
        "    participant P2 as #955; squared",
        "    P1->>P2: Invoke (cold start)",
        "    P2-->>P1: 200 OK 1.5 ms",
        "    P1->>P2: Invoke",
        "    P2--xP1: InvalidInput (Unhandled) 1.5 ms",
    ]


def test_step_functions_api_calls_and_executions_share_one_lifeline():
    """The runtime names the service "stepfunctions" in API calls and "states" in execution records."""
    execution = {
        "seq": 1,
        "kind": "sfn_execution",
        "time": 0,
        "cause": None,
        "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:orders:run-1",
        "status": "FAILED",
        "error": "OutOfStock",
    }
    source = sequence_diagram(
        [api_call(0, None, service="stepfunctions", operation="StartExecution"), execution]
    )
    assert source.count("participant") == 2  # the grader and Step Functions, once
    assert "    participant P2 as Step Functions" in source.splitlines()
    assert "    Note over P2: execution run-1 FAILED OutOfStock" in source.splitlines()


def request(seq, method="POST", path="/items", status=201, reason=""):
    return {
        "seq": seq,
        "kind": "apigateway_request",
        "time": 0,
        "cause": None,
        "api_id": "a1",
        "api_type": "HTTP",
        "stage": "$default",
        "method": method,
        "path": path,
        "status": status,
        "route": f"{method} {path}",
        "reason": reason,
    }


def test_an_api_gateway_request_is_answered_after_the_function_it_invoked():
    trace = [
        request(0),
        invocation(1, cause=0, name="items-api"),
        api_call(2, 1, service="dynamodb", operation="PutItem", resource="arn:aws:dynamodb:r:1:table/items"),
        request(3, method="DELETE", path="/nowhere", status=404, reason="no route matches"),
    ]
    lines = sequence_diagram(trace).splitlines()
    assert lines[1:4] == [
        "    participant P1 as Grader",
        "    participant P2 as API Gateway",
        "    participant P3 as #955; items-api",
    ]
    assert lines[5:] == [
        "    P1->>P2: POST /items",
        "    P2->>P3: Invoke",
        "    P3->>P4: PutItem table/items",
        "    P4-->>P3: 200",
        "    P3-->>P2: 200 OK 1.5 ms",
        "    P2-->>P1: 201",
        "    P1->>P2: DELETE /nowhere",  # no function: API Gateway answers at once
        "    P2-->>P1: 404 no route matches",
    ]


def test_a_function_url_request_is_answered_by_lambda_not_api_gateway():
    """urls-invocation.html: a function URL is Lambda's own HTTPS endpoint; no API Gateway is involved."""
    trace = [
        {
            **request(0, method="GET", path="/orders", status=200),
            "api_type": "FunctionURL",
            "route": "$default",
        },
        invocation(1, cause=0, name="orders"),
    ]
    lines = sequence_diagram(trace).splitlines()
    assert "    participant P2 as Function URL" in lines and not any("API Gateway" in line for line in lines)
    assert "    P1->>P2: GET /orders" in lines and "    P2-->>P1: 200" in lines


def test_calls_made_inside_a_function_come_from_it_before_it_returns():
    trace = [
        invocation(0, name="producer"),
        api_call(1, 0),
        invocation(2, cause=0, name="consumer"),  # a synchronous Invoke from inside producer
        api_call(3, 2, service="dynamodb", operation="PutItem", resource="arn:aws:dynamodb:r:1:table/Orders"),
        api_call(4, 0, service="lambda", operation="Invoke", resource=ARN + "consumer"),  # drawn by seq 2
        api_call(5, None, service="s3", operation="GetObject", status=404),
    ]
    lines = sequence_diagram(trace, caller="You").splitlines()
    assert lines[1:6] == [
        "    participant P1 as You",
        "    participant P2 as #955; producer",
        "    participant P3 as S3",
        "    participant P4 as #955; consumer",
        "    participant P5 as DynamoDB",
    ]
    assert lines[6:] == [
        "    P1->>P2: Invoke (cold start)",
        "    P2->>P3: PutObject bucket/key",
        "    P3-->>P2: 200",
        "    P2->>P4: Invoke",
        "    P4->>P5: PutItem table/Orders",
        "    P5-->>P4: 200",
        "    P4-->>P2: 200 OK 1.5 ms",  # the inner call returns first
        "    P2-->>P1: 200 OK 1.5 ms",
        "    P1->>P3: GetObject bucket/key",
        "    P3--xP1: 404",  # a failed call is a cross
    ]


def test_asynchronous_events_queues_and_throttles_are_drawn():
    trace = [
        invocation(0, name="api"),
        {"seq": 1, "kind": "event_accepted", "time": 0, "cause": 0, "function_arn": ARN + "worker"},
        {"seq": 2, "kind": "throttle", "time": 0, "cause": 1, "function_arn": ARN + "worker", "reserved_concurrency": 0},
        {"seq": 3, "kind": "async_retry_scheduled", "time": 0, "cause": 1, "function_arn": ARN + "worker",
         "reason": "throttled", "delay_s": 60},
        invocation(4, cause=1, name="worker"),
        {"seq": 5, "kind": "sqs_batch", "time": 0, "cause": None, "function_arn": ARN + "worker",
         "message_ids": ["m1", "m2"]},
        invocation(6, cause=5, name="worker"),
        {"seq": 7, "kind": "dead_letter_delivered", "time": 0, "cause": 1, "function_arn": ARN + "worker",
         "target": "arn:aws:sqs:us-east-1:1:dlq"},
        {"seq": 8, "kind": "something_new", "time": 0, "cause": None, "detail": "x"},
    ]  # fmt: skip
    source = sequence_diagram(trace)
    assert "participant P3 as Lambda async queue" in source
    assert "P2->>P3: Invoke (Event) worker\n    P3-->>P2: 202 Accepted" in source
    assert "P3-xP4: Throttled (reserved concurrency 0)" in source
    assert "Note over P3: retry worker in 60 s (throttled)" in source
    assert "P3->>P4: Invoke\n    P4-->>P3: 200 OK 1.5 ms" in source  # invoked by the async queue
    assert "Note over P5: poll#58; batch of 2 for worker" in source and "P5->>P4: Invoke" in source
    assert "P3->>P5: dead-letter queue dlq" in source
    assert "Note over P1: something_new detail=x" in source


def test_student_strings_in_the_trace_stay_inside_their_labels():
    trace = [
        invocation(0, name=HOSTILE, error=HOSTILE),
        api_call(1, 0, resource="arn:aws:s3:::bucket/" + HOSTILE, operation=HOSTILE),
        {"seq": 2, "kind": HOSTILE, "time": 0, "cause": None, HOSTILE: HOSTILE},
    ]
    source = sequence_diagram(trace, caller=HOSTILE)
    lines = source.splitlines()
    assert len(lines) == 1 + 3 + 5  # header, participants, arrows and the note: no line was split
    for label in labels(source):
        assert ESCAPED.match(label), label
    syntax = [line.split(": ", 1)[0] if ": " in line else line.split(" as ")[0] for line in lines]
    assert all(re.fullmatch(r"\s*(sequenceDiagram|participant P\d+|P\d+(->>|-->>|--x|-x)P\d+|Note over P\d+)", s)
               for s in syntax), syntax  # fmt: skip


def test_a_long_trace_is_cut_with_a_pointer_to_the_list():
    trace = [invocation(seq) for seq in range(MAX_STEPS)]
    source = sequence_diagram(trace)
    arrows = [line for line in source.splitlines() if "->>" in line or "-->>" in line]
    assert len(arrows) <= MAX_STEPS + 1
    assert source.rstrip().endswith(
        f"Note over P1: {MAX_STEPS - MAX_STEPS // 2} more events#58; see the list below"
    )
    assert sequence_diagram([]) == ""


DEFINITION = {
    "StartAt": "Validate",
    "States": {
        "Validate": {
            "Type": "Task",
            "Resource": ARN + "validate",
            "Next": "Big?",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Report"}],
        },
        "Big?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Fan out"}],
            "Default": "Done",
        },
        "Fan out": {
            "Type": "Parallel",
            "Next": "Done",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
            ],
        },
        "Report": {"Type": "Fail", "Error": "Oops"},
        "Done": {"Type": "Succeed"},
    },
}


def test_an_execution_is_a_flowchart_coloured_by_status():
    execution = types.SimpleNamespace(
        state_status={
            "Validate": "CAUGHT_ERROR",
            "Report": "FAILED",
            "Fan out": "SUCCEEDED",
            "A": "SUCCEEDED",
        }
    )
    source = execution_flowchart(state_machine_graph(DEFINITION, execution))
    lines = [line.strip() for line in source.splitlines()]
    assert lines[0] == "flowchart TD"
    assert 'n0["Validate<br/>Task"]:::caught' in lines
    assert 'n1{"Big?<br/>Choice"}:::notrun' in lines  # a diamond, not run
    assert 'subgraph n2 ["Fan out (Parallel)"]' in lines
    assert 'subgraph n2b0 ["Branch 1"]' in lines and 'subgraph n2b1 ["Branch 2"]' in lines
    assert 'n3["A<br/>Pass"]:::succeeded' in lines and 'n4["B<br/>Pass"]:::notrun' in lines
    assert any(line.startswith("style n2 fill:#dcfce7") for line in lines)  # the Parallel box is green
    assert 'n5(["Report<br/>Fail"]):::failed' in lines
    assert "start --> n0" in lines and "n0 --> n1" in lines
    assert 'n0 -.->|"Catch States.ALL"| n5' in lines
    assert 'n1 -.->|"Default"| n6' in lines and "n1 --> n2" in lines
    assert "n5 --> finish" in lines and "n6 --> finish" in lines
    assert "n3 --> finish" not in lines  # a branch's end is not the machine's
    for name in ("succeeded", "failed", "caught", "notrun"):
        assert any(line.startswith(f"classDef {name} ") for line in lines)


def test_state_names_cannot_inject_flowchart_syntax():
    definition = {"StartAt": HOSTILE, "States": {HOSTILE: {"Type": "Pass", "End": True}}}
    source = execution_flowchart(state_machine_graph(definition))
    node = next(line.strip() for line in source.splitlines() if line.strip().startswith("n0["))
    label = node[len('n0["') : node.index('"]')]
    assert ESCAPED.match(label.replace("<br/>", ""))
    assert node.endswith('"]:::notrun')
    assert len(source.splitlines()) == 1 + 6 + 2 + 1 + 2  # header, classes, markers, node, two edges


@pytest.mark.parametrize("graph", [{}, {"nodes": []}])
def test_nothing_to_draw_is_an_empty_string(graph):
    assert execution_flowchart(graph) == ""


def test_every_trace_kind_the_runtime_writes_has_a_drawing():
    # A new kind must be given a drawing (or an explicit _draw_nothing), not fall to the generic note.
    from labs.diagrams import _DRAW
    from labs.runtime.core.trace import Kind

    assert set(_DRAW) == {kind.value for kind in Kind}
