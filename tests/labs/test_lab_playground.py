"""The playground (Test button): the manifest decides which labs have one; the draft and event are checked,
saved and enqueued on commit, run on a worker, never an attempt, seen only by their owner; the pages both
ways (full page and htmx fragment); and Step Functions executions drawn on the result page."""

import json
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.roles import STUDENTS
from accounts.services import user_create
from labs import jobs, playground
from labs.grading import CATALOG_DIR, InfrastructureError, LabError, load_lab
from labs.models import Draft, PlaygroundRun, Submission

pytestmark = pytest.mark.django_db

SOLUTION = (CATALOG_DIR / "squared-number" / "solution" / "app.py").read_text()


@pytest.fixture
def queued(monkeypatch):
    """Runs are not sent anywhere; the list holds the ids that would have been."""
    sent: list[int] = []
    monkeypatch.setattr(
        jobs, "send", lambda task, pk: sent.append(pk) if task == jobs.PLAYGROUND_RUN.task else None
    )
    return sent


def post_test(client, lab, event, code=SOLUTION, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("labs:playground", args=[lab.slug]), {"file:app.py": code, "event": event}, **headers
    )


# -- the manifest -------------------------------------------------------------------------------------------
def test_the_squared_number_lab_has_a_playground():
    lab = load_lab(CATALOG_DIR / "squared-number")
    assert lab.playground_handler == "app.lambda_handler"
    assert lab.playground_function == "squared"  # the name the instructions use
    assert lab.playground_event == {"number": 5}


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('[playground]\nhandler = "app"\n', "handler must look like 'app.lambda_handler'"),
        ('[playground]\nhandler = "other.handler"\n', "names other.py, which is not an editable file"),
        ('[playground]\nhandler = "app.h"\nevent = 5\n', "event must be a table"),
        ('[playground]\nhandler = "app.h"\nfunctions = "x"\n', "unknown keys ['functions']"),
        ('[playground]\nhandler = "app.h"\nfunction = "a b"\n', "function must be a Lambda function name"),
        ("playground = 1\n", "[playground] must be a table"),
    ],
)
def test_an_invalid_playground_table_names_the_lab_and_file(tmp_path: Path, table, says):
    folder = tmp_path / "squared-number"
    shutil.copytree(CATALOG_DIR / "squared-number", folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = (folder / "lab.toml").read_text()
    manifest = manifest[: manifest.index("[playground]")]
    if not table.startswith("["):
        manifest = table + manifest  # a top-level key must come before the first table
    else:
        manifest += table
    (folder / "lab.toml").write_text(manifest)
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    assert caught.value.file == "lab.toml" and says in str(caught.value)


def test_a_lab_without_the_table_has_no_playground(tmp_path: Path, squared, student_client):
    folder = tmp_path / "squared-number"
    shutil.copytree(CATALOG_DIR / "squared-number", folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (folder / "lab.toml").read_text()
    (folder / "lab.toml").write_text(text[: text.index("[playground]")])
    assert load_lab(folder).playground_handler == ""
    squared.playground_handler = ""
    squared.save()
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "Test with an event" not in page
    assert post_test(student_client, squared, "{}").status_code == 404


# -- the service --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '{"number": 5,}',
            "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 14",
        ),
        ('{\n  "number": 5\n  "x": 1\n}', "at line 3, column 3"),
        ("", "The event is empty"),
        ("   \n", "The event is empty"),
        ('{"n": NaN}', "NaN is not a JSON value"),
        ("[" * 100_000, "nested too deeply"),
        ('{"number": ' + "9" * 5000 + "}", "a number has more than 4300 digits"),
        ('{"name": "x\\u0000"}', "contains a NUL character"),
        ('{"\\\\\\u0000": 1}', "contains a NUL character"),
        ('"' + "x" * (playground.MAX_EVENT_BYTES + 1) + '"', "larger than 256 KB"),
    ],
)
def test_bad_events_are_refused_with_where(text, says):
    with pytest.raises(playground.PlaygroundRejected) as caught:
        playground.parse_event(text)
    assert says in caught.value.message


