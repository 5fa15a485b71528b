"""Lab pages: the catalog, a lab with its editor, drafts, submissions with live status, results, and the
playground (the Test button: the draft invoked with an event, on a worker)."""

from __future__ import annotations

import contextlib
import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_instructor
from labs import diagrams, playground, selectors, services
from labs.models import Draft, Lab, PlaygroundRun, Submission

# htmx stops polling when a response has this status (https://htmx.org/docs/#polling).
STOP_POLLING = 286


def _lab(slug: str) -> Lab:
    return get_object_or_404(Lab, slug=slug, is_published=True)


def _files_from(request: HttpRequest, lab: Lab) -> dict[str, str]:
    # Each editor tab posts its file as "file:<name>"; anything else in the form is ignored.
    return {
        key.removeprefix("file:"): value.replace("\r\n", "\n")
        for key, value in request.POST.items()
        if key.startswith("file:")
    }


def _submission_for(request: HttpRequest, lab: Lab, pk: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("lab", "user"), pk=pk, lab=lab)
    # Students only ever see their own submissions; a 404 does not even confirm that it exists.
    if submission.user_id != request.user.pk and not is_instructor(request.user):
        raise Http404("No such submission")
    return submission


def _submission_context(request: HttpRequest, submission: Submission) -> dict:
    context = {"submission": submission, "lab": submission.lab}
    if submission.is_pending:
        context["queue"] = selectors.queue_estimate(submission)
    else:
        context["view"] = diagrams.with_diagrams(
            selectors.result_view(submission, request.user, timezone.now())
        )
    return context


@login_required
@require_GET
def lab_list(request: HttpRequest) -> HttpResponse:
    # In the course's order (module, lesson), as the lessons and the gradebook list them.
    labs = list(
        Lab.objects.filter(is_published=True)
        .select_related("lesson")
        .order_by("lesson__course__slug", "lesson__module__order", "lesson__order", "order", "slug")
    )
    best = {}
    for submission in Submission.objects.filter(
        user=request.user, kind=Submission.Kind.SUBMIT, status=Submission.Status.GRADED
    ).only("lab_id", "score"):
        best[submission.lab_id] = max(best.get(submission.lab_id, 0), submission.score or 0)
    for lab in labs:
        lab.best_score = best.get(lab.pk)
    return render(request, "labs/lab_list.html", {"labs": labs})


@login_required
@require_GET
def lab_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab(slug)
    draft = Draft.objects.filter(user=request.user, lab=lab).first()
    files = {name: (draft.files if draft else lab.starter_files).get(name, "") for name in lab.editable_files}
    history = selectors.submissions_of(request.user, lab)
    latest = history[0] if history else None
    context = {
        "lab": lab,
        "files": files,
        "visible_checks": [check for check in lab.checks if check["visibility"] == "visible"],
        "other_checks": sum(1 for check in lab.checks if check["visibility"] != "visible"),
        "history": history,
    }
    if latest is not None:
        context.update(_submission_context(request, latest))
    if lab.playground_handler:
        run = PlaygroundRun.objects.filter(user=request.user, lab=lab).first()
        context["samples"] = playground.SAMPLE_EVENTS
        # The event box starts from the student's last test, else the lab's starting event.
        context["event_text"] = json.dumps(run.event if run else lab.playground_event, indent=2)
        if run is not None:
            context.update(_run_context(run))
    return render(request, "labs/lab_detail.html", context)


@login_required
@require_POST
def draft_save(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab(slug)
    try:
        services.draft_save(user=request.user, lab=lab, files=_files_from(request, lab))
    except services.SubmissionRejected as error:
        return HttpResponse(f'<span class="error">Not saved: {_escape(error.message)}</span>', status=400)
    return HttpResponse(f'<span class="muted">Draft saved at {timezone.localtime():%H:%M:%S}</span>')


@login_required
@require_POST
def submission_create(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab(slug)
    kind = request.POST.get("kind", Submission.Kind.SUBMIT)
    try:
        submission = services.submission_create(
            user=request.user, lab=lab, files=_files_from(request, lab), kind=kind
        )
    except services.SubmissionRejected as error:
        return render(
            request, "labs/_rejected.html", {"message": error.message, "lab": lab}, status=error.status
        )
    if not request.htmx:
        return redirect(submission.get_absolute_url())
    return render(request, "labs/_submission.html", _submission_context(request, submission))


@login_required
@require_GET
def submission_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    submission = _submission_for(request, _lab(slug), pk)
    context = _submission_context(request, submission)
    status = 200 if submission.is_pending else STOP_POLLING
    return render(request, "labs/_submission.html", context, status=status)


@login_required
@require_GET
def submission_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = get_object_or_404(Lab, slug=slug)
    submission = _submission_for(request, lab, pk)
    context = _submission_context(request, submission)
    context["files"] = submission.files
    return render(request, "labs/submission_detail.html", context)


# -- the playground ------------------------------------------------------------------------------------------
def _playground_lab(slug: str) -> Lab:
    lab = _lab(slug)
    if not lab.playground_handler:
        raise Http404("This lab has no playground")
    return lab


def _run_for(request: HttpRequest, lab: Lab, pk: int) -> PlaygroundRun:
    # Only the owner sees a test run, instructors included: it is scratch work, not an attempt.
    return get_object_or_404(PlaygroundRun.objects.select_related("lab"), pk=pk, lab=lab, user=request.user)


def _run_context(run: PlaygroundRun) -> dict:
    context: dict = {"run": run, "lab": run.lab}
    result = run.result or {}
    if run.status == PlaygroundRun.Status.DONE and not result.get("rejected"):
        payload = result.get("payload", "")
        with contextlib.suppress(ValueError):  # the response as the console shows it: indented JSON
            payload = json.dumps(json.loads(payload), indent=2) if payload else ""
        context["payload"] = payload
        context["run_diagram"] = diagrams.sequence_diagram(result.get("trace", []), caller="Test event")
    return context


@login_required
@require_POST
def playground_run_create(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _playground_lab(slug)
    try:
        run = playground.playground_run_create(
            user=request.user,
            lab=lab,
            files=_files_from(request, lab),
            event_text=request.POST.get("event", ""),
        )
    except playground.PlaygroundRejected as error:
        template = "labs/_playground_run.html" if request.htmx else "labs/playground_run.html"
        return render(request, template, {"lab": lab, "message": error.message}, status=error.status)
    if not request.htmx:
        return redirect(run.get_absolute_url())
    return render(request, "labs/_playground_run.html", _run_context(run))


@login_required
@require_GET
def playground_run_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    run = _run_for(request, _playground_lab(slug), pk)
    status = 200 if run.is_pending else STOP_POLLING
    return render(request, "labs/_playground_run.html", _run_context(run), status=status)


@login_required
@require_GET
def playground_run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    run = _run_for(request, _playground_lab(slug), pk)
    context = _run_context(run)
    context["event_text"] = json.dumps(run.event, indent=2)
    return render(request, "labs/playground_run.html", context)


@login_required
@require_GET
def playground_sample(request: HttpRequest, slug: str) -> HttpResponse:
    """The event box filled with the chosen sample event (htmx swaps it in place)."""
    lab = _playground_lab(slug)
    key = request.GET.get("sample", "")
    try:
        event_text = playground.sample_event(key) if key else json.dumps(lab.playground_event, indent=2)
    except KeyError:
        return HttpResponse(f"No sample event {_escape(key)!r}", status=404)
    return render(request, "labs/_playground_event.html", {"lab": lab, "event_text": event_text})


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)
