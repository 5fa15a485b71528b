"""The live class view of a lab (instructors): who submitted, what is graded or in flight, which checks
fail, the scores. The body re-renders itself every few seconds; an htmx request gets the body alone."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from labs import selectors
from labs.views.common import instructor_lab

LIVE_POLL_EVERY = "3s"


@instructor_required
@require_GET
def lab_live(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = instructor_lab(slug)
    include_runs = request.GET.get("runs") == "1"
    context = {
        "lab": lab,
        "live": selectors.lab_class_view(lab, include_runs=include_runs),
        "include_runs": include_runs,
        "every": LIVE_POLL_EVERY,
        "now": timezone.now(),
    }
    template = "labs/instructor/_live_body.html" if request.htmx else "labs/instructor/lab_live.html"
    return render(request, template, context)