def test_a_huge_integer_is_a_clear_400_not_a_500(squared, student_client, queued):
    response = post_test(student_client, squared, '{"number": ' + "9" * 5000 + "}")
    assert response.status_code == 400
    assert "a number has more than 4300 digits" in response.content.decode()
    assert not PlaygroundRun.objects.exists() and queued == []


def test_any_json_value_is_an_event():
    assert playground.parse_event('{"number": 5}') == {"number": 5}
    assert playground.parse_event("[1, 2]") == [1, 2]
    assert playground.parse_event("null") is None
    assert playground.parse_event('{"name": "\\\\u0000"}') == {"name": "\\u0000"}  # an escaped backslash


def test_every_sample_event_is_the_runtimes_and_parses():
    keys = [key for key, _ in playground.SAMPLE_EVENTS]
    assert len(keys) == 10 and "s3-put" in keys and "apigateway-http-api-proxy" in keys
    for key in keys:
        event = json.loads(playground.sample_event(key))
        assert isinstance(event, dict)
    assert json.loads(playground.sample_event("s3-put"))["Records"][0]["eventName"] == "ObjectCreated:Put"
    with pytest.raises(KeyError):
        playground.sample_event("nope")


def test_a_run_is_saved_then_enqueued_on_commit_and_is_not_an_attempt(
    squared, student, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = playground.playground_run_create(
            user=student, lab=squared, files={"app.py": SOLUTION}, event_text='{"number": 7}'
        )
        assert queued == []  # nothing is sent before the row is committed
    callbacks[0]()
    assert queued == [run.pk]
    assert (run.status, run.event, run.handler) == ("queued", {"number": 7}, "app.lambda_handler")
    assert Draft.objects.get(user=student, lab=squared).files == {"app.py": SOLUTION}  # the draft is saved
    done = playground.playground_run_execute(run_id=run.pk)
    assert done.status == "done" and done.attempts == 1
    assert json.loads(done.result["payload"]) == {"number": 7, "squared": 49}
    assert done.result["function_error"] is None
    assert "START RequestId:" in done.result["logs"] and "REPORT RequestId:" in done.result["logs"]
    assert "squaring 7" in done.result["logs"]
    assert [entry["kind"] for entry in done.result["trace"]] == ["invocation"]
    assert done.result["trace"][0]["function_arn"].endswith(":function:squared")
    assert playground.playground_run_execute(run_id=run.pk).attempts == 1  # idempotent
    assert not Submission.objects.exists()  # never an attempt, never in grades


def test_a_function_error_is_shown_as_the_console_does(squared, student, queued):
    run = playground.playground_run_create(
        user=student, lab=squared, files={"app.py": SOLUTION}, event_text="{}"
    )
    done = playground.playground_run_execute(run_id=run.pk)
    assert done.result["function_error"] == "Unhandled" and done.result["error_type"] == "InvalidInput"
    assert json.loads(done.result["payload"])["errorType"] == "InvalidInput"
    assert "[ERROR] InvalidInput" in done.result["logs"]


def test_files_that_do_not_fit_and_bad_json_are_refused_before_saving(squared, student, queued):
    with pytest.raises(playground.PlaygroundRejected, match="app.py: missing"):
        playground.playground_run_create(user=student, lab=squared, files={}, event_text="{}")
    with pytest.raises(playground.PlaygroundRejected, match="line 1, column 2"):
        playground.playground_run_create(
            user=student, lab=squared, files={"app.py": SOLUTION}, event_text="{x"
        )
    assert not PlaygroundRun.objects.exists() and queued == []


def test_a_student_has_a_limit_on_tests_in_flight(squared, student, queued):
    for _ in range(playground.MAX_IN_FLIGHT):
        playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")
    with pytest.raises(playground.PlaygroundRejected) as caught:
        playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")
    assert caught.value.status == 429


def test_only_the_latest_runs_are_kept(squared, student, queued):
    old = [
        PlaygroundRun.objects.create(
            user=student,
            lab=squared,
            handler="app.lambda_handler",
            files={"app.py": ""},
            event={},
            status="done",
        )
        for _ in range(playground.KEEP_RUNS)
    ]
    other = user_create(username="other", password="other-pass-123", role=STUDENTS)
    theirs = PlaygroundRun.objects.create(
        user=other, lab=squared, handler="app.lambda_handler", files={"app.py": ""}, event={}, status="done"
    )
    run = playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")
    mine = set(PlaygroundRun.objects.filter(user=student).values_list("pk", flat=True))
    assert len(mine) == playground.KEEP_RUNS and run.pk in mine and old[0].pk not in mine
    assert PlaygroundRun.objects.filter(pk=theirs.pk).exists()  # another student's runs are theirs


def test_infrastructure_failures_are_retried_then_shown(squared, student, queued, monkeypatch):
    from labs import tasks

    run = playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")

    def broken(**kwargs):
        raise InfrastructureError("the sandbox could not start")

    monkeypatch.setattr(playground, "playground_run_execute", broken)
    with pytest.raises(Exception, match="sandbox could not start"):
        tasks.run_playground.apply(args=[run.pk], throw=True)
    tasks.run_playground.apply(args=[run.pk], retries=tasks.MAX_RETRIES)
    run.refresh_from_db()
    assert run.status == "infra_error" and "sandbox could not start" in run.error


def test_the_sweep_sends_stuck_runs_again(squared, student, queued):
    import datetime as dt

    from django.utils import timezone

    old = timezone.now() - dt.timedelta(minutes=10)
    stuck = PlaygroundRun.objects.create(
        user=student,
        lab=squared,
        handler="app.lambda_handler",
        files={"app.py": ""},
        event={},
        created_at=old,
    )
    running = PlaygroundRun.objects.create(
        user=student, lab=squared, handler="app.lambda_handler", files={"app.py": ""}, event={},
        status="running", started_at=old,
    )  # fmt: skip
    fresh = PlaygroundRun.objects.create(
        user=student, lab=squared, handler="app.lambda_handler", files={"app.py": ""}, event={}
    )
    assert sorted(playground.playground_run_sweep()) == sorted([stuck.pk, running.pk])
    running.refresh_from_db()
    assert running.status == "queued" and fresh.pk not in queued


# -- pages --------------------------------------------------------------------------------------------------
def test_the_lab_page_has_the_test_box_with_samples(student_client, squared):
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "Test with an event" in page and "<code>app.lambda_handler</code>" in page
    assert '<option value="s3-put">S3 put (ObjectCreated:Put)</option>' in page
    assert '<option value="kinesis-get-records">' in page
    assert '"number": 5' in page  # the lab's starting event
    assert 'hx-post="/labs/squared-number/playground/"' in page


def test_choosing_a_sample_fills_the_event_box(student_client, squared):
    url = reverse("labs:playground_sample", args=[squared.slug])
    response = student_client.get(url, {"sample": "sqs-receive-message"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="playground-event"' in html and "aws:sqs" in html
    assert student_client.get(url, {"sample": "nope"}).status_code == 404
    assert "&quot;number&quot;: 5" in student_client.get(url, {"sample": ""}).content.decode()


def test_test_over_htmx_then_poll_until_done(
    student_client, student, squared, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_test(student_client, squared, '{"number": 6}')
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="playground-run"' in html and 'hx-trigger="every 1s"' in html and "Queued" in html
    run = PlaygroundRun.objects.get(user=student)
    assert queued == [run.pk]
    playground.playground_run_execute(run_id=run.pk)
    status = student_client.get(
        reverse("labs:playground_status", args=[squared.slug, run.pk]), HTTP_HX_REQUEST="true"
    )
    body = status.content.decode()
    assert status.status_code == 286  # htmx stops polling
    assert "Succeeded" in body and "&quot;squared&quot;: 36" in body
    assert "START RequestId:" in body and "END RequestId:" in body and "REPORT RequestId:" in body
    assert '<pre class="mermaid">sequenceDiagram' in body and "participant P1 as Test event" in body
    assert "hx-trigger" not in body
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "&quot;squared&quot;: 36" in page  # the last test stays on the lab page
    assert "Your submissions" not in page  # and it is not a submission


def test_test_without_htmx_redirects_to_the_run_page(student_client, student, squared, queued):
    response = post_test(student_client, squared, "{}", htmx=False)
    run = PlaygroundRun.objects.get(user=student)
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    playground.playground_run_execute(run_id=run.pk)
    page = student_client.get(run.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html
    assert "InvalidInput" in html and "The function failed" in html
    assert "<h2>Event</h2>" in html and "def lambda_handler" in html


def test_invalid_json_is_refused_both_ways_and_nothing_is_queued(student_client, squared, queued):
    fragment = post_test(student_client, squared, '{"number": }')
    assert fragment.status_code == 400 and "<html" not in fragment.content.decode()
    assert "not valid JSON: Expecting value at line 1, column 12" in fragment.content.decode()
    page = post_test(student_client, squared, '{"number": }', htmx=False)
    assert page.status_code == 400 and "<html" in page.content.decode()
    assert "line 1, column 12" in page.content.decode()
    assert not PlaygroundRun.objects.exists() and queued == []


def test_only_the_owner_sees_a_run(client, student, instructor, squared, queued):
    run = playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")
    other = user_create(username="other", password="other-pass-123", role=STUDENTS)
    for user in (other, instructor):
        client.force_login(user)
        for name in ("labs:playground_run", "labs:playground_status"):
            assert client.get(reverse(name, args=[squared.slug, run.pk])).status_code == 404
        page = client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
        assert 'id="playground-run" class="playground-run empty"' in page
    client.force_login(student)
    assert client.get(reverse("labs:playground_run", args=[squared.slug, run.pk])).status_code == 200


def test_the_playground_needs_a_login_and_csrf(client, student, squared):
    from django.test import Client

    url = reverse("labs:playground", args=[squared.slug])
    response = client.post(url, {"file:app.py": "", "event": "{}"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student)
    assert strict.post(url, {"file:app.py": "", "event": "{}"}).status_code == 403
    client.force_login(student)
    assert client.get(url).status_code == 405  # a test is only ever started by a POST


# -- the Step Functions execution on the result page ----------------------------------------------------------
def test_an_execution_is_drawn_beside_its_list(student_client, student, squared, monkeypatch):
    from labs.runtime.stepfunctions.graph import state_machine_graph

    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    definition = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Pass", "Next": "Done"}, "Done": {"Type": "Succeed"}},
    }
    graph = state_machine_graph(definition)
    graph["nodes"][0]["status"] = "SUCCEEDED"
    graph["nodes"][1]["status"] = "SUCCEEDED"
    submission = Submission.objects.create(
        user=student,
        lab=squared,
        files={"app.py": ""},
        status="graded",
        score=0,
        max_score=10,
        result={
            "score": 0,
            "max_score": 10,
            "checks": [],
            "trace": [],
            "executions": [{"name": "run-1", "status": "SUCCEEDED", "graph": graph, "history": []}],
        },
    )
    html = student_client.get(submission.get_absolute_url()).content.decode()
    assert '<pre class="mermaid">flowchart TD' in html
    assert "n0[&quot;Work&lt;br/&gt;Pass&quot;]:::succeeded" in html
    assert '<ol class="sfn-graph" aria-label="States of run-1">' in html  # the text list stays
    assert "vendor/mermaid-11.17.2.min.js" in html


def test_an_event_with_a_nul_character_is_a_clear_400(squared, student_client, queued):
    """PostgreSQL's jsonb cannot hold U+0000: refused at input on every engine, never a failed save."""
    response = post_test(student_client, squared, '{"number": "5\\u0000"}')
    assert response.status_code == 400 and "contains a NUL character" in response.content.decode()
    assert not PlaygroundRun.objects.exists() and queued == []
