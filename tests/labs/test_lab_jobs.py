"""The job lifecycle shared by gradings and playground runs (labs/jobs.py): files checked against the Lab
row in the web process, messages sent by task name to the tasks that exist, claim / record / fail /
requeue for both kinds of job."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery_app import app
from labs import jobs, playground, services
from labs.models import Draft, PlaygroundRun, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    messages: list[tuple[str, object]] = []
    monkeypatch.setattr(jobs, "send", lambda task, argument: messages.append((task, argument)))
    return messages


@pytest.fixture
def no_lab_folders(settings, tmp_path):
    """The web process has no lab folder to read: every check must come from the Lab row."""
    jobs._spec.cache_clear()
    settings.LABS_CATALOG_DIR = tmp_path / "empty"
    yield
    jobs._spec.cache_clear()


def test_every_job_names_a_registered_task():
    app.loader.import_default_modules()
    for task in (jobs.GRADING.task, jobs.PLAYGROUND_RUN.task, services.FAN_OUT_TASK):
        assert task in app.tasks, task
    assert "labs.tasks.sweep_stuck_submissions" in app.tasks  # the beat schedule's name


def test_the_web_process_checks_files_against_the_lab_row_without_its_folder(
    squared, student, sent, no_lab_folders, django_capture_on_commit_callbacks
):
    files = {"app.py": "def lambda_handler(event, context):\n    return event\n"}
    with django_capture_on_commit_callbacks(execute=True):
        services.draft_save(user=student, lab=squared, files=files)
        submission = services.submission_create(user=student, lab=squared, files=files)
        run = playground.playground_run_create(user=student, lab=squared, files=files, event_text="{}")
    assert sent == [(jobs.GRADING.task, submission.pk), (jobs.PLAYGROUND_RUN.task, run.pk)]
    with pytest.raises(services.SubmissionRejected, match=r"^other.py: this lab has no editable file"):
        services.submission_create(user=student, lab=squared, files={**files, "other.py": ""})
    with pytest.raises(playground.PlaygroundRejected, match=r"^app.py: missing from the submission"):
        playground.playground_run_create(user=student, lab=squared, files={}, event_text="{}")
    with pytest.raises(services.SubmissionRejected, match=r"^app.py: larger than 256 KB"):
        services.draft_save(user=student, lab=squared, files={"app.py": "x" * (256 * 1024 + 1)})
    with pytest.raises(services.SubmissionRejected, match="files must map each file name"):
        services.draft_save(user=student, lab=squared, files=["app.py"])


@pytest.mark.parametrize("kind", [jobs.GRADING, jobs.PLAYGROUND_RUN], ids=["grading", "playground"])
def test_claim_runs_a_pending_job_once(kind, squared, student):
    extra = {"handler": "app.lambda_handler", "event": {}} if kind is jobs.PLAYGROUND_RUN else {}
    job = kind.model.objects.create(user=student, lab=squared, files={"app.py": ""}, **extra)
    claimed, first = jobs.claim(kind, job.pk)
    assert first and claimed.status == "running" and getattr(claimed, kind.attempts_field) == 1
    assert claimed.lab == squared  # loaded with the job, for the runner
    again, second = jobs.claim(kind, job.pk)  # a redelivered message while it runs: claimed again
    assert second and getattr(again, kind.attempts_field) == 2
    jobs.record(kind, again, status="graded" if kind is jobs.GRADING else "done")
    done, third = jobs.claim(kind, job.pk)
    assert not third and getattr(done, kind.attempts_field) == 2  # finished: left as it is
    assert getattr(done, kind.finished_field) is not None and done.error == ""
    assert jobs.claim(kind, 10**9) == (None, False)


@pytest.mark.parametrize("kind", [jobs.GRADING, jobs.PLAYGROUND_RUN], ids=["grading", "playground"])
def test_fail_marks_only_a_pending_job(kind, squared, student):
    extra = {"handler": "app.lambda_handler", "event": {}} if kind is jobs.PLAYGROUND_RUN else {}
    pending = kind.model.objects.create(user=student, lab=squared, files={}, status="running", **extra)
    finished_status = "graded" if kind is jobs.GRADING else "done"
    finished = kind.model.objects.create(user=student, lab=squared, files={}, status=finished_status, **extra)
    assert jobs.fail(kind, pending.pk, reason="the sandbox could not start " + "x" * 3000) == 1
    assert jobs.fail(kind, finished.pk, reason="late") == 0
    pending.refresh_from_db()
    finished.refresh_from_db()
    assert pending.status == "infra_error" and pending.error.startswith("the sandbox could not start")
    assert len(pending.error) == 2000 and getattr(pending, kind.finished_field) is not None
    assert finished.status == finished_status and finished.error == ""


def test_requeue_puts_running_jobs_back_and_sends_each(squared, student, sent):
    running = Submission.objects.create(user=student, lab=squared, files={}, status="running")
    queued = Submission.objects.create(user=student, lab=squared, files={})
    assert jobs.requeue(jobs.GRADING, [running.pk, queued.pk]) == [running.pk, queued.pk]
    running.refresh_from_db()
    assert running.status == "queued"
    assert sent == [(jobs.GRADING.task, running.pk), (jobs.GRADING.task, queued.pk)]


def test_the_in_flight_limit_counts_each_kind_of_job_apart(squared, student, sent):
    for _ in range(services.MAX_IN_FLIGHT):
        Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    with pytest.raises(services.SubmissionRejected) as refused:
        services.submission_create(user=student, lab=squared, files={"app.py": ""})
    assert refused.value.status == 429 and "3 submissions waiting" in refused.value.message
    run = playground.playground_run_create(user=student, lab=squared, files={"app.py": ""}, event_text="{}")
    assert run.status == PlaygroundRun.Status.QUEUED  # test runs have their own limit


def test_a_nul_character_in_files_is_refused_naming_the_file(squared, student, sent):
    """PostgreSQL's jsonb cannot hold U+0000: refused at input on every engine, never a failed save."""
    files = {"app.py": "x = 1\x00\n"}
    says = r"^app.py: contains a NUL character \(\\x00\)"
    with pytest.raises(services.SubmissionRejected, match=says):
        services.draft_save(user=student, lab=squared, files=files)
    with pytest.raises(services.SubmissionRejected, match=says):
        services.submission_create(user=student, lab=squared, files=files)
    with pytest.raises(playground.PlaygroundRejected, match=says):
        playground.playground_run_create(user=student, lab=squared, files=files, event_text="{}")
    assert not Submission.objects.exists() and not PlaygroundRun.objects.exists() and sent == []


