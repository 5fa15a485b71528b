"""The "Start execution" box of a Step Functions lab (like the Step Functions console's Start execution):
the manifest declares it, the grader starts the student's draft definition with the student's input against
the lab's functions, on a worker as the Test button does; the answer shows the status, the output or the
error, and the execution graph. Nothing is checked or scored."""

import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from labs import jobs, playground
from labs.grading import CATALOG_DIR, LabError, execute_draft, load_lab
from labs.models import PlaygroundRun, Submission

pytestmark = pytest.mark.django_db

FOLDER = CATALOG_DIR / "order-workflow"
SOLUTION = (FOLDER / "solution" / "order-workflow.json").read_text()


def order(card="tok_ok", sku="BK-1"):
    return {
        "order_id": "o-9",
        "items": [{"sku": sku, "qty": 1}],
        "total": 5,
        "card": card,
        "email": "o-9@example.com",
    }


@pytest.fixture
def workflow(catalog):
    return catalog.get(slug="order-workflow")


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(
        jobs, "send", lambda task, pk: sent.append(pk) if task == jobs.PLAYGROUND_RUN.task else None
    )
    return sent


# -- the manifest -------------------------------------------------------------------------------------------
def test_the_order_workflow_lab_has_a_start_execution_box(workflow):
    lab = load_lab(FOLDER)
    assert lab.playground_state_machine == "order-workflow.json" and lab.playground_handler == ""
    assert lab.playground_event["card"] == "tok_ok"
    assert workflow.playground_state_machine == "order-workflow.json" and workflow.has_playground


@pytest.mark.parametrize(
    ("table", "file", "says"),
    [
        ('[playground]\nstate_machine = "other.json"\n', "lab.toml", "must be an editable .json file"),
        ("[playground]\nstate_machine = 3\n", "lab.toml", "must be an editable .json file"),
        (
            '[playground]\nstate_machine = "order-workflow.json"\nhandler = "a.b"\n',
            "lab.toml",
            "a handler or a state_machine, not both",
        ),
    ],
)
def test_an_invalid_state_machine_playground_names_the_lab_and_file(tmp_path: Path, table, file, says):
    folder = tmp_path / "order-workflow"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (folder / "lab.toml").read_text()
    start, end = text.index("[playground]"), text.index("[limits]")
    (folder / "lab.toml").write_text(text[:start] + text[end:] + table)
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    assert caught.value.file == file and says in str(caught.value)


def test_a_grader_without_start_execution_is_refused(tmp_path: Path):
    folder = tmp_path / "order-workflow"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    grader = (folder / "grader.py").read_text().replace("def start_execution(", "def _not_start_execution(")
    (folder / "grader.py").write_text(grader)
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    assert caught.value.file == "grader.py" and "needs start_execution(lab, input)" in str(caught.value)


# -- the runner ---------------------------------------------------------------------------------------------
def test_the_draft_runs_with_the_students_input():
    lab = load_lab(FOLDER)
    result = execute_draft(lab, {"order-workflow.json": SOLUTION}, order(card="tok_flaky"))
    execution = result["execution"]
    assert execution["status"] == "SUCCEEDED" and execution["input"] == order(card="tok_flaky")
    assert execution["output"]["payment_id"] == "pay-o-9"
    assert any(node["id"] == "ChargePayment" for node in execution["graph"]["nodes"])
    # the trace starts after the grader's set-up: the student's execution first
    assert result["trace"][0]["kind"] in {"api_call", "sfn_execution_started"}
    assert not any(entry.get("operation") == "CreateFunction" for entry in result["trace"])
    down = execute_draft(lab, {"order-workflow.json": SOLUTION}, order(card="tok_down"))["execution"]
    assert down["status"] == "FAILED" and down["error"] == "PaymentFailed"


@pytest.mark.parametrize(
    ("definition", "says"),
    [
        (
            "{",
            "order-workflow.json is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        (
            '{"StartAt": "X", "States": {}}',
            "The state machine was rejected: Invalid State Machine Definition",
        ),
    ],
)
def test_a_draft_that_cannot_run_says_why(definition, says):
    result = execute_draft(load_lab(FOLDER), {"order-workflow.json": definition}, {})
    assert says in result["rejected"] and "execution" not in result


def test_a_lab_without_the_box_cannot_execute():
    with pytest.raises(ValueError, match="has no Start execution box"):
        execute_draft(load_lab(CATALOG_DIR / "squared-number"), {"app.py": ""}, {})


# -- the pages ----------------------------------------------------------------------------------------------
def test_the_lab_page_has_the_box_without_lambda_samples(student_client, workflow):
    page = student_client.get(reverse("labs:detail", args=[workflow.slug])).content.decode()
    assert "<legend>Start an execution</legend>" in page and ">Start execution</button>" in page
    assert "Execution input (JSON)" in page and "&quot;card&quot;: &quot;tok_ok&quot;" in page
    assert "s3-put" not in page and "Sample events" not in page
    assert "The lab&#x27;s starting input" in page or "The lab's starting input" in page


def test_start_execution_on_a_worker_then_the_answer(
    student_client, student, workflow, queued, django_capture_on_commit_callbacks
):
    url = reverse("labs:playground", args=[workflow.slug])
    data = {
        "file:order-workflow.json": SOLUTION,
        "event": '{"order_id": "o-5", "items": [], "card": "tok_down"}',
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Queued" in response.content.decode()
    run = PlaygroundRun.objects.get(user=student)
    assert queued == [run.pk] and run.handler == ""
    playground.playground_run_execute(run_id=run.pk)
    status = student_client.get(
        reverse("labs:playground_status", args=[workflow.slug, run.pk]), HTTP_HX_REQUEST="true"
    )
    body = status.content.decode()
    assert status.status_code == 286
    assert "<strong>Execution</strong>" in body and 'class="badge sfn-failed">FAILED' in body
    assert '<pre class="mermaid">flowchart' in body and "<code>ChargePayment</code>" in body
    assert not Submission.objects.exists()  # never an attempt
    refused = student_client.post(
        url, {"file:order-workflow.json": SOLUTION, "event": "{"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 400 and "not valid JSON" in refused.content.decode()


def test_a_definition_that_cannot_run_is_the_students_to_fix(student_client, student, workflow, queued):
    url = reverse("labs:playground", args=[workflow.slug])
    student_client.post(
        url, {"file:order-workflow.json": '{"StartAt": 1}', "event": "{}"}, HTTP_HX_REQUEST="true"
    )
    run = PlaygroundRun.objects.get(user=student)
    playground.playground_run_execute(run_id=run.pk)
    body = student_client.get(reverse("labs:playground_run", args=[workflow.slug, run.pk])).content.decode()
    assert "The state machine was rejected" in body and "<h2>Input</h2>" in body
