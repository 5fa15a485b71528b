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
from labs import diagrams, playground, saved_events
from labs.executions import execution_view
from labs.models import Lab, PlaygroundRun, SavedEvent
from labs.views.common import files_from, polling, published_lab


def _playground_lab(slug: str) -> Lab:
    lab = published_lab(slug)
    if not lab.has_playground:
        raise Http404("This lab has no playground")
    return lab


def _run_for(request: HtmxHttpRequest, lab: Lab, pk: int) -> PlaygroundRun:
    # Only the owner sees a test run, instructors included: it is scratch work, not an attempt.
    return get_object_or_404(PlaygroundRun.objects.select_related("lab"), pk=pk, lab=lab, user=request.user)


def run_context(run: PlaygroundRun) -> dict:
    """What ``labs/_playground_run.html`` shows: the response as indented JSON and the run's diagram."""
    context: dict = {"run": run, "lab": run.lab}
    result = run.result or {}
    if run.status == PlaygroundRun.Status.DONE and result.get("execution"):
        execution = result["execution"]
        context["execution"] = dict(
            execution_view(execution, "p"), diagram=diagrams.execution_flowchart(execution.get("graph") or {})
        )
        context["execution_output"] = json.dumps(execution.get("output"), indent=2)
    elif run.status == PlaygroundRun.Status.DONE and not result.get("rejected"):
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


def picker_context(request: HtmxHttpRequest, lab: Lab, *, picked: str, **message) -> dict:
    """What ``labs/_playground_picker.html`` shows: the event menu with ``picked`` selected (a value of
    the menu: "" the lab's event, "last" the last test's, "saved:<name>", or a sample's key), the
    student's saved events, and an optional ``saved_message`` (``saved_ok`` says which kind)."""
    return {
        "lab": lab,
        # Lambda's sample events are no input for a state machine: its box keeps the lab's and saved ones
        "samples": [] if lab.playground_state_machine else playground.SAMPLE_EVENTS,
        "saved_events": saved_events.saved_events_of(request.user, lab),
        "max_saved_events": saved_events.MAX_SAVED_EVENTS,
        "max_name_length": saved_events.MAX_NAME_LENGTH,
        "has_last_run": PlaygroundRun.objects.filter(user=request.user, lab=lab).exists(),
        "picked": picked,
        **message,
    }


def _picked_event(request: HtmxHttpRequest, lab: Lab, key: str) -> str:
    """The event the menu value ``key`` stands for, as indented JSON. Raises ``KeyError``."""
    if key == "":
        return json.dumps(lab.playground_event, indent=2)
    if key == "last":
        run = PlaygroundRun.objects.filter(user=request.user, lab=lab).first()
        if run is None:
            raise KeyError(key)
        return json.dumps(run.event, indent=2)
    if key.startswith("saved:"):
        saved = SavedEvent.objects.filter(user=request.user, lab=lab, name=key.removeprefix("saved:")).first()
        if saved is None:
            raise KeyError(key)
        return json.dumps(saved.event, indent=2)
    return playground.sample_event(key)


@login_required
@require_GET
def playground_sample(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The event box filled with the event chosen in the menu (htmx swaps it in place); a saved event
    also fills the name box, so that Save overwrites it as the console's Save does."""
    lab = _playground_lab(slug)
    key = request.GET.get("sample", "")
    try:
        event_text = _picked_event(request, lab, key)
    except KeyError:
        return HttpResponse(f"No event {escape(key)!r} to choose: reload the page.", status=404)
    context = {"lab": lab, "event_text": event_text, "saved_name": key.removeprefix("saved:")}
    context.update(fill_name=key.startswith("saved:"), max_name_length=saved_events.MAX_NAME_LENGTH)
    return render(request, "labs/_playground_event.html", context)


def _picker_response(request: HtmxHttpRequest, lab: Lab, context: dict, *, status: int = 200) -> HttpResponse:
    if not request.htmx:  # without JavaScript the buttons post the whole form: back to the lab's page
        if status == 200:
            return redirect(lab.get_absolute_url())
        return render(request, "labs/saved_event_rejected.html", context, status=status)
    return render(request, "labs/_playground_picker.html", context, status=status)


@login_required
@require_POST
def saved_event_save(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Save the event box under the name given; the menu comes back with it selected."""
    lab = _playground_lab(slug)
    try:
        saved = saved_events.saved_event_save(
            user=request.user,
            lab=lab,
            name=request.POST.get("event_name", ""),
            event_text=request.POST.get("event", ""),
        )
    except saved_events.SavedEventRejected as error:
        # the menu stays as it was (its value is posted too): the box still holds what it held
        picked = request.POST.get("sample", "")
        context = picker_context(request, lab, picked=picked, saved_message=error.message, saved_ok=False)
        return _picker_response(request, lab, context, status=error.status)
    context = picker_context(
        request, lab, picked=f"saved:{saved.name}", saved_message=f"Saved as {saved.name}.", saved_ok=True
    )
    return _picker_response(request, lab, context)


@login_required
@require_POST
def saved_event_delete(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Delete the saved event selected in the menu; the box goes back to the lab's event, and the menu
    says so."""
    lab = _playground_lab(slug)
    key = request.POST.get("sample", "")
    try:
        if not key.startswith("saved:"):
            raise saved_events.SavedEventRejected("Choose one of your saved events in the menu to delete it.")
        saved_events.saved_event_delete(user=request.user, lab=lab, name=key.removeprefix("saved:"))
    except saved_events.SavedEventRejected as error:
        context = picker_context(request, lab, picked=key, saved_message=error.message, saved_ok=False)
        return _picker_response(request, lab, context, status=error.status)
    name = key.removeprefix("saved:")
    context = picker_context(request, lab, picked="", saved_message=f"Deleted {name}.", saved_ok=True)
    context["reset_event_text"] = json.dumps(lab.playground_event, indent=2)  # swapped out of band
    return _picker_response(request, lab, context)
