"""The live class view of a lab (instructors): who submitted, what is graded or in flight, which checks
fail, the scores. The body re-renders itself every few seconds; an htmx request gets the body alone.
The page also sets the lab's deadline."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from labs import selectors, services
from labs.views.common import instructor_lab

LIVE_POLL_EVERY = "3s"


class DeadlineForm(forms.Form):
    """The deadline as the browser's date-time box sends it, read in the site's time zone (UTC)."""

    deadline = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Deadline (UTC)",
    )


@instructor_required
@require_GET
def lab_live(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = instructor_lab(slug)
    include_runs = request.GET.get("runs") == "1"
    context = {
        "deadline_form": DeadlineForm(initial={"deadline": lab.deadline}),
        "lab": lab,
        "live": selectors.lab_class_view(lab, include_runs=include_runs),
        "include_runs": include_runs,
        "every": LIVE_POLL_EVERY,
        "now": timezone.now(),
    }
    template = "labs/instructor/_live_body.html" if request.htmx else "labs/instructor/lab_live.html"
    return render(request, template, context)


@instructor_required
@require_POST
def lab_deadline(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Set or clear the lab's deadline ("clear" in the form, or an empty box, clears it)."""
    lab = instructor_lab(slug)
    form = DeadlineForm(request.POST)
    live = reverse("labs:instructor_live", args=[lab.slug])
    if not form.is_valid():
        messages.error(request, f"Deadline not changed: {form.errors['deadline'][0]}")
        return redirect(live)
    deadline = None if "clear" in request.POST else form.cleaned_data["deadline"]
    services.lab_deadline_set(lab=lab, deadline=deadline)
    if deadline is None:
        messages.success(request, f"{lab.title} has no deadline now: no submission is marked late.")
    else:
        messages.success(
            request,
            f"{lab.title} is due {timezone.localtime(deadline):%b %-d, %H:%M} UTC. Submissions after it "
            "are marked late; the checks marked “after the deadline” show their details once it has passed.",
        )
    return redirect(live)


@instructor_required
@require_GET
def check_stuck(request: HtmxHttpRequest, slug: str, check_id: str) -> HttpResponse:
    """Who is stuck: the students whose latest graded submission fails ``check_id``, each with a link to
    that submission. A check the lab no longer has is still listed while old results carry it."""
    lab = instructor_lab(slug)
    include_runs = request.GET.get("runs") == "1"
    stuck = selectors.students_failing(lab, check_id, include_runs=include_runs)
    check = next((check for check in lab.checks if check["id"] == check_id), None)
    if check is None and not stuck:
        raise Http404("No such check")
    context = {
        "lab": lab,
        "check": check or {"id": check_id, "name": check_id, "removed": True},
        "stuck": stuck,
        "include_runs": include_runs,
    }
    return render(request, "labs/instructor/check_stuck.html", context)