def test_a_draft_with_a_nul_character_is_a_clear_400(client, squared, student):
    client.force_login(student)
    response = client.post(
        reverse("labs:draft", args=[squared.slug]), {"file:app.py": "x = 1\x00\n"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Not saved: app.py: contains a NUL character" in response.content.decode()
    assert not Draft.objects.exists()


@pytest.mark.parametrize("kind", [jobs.GRADING, jobs.PLAYGROUND_RUN], ids=["grading", "playground"])
def test_a_result_with_nul_characters_is_saved_and_the_job_finishes(kind, squared, student):
    """Student code can print or return U+0000, which PostgreSQL cannot store: it becomes U+FFFD, so the
    job is finished, not left running to be swept and run again forever."""
    extra = {"handler": "app.lambda_handler", "event": {}} if kind is jobs.PLAYGROUND_RUN else {}
    job = kind.model.objects.create(user=student, lab=squared, files={"app.py": ""}, **extra)
    claimed, _ = jobs.claim(kind, job.pk)
    result = {"logs": "START\x00END", "payload": {"key\x00": ["\x00", "\\u0000 stays text"]}}
    jobs.record(kind, claimed, status="graded" if kind is jobs.GRADING else "done", result=result)
    saved = kind.model.objects.get(pk=job.pk)
    assert saved.status in ("graded", "done")
    assert saved.result == {
        "logs": "START\ufffdEND",
        "payload": {"key\ufffd": ["\ufffd", "\\u0000 stays text"]},
    }
    assert jobs.fail(kind, job.pk, reason="x") == 0  # finished: nothing left pending


def test_an_infrastructure_error_with_a_nul_character_is_saved(squared, student):
    job = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    assert jobs.fail(jobs.GRADING, job.pk, reason="broken\x00pipe") == 1
    assert Submission.objects.get(pk=job.pk).error == "broken\ufffdpipe"


@pytest.mark.parametrize("kind", [jobs.GRADING, jobs.PLAYGROUND_RUN], ids=["grading", "playground"])
def test_an_outcome_the_database_refuses_fails_the_job_once(kind, squared, student, monkeypatch, sent):
    """A save that fails (here NaN in the result: SQLite's JSON_VALID check and PostgreSQL's jsonb both
    refuse it) marks the job "could not be graded/run" once: never left running, never swept and run
    again, and a second delivery of its message does not run it either."""
    runs = []

    def outcome(*args, **kwargs):
        runs.append(args)
        return {"score": 0, "max_score": 10, "checks": [], "payload": float("nan")}

    if kind is jobs.GRADING:
        monkeypatch.setattr(services, "grade", outcome)
        job = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
        execute = lambda: services.submission_grade(submission_id=job.pk)  # noqa: E731
        sweep = services.submission_sweep
    else:
        monkeypatch.setattr(playground, "invoke_draft", outcome)
        job = PlaygroundRun.objects.create(
            user=student, lab=squared, files={"app.py": ""}, handler="app.lambda_handler", event={}
        )
        execute = lambda: playground.playground_run_execute(run_id=job.pk)  # noqa: E731
        sweep = playground.playground_run_sweep
    finished = execute()
    assert finished.status == "infra_error"
    assert finished.error.startswith("its result could not be saved: ")
    assert finished.error.endswith(("(not graded again)", "(not run again)"))
    assert finished.result in (None, {})
    later = timezone.now() + dt.timedelta(hours=1)
    assert sweep(now=later) == []
    assert execute().status == "infra_error"
    assert len(runs) == 1
    assert sent == []


def test_a_regrade_whose_result_cannot_be_saved_keeps_the_previous_grade(squared, student, monkeypatch):
    monkeypatch.setattr(
        services, "grade", lambda *a, **k: {"score": 0, "max_score": 10, "checks": [], "x": float("nan")}
    )
    job = Submission.objects.create(
        user=student,
        lab=squared,
        files={"app.py": ""},
        status="queued",
        score=7,
        max_score=10,
        graded_at=timezone.now(),
        regrade_requested_at=timezone.now(),
    )
    regraded = services.submission_grade(submission_id=job.pk)
    assert (regraded.status, regraded.score) == ("graded", 7)
    assert regraded.error.startswith("Re-grading failed: its result could not be saved: ")


def test_the_grading_task_reports_a_refused_result_as_not_graded(squared, student, monkeypatch):
    from labs.tasks import grade_submission

    monkeypatch.setattr(
        services, "grade", lambda *a, **k: {"score": 0, "max_score": 10, "checks": [], "x": float("nan")}
    )
    job = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    assert grade_submission.apply(args=[job.pk]).get() == "infra_error"
    assert Submission.objects.get(pk=job.pk).grading_attempts == 1
