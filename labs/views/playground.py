"""The playground: the Test button beside the editor (the draft invoked with an event, on a worker)."""

from __future__ import annotations

import contextlib
import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from config.htmx import HtmxHttpRequest
from labs import diagrams, playground
from labs.models import Lab, PlaygroundRun
from labs.views.common import files_from, polling, published_lab


def _playground_lab(slug: str) -> Lab:
    lab = published_lab(slug)
    if not lab.playground_handler:
        raise Http404("This lab has no playground")
    return lab


def _run_for(request: HtmxHttpRequest, lab: Lab, pk: int) -> PlaygroundRun:
    # Only the owner sees a test run, instructors included: it is scratch work, not an attempt.
    return get_object_or_404(PlaygroundRun.objects.select_related("lab"), pk=pk, lab=lab, user=request.user)


def run_context(run: PlaygroundRun) -> dict:
    """What ``labs/_playground_run.html`` shows: the response as indented JSON and the run's diagram."""
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
def playground_run_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = _playground_lab(slug)
    try:
        run = playground.playground_run_create(
            user=request.user,
            lab=lab,
            files=files_from(request),
            event_text=request.POST.get("event", ""),
        )
    except playground.PlaygroundRejected as error:
        template = "labs/_playground_run.html" if request.htmx else "labs/playground_run.html"
        return render(request, template, {"lab": lab, "message": error.message}, status=error.status)
    if not request.htmx:
        return redirect(run.get_absolute_url())
    return render(request, "labs/_playground_run.html", run_context(run))


@login_required
@require_GET
def playground_run_status(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    run = _run_for(request, _playground_lab(slug), pk)
    response = render(request, "labs/_playground_run.html", run_context(run))
    return polling(response, pending=run.is_pending)


@login_required
@require_GET
def playground_run_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    run = _run_for(request, _playground_lab(slug), pk)
    context = run_context(run)
    context["event_text"] = json.dumps(run.event, indent=2)
    return render(request, "labs/playground_run.html", context)


@login_required
@require_GET
def playground_sample(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The event box filled with the chosen sample event (htmx swaps it in place)."""
    lab = _playground_lab(slug)
    key = request.GET.get("sample", "")
    try:
        event_text = playground.sample_event(key) if key else json.dumps(lab.playground_event, indent=2)
    except KeyError:
        return HttpResponse(f"No sample event {escape(key)!r}", status=404)
    return render(request, "labs/_playground_event.html", {"lab": lab, "event_text": event_text})
