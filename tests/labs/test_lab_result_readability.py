"""The result page reads in order: the student's part first with the grader's set-up folded away, each
execution named by the check that started it, every trace record in words, times shown only when simulated
time moved, and the submitted files highlighted as lessons highlight code."""

import pytest

from labs.models import Submission
from labs.runtime.core.trace import Kind
from labs.trace_wording import WORDING, describe

pytestmark = pytest.mark.django_db


def test_every_kind_of_trace_record_has_words():
    assert {kind.value for kind in Kind} <= set(WORDING)
    assert describe({"kind": "brand_new"}) == "Event: brand new"
    started = describe(
        {
            "kind": "sfn_execution_started",
            "execution_arn": "arn:aws:states:us-east-1:1:execution:orders:run-1",
            "state_machine_arn": "arn:aws:states:us-east-1:1:stateMachine:orders",
        }
    )
    assert started == "Step Functions started execution run-1 of orders"


def entry(seq, kind, time=0.0, **fields):
    return {"seq": seq, "kind": kind, "time": time, "cause": None, **fields}


def graded(student, lab, **result):
    return Submission.objects.create(
        user=student,
        lab=lab,
        files={"app.py": "def lambda_handler(event, context):\n    return 1  # <b>\n"},
        status="graded",
        score=3,
        max_score=10,
        result={"score": 3, "max_score": 10, **result},
    )


def test_setup_folded_checks_named_and_times_only_when_they_move(student_client, student, squared):
    arn = "arn:aws:states:us-east-1:1:execution:orders:run-1"
    trace = [
        entry(0, "api_call", service="lambda", operation="CreateFunction", principal="grader", status=200),
        entry(1, "sfn_execution_started", execution_arn=arn, state_machine_arn="arn:x:stateMachine:orders"),
        entry(2, "sfn_note", note="waited 2 s", time=0.0),
        entry(3, "sfn_note", note="retried", time=2.0),
    ]
    check = {
        "id": "returns_square",
        "name": "Returns the number and its square",
        "points": 3,
        "earned": 3,
        "passed": True,
        "message": "",
        "visibility": "visible",
        "trace_range": [1, 4],
        "execution_range": [0, 1],
    }
    execution = {"name": "run-1", "status": "SUCCEEDED", "graph": {"nodes": []}, "history": []}
    submission = graded(student, squared, checks=[check], trace=trace, executions=[execution])
    html = student_client.get(submission.get_absolute_url()).content.decode()
    setup_at = html.index("Set-up by the grader (1 call)")
    assert html.index("lambda CreateFunction called by grader: 200") > setup_at  # inside the fold
    assert '<details class="setup-trace">' in html  # closed: the student's part opens the trace
    assert '<li class="timeline-check">Check: Returns the number and its square</li>' in html
    assert "Returns the number and its square · execution run-1" in html
    assert "Step Functions started execution run-1 of orders" in html
    assert "sfn_execution_started" not in html.replace("kind-sfn_execution_started", "")
    assert html.count("+0.0 s") == 1 and "+2.0 s" in html and "same time</span>" in html


def test_submitted_files_are_highlighted_and_escaped(student_client, student, squared):
    html = student_client.get(
        graded(student, squared, checks=[], trace=[]).get_absolute_url()
    ).content.decode()
    assert '<div class="submitted-file"><div class="highlight">' in html or 'class="highlighttable"' in html
    assert '<span class="k">def</span>' in html and '<span class="nf">lambda_handler</span>' in html
    assert "# &lt;b&gt;" in html and "# <b>" not in html
