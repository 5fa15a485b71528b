"""The labs a student sees: the list of labs, and a lab's page (instructions, editor, latest result and
test run), with drafts saved as they type."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from config.htmx import HtmxHttpRequest
from labs import selectors, services
from labs.models import Draft, Lab, PlaygroundRun
from labs.views.common import files_from, published_lab
from labs.views.playground import picker_context, run_context
from labs.views.submissions import submission_context


@login_required
@require_GET
def lab_list(request: HtmxHttpRequest) -> HttpResponse:
    # In the course's order (module, lesson), as the lessons and the gradebook list them.
    labs = list(
        Lab.objects.filter(is_published=True)
        .select_related("lesson__course")
        .order_by("lesson__course__slug", "lesson__module__order", "lesson__order", "order", "slug")
    )
    standings = selectors.lab_standings(request.user, labs)
    for lab in labs:
        lab.standing = standings[lab.pk]
    return render(request, "labs/lab_list.html", {"labs": labs, "now": timezone.now()})


@login_required
@require_GET
def lab_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = published_lab(slug)
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
        "standing": selectors.lab_standings(request.user, [lab])[lab.pk],
        "now": timezone.now(),
    }
    if latest is not None:
        context.update(submission_context(request, latest))
    if lab.has_playground:
        run = PlaygroundRun.objects.filter(user=request.user, lab=lab).first()
        # The event box starts from the student's last test, else the lab's starting event, and the menu
        # above it names which (after a reload they used to disagree).
        context.update(picker_context(request, lab, picked="last" if run else ""))
        context["event_text"] = json.dumps(run.event if run else lab.playground_event, indent=2)
        if run is not None:
            context.update(run_context(run))
    return render(request, "labs/lab_detail.html", context)


@login_required
@require_POST
def draft_save(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = published_lab(slug)
    try:
        services.draft_save(user=request.user, lab=lab, files=files_from(request))
    except services.SubmissionRejected as error:
        return HttpResponse(f'<span class="error">Not saved: {escape(error.message)}</span>', status=400)
    return HttpResponse(f'<span class="muted">Draft saved at {timezone.localtime():%H:%M:%S}</span>')


@login_required
@require_POST
def draft_reset(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """ "Reset to starter" (the page asked first): the draft is deleted and the page reloads with the
    starter files; htmx is told to reload the whole page (HX-Refresh), since every editor tab changes."""
    lab = published_lab(slug)
    services.draft_reset(user=request.user, lab=lab)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(lab.get_absolute_url())
