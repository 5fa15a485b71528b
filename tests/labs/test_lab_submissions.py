"""Submissions: saved then enqueued on commit, graded idempotently, limits, sweeps, what each viewer sees,
and the lab pages (full page and htmx fragments)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import STUDENTS
from accounts.services import user_create
from labs import jobs, services
from labs.grading import InfrastructureError
from labs.models import Draft, Submission
from labs.selectors import result_view

pytestmark = pytest.mark.django_db

SOLUTION_FIELD = "file:app.py"


def solution(lab):
    from labs.jobs import lab_spec

    return lab_spec(lab).solution["app.py"]


def test_a_submission_is_saved_first_and_enqueued_on_commit(
    squared, student, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(jobs, "send", lambda task, pk: enqueued.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = services.submission_create(user=student, lab=squared, files={"app.py": "x = 1\n"})
        assert enqueued == []  # nothing is sent before the row is committed
    assert submission.status == Submission.Status.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [submission.pk]
    assert Draft.objects.get(user=student, lab=squared).files == {"app.py": "x = 1\n"}


def test_grading_is_idempotent_and_stores_the_report(squared, student, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    graded = services.submission_grade(submission_id=submission.pk)
    assert (graded.status, graded.score, graded.max_score) == ("graded", 10, 10)
    assert graded.grading_attempts == 1 and graded.lab_hash == squared.content_hash
    assert graded.result["invocations"]
    again = services.submission_grade(submission_id=submission.pk)
    assert again.grading_attempts == 1  # a redelivered task does not grade twice
    assert services.submission_grade(submission_id=999999) is None


def test_run_checks_runs_only_the_visible_checks(squared, student, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    run = services.submission_create(
        user=student, lab=squared, files={"app.py": solution(squared)}, kind="run"
    )
    graded = services.submission_grade(submission_id=run.pk)
    assert {check["visibility"] for check in graded.result["checks"]} == {"visible"}
    assert graded.max_score == 6


@pytest.mark.parametrize(
    ("files", "says"),
    [({}, "app.py: missing"), ({"app.py": "", "x.py": ""}, "x.py: this lab has no editable file")],
)
def test_files_that_do_not_fit_are_refused_before_saving(squared, student, files, says):
    with pytest.raises(services.SubmissionRejected, match=says):
        services.submission_create(user=student, lab=squared, files=files)
    assert not Submission.objects.exists()


def test_a_student_has_a_limit_on_submissions_in_flight(squared, student, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    for _ in range(services.MAX_IN_FLIGHT):
        services.submission_create(user=student, lab=squared, files={"app.py": ""})
    with pytest.raises(services.SubmissionRejected) as caught:
        services.submission_create(user=student, lab=squared, files={"app.py": ""})
    assert caught.value.status == 429
    assert "wait for one to finish" in caught.value.message
    other = user_create(username="other", password="other-pass-123", role=STUDENTS)
    services.submission_create(user=other, lab=squared, files={"app.py": ""})  # others are not affected


def test_the_sweep_re_enqueues_stuck_submissions(squared, student, monkeypatch):
    enqueued = []
    monkeypatch.setattr(jobs, "send", lambda task, pk: enqueued.append(pk))
    old = timezone.now() - dt.timedelta(minutes=10)
    stuck_queued = Submission.objects.create(user=student, lab=squared, files={"app.py": ""}, created_at=old)
    stuck_running = Submission.objects.create(
        user=student, lab=squared, files={"app.py": ""}, status="running", started_at=old
    )
    fresh = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    assert sorted(services.submission_sweep()) == sorted([stuck_queued.pk, stuck_running.pk])
    assert sorted(enqueued) == sorted([stuck_queued.pk, stuck_running.pk])
    stuck_running.refresh_from_db()
    assert stuck_running.status == "queued"
    assert fresh.pk not in enqueued


def test_infrastructure_failures_are_retried_then_shown_not_zeroed(squared, student, monkeypatch):
    from labs import tasks

    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": ""})

    def broken(**kwargs):
        raise InfrastructureError("the sandbox could not start")

    monkeypatch.setattr(services, "submission_grade", broken)
    with pytest.raises(Exception, match="sandbox could not start"):  # Retry wraps it when run eagerly
        tasks.grade_submission.apply(args=[submission.pk], throw=True)
    tasks.grade_submission.apply(args=[submission.pk], retries=tasks.MAX_RETRIES)
    submission.refresh_from_db()
    assert submission.status == "infra_error"
    assert submission.score is None
    assert "sandbox could not start" in submission.error


def test_students_never_see_hidden_checks_or_what_they_caused(squared, student, instructor, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    graded = services.submission_grade(submission_id=submission.pk)
    view = result_view(graded, student)
    assert {check["visibility"] for check in view["checks"]} == {"visible"}
    assert view["withheld"] == {"count": 2, "passed": 2, "until_deadline": 1, "deadline": None}
    logs = "".join(entry["logs"] for entry in view["invocations"])
    assert "squaring 5" in logs and "squaring -4" not in logs and "squaring 1.5" not in logs
    assert len(result_view(graded, instructor)["checks"]) == 5
    squared.deadline = timezone.now() - dt.timedelta(days=1)
    squared.save()
    graded.refresh_from_db()
    after = result_view(graded, student)
    assert {check["visibility"] for check in after["checks"]} == {"visible", "after_deadline"}
    assert after["withheld"]["count"] == 1


# -- pages --------------------------------------------------------------------------------------------------
def test_lab_pages_need_a_login(client, squared):
    response = client.get(reverse("labs:detail", args=[squared.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_lab_list_follows_the_course_order(student_client, squared):
    from gradebook.selectors import gradebook_for
    from labs.grading import load_catalog

    html = student_client.get(reverse("labs:list")).content.decode()
    in_course_order = gradebook_for(squared.lesson.course).labs
    assert len(in_course_order) == len(load_catalog()) >= 12  # every lab of the catalog, each once
    positions = [html.index(f">{lab.title}</a>") for lab in in_course_order]
    assert positions == sorted(positions)


def test_the_trace_list_says_what_an_execution_did_without_empty_fields(student_client, student, squared):
    trace = [
        {
            "seq": 0,
            "kind": "sfn_execution",
            "time": 0,
            "cause": None,
            "execution_arn": "arn:aws:states:us-east-1:1:execution:orders:run-1",
            "status": "FAILED",
            "error": "OutOfStock",
            "transitions": 3,
        },
        {"seq": 1, "kind": "sfn_note", "time": 0, "cause": None, "note": "waited", "state": None},
    ]
    submission = Submission.objects.create(
        user=student,
        lab=squared,
        files={"app.py": ""},
        status="graded",
        score=0,
        max_score=10,
        result={"score": 0, "max_score": 10, "checks": [], "trace": trace},
    )
    html = student_client.get(submission.get_absolute_url()).content.decode()
    assert "<strong>Step Functions</strong> execution us-east-1:1:execution:orders:run-1" in html
    assert '<span class="badge sfn-failed">FAILED</span> OutOfStock · 3 transitions' in html
    # every kind in words, never its record's name and fields (labs/trace_wording.py)
    assert "Step Functions: waited" in html and "note=waited" not in html and "None" not in html


def test_the_lab_page_shows_instructions_editor_and_visible_checks(student_client, squared):
    response = student_client.get(reverse("labs:detail", args=[squared.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Squared number" in html and 'name="file:app.py"' in html
    assert "Returns the number and its square" in html
    assert "Squares negative and decimal numbers" not in html  # a hidden check's name
    assert "2 more checks you cannot see yet" in html
    assert "def lambda_handler" in html  # the starter file


def test_submit_over_htmx_then_poll_until_graded(student_client, student, squared, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    url = reverse("labs:submit", args=[squared.slug])
    response = student_client.post(
        url, {"kind": "submit", SOLUTION_FIELD: solution(squared)}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "number 1 in the queue" in html and 'hx-trigger="every 1s"' in html
    submission = Submission.objects.get(user=student)
    services.submission_grade(submission_id=submission.pk)
    status = student_client.get(
        reverse("labs:status", args=[squared.slug, submission.pk]), HTTP_HX_REQUEST="true"
    )
    body = status.content.decode()
    assert status.status_code == 286  # htmx stops polling
    assert "10/10" in body and "START RequestId:" in body and "REPORT RequestId:" in body
    assert "Event trace" in body and "cold start" in body
    # the trace drawn as a sequence diagram (escaped source for Mermaid), the list kept as its text
    # (the grader's set-up is folded away, not drawn: the diagram opens with the student's first invocation)
    assert '<pre class="mermaid">sequenceDiagram' in body and "P1-&gt;&gt;P2: Invoke (cold start)" in body
    assert "Set-up by the grader (" in body
    assert '<ol class="timeline" aria-label="Event trace">' in body
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "Your submissions" in page and "10/10" in page


def test_a_refused_submission_says_why(student_client, squared):
    response = student_client.post(
        reverse("labs:submit", args=[squared.slug]), {"kind": "submit"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "app.py: missing" in response.content.decode()


def test_drafts_are_saved(student_client, student, squared):
    response = student_client.post(
        reverse("labs:draft", args=[squared.slug]), {SOLUTION_FIELD: "print(1)\r\n"}
    )
    assert response.status_code == 200 and "Draft saved" in response.content.decode()
    assert Draft.objects.get(user=student).files == {"app.py": "print(1)\n"}
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "print(1)" in page


def test_students_only_see_their_own_submissions(client, student, instructor, squared, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda task, argument: None)
    submission = services.submission_create(user=student, lab=squared, files={"app.py": "x = 1\n"})
    other = user_create(username="other", password="other-pass-123", role=STUDENTS)
    client.force_login(other)
    for name in ("labs:submission", "labs:status"):
        assert client.get(reverse(name, args=[squared.slug, submission.pk])).status_code == 404
    client.force_login(instructor)
    assert client.get(reverse("labs:submission", args=[squared.slug, submission.pk])).status_code == 200


def test_posting_needs_csrf(squared, student):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student)
    response = strict.post(reverse("labs:submit", args=[squared.slug]), {SOLUTION_FIELD: "x"})
    assert response.status_code == 403
