"""A student's submissions: submit (or "Run checks"), the live status while it is graded, the full result."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_instructor
from config.htmx import HtmxHttpRequest
from labs import diagrams, diffing, selectors, services
from labs.highlighting import highlighted_files
from labs.models import Lab, Submission
from labs.views.common import files_from, polling, published_lab


def _submission_for(request: HtmxHttpRequest, lab: Lab, pk: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("lab", "user"), pk=pk, lab=lab)
    # Students only ever see their own submissions; a 404 does not even confirm that it exists.
    if submission.user_id != request.user.pk and not is_instructor(request.user):
        raise Http404("No such submission")
    return submission


def submission_context(request: HtmxHttpRequest, submission: Submission) -> dict:
    """What ``labs/_submission.html`` shows: the queue while it waits, else the result the viewer may see."""
    context = {"submission": submission, "lab": submission.lab}
    if submission.is_pending:
        context["queue"] = selectors.queue_estimate(submission)
    else:
        context["view"] = diagrams.with_diagrams(
            selectors.result_view(submission, request.user, timezone.now())
        )
    return context


@login_required
@require_POST
def submission_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = published_lab(slug)
    kind = request.POST.get("kind", Submission.Kind.SUBMIT)
    try:
        submission = services.submission_create(
            user=request.user, lab=lab, files=files_from(request), kind=kind
        )
    except services.SubmissionRejected as error:
        return render(
            request, "labs/_rejected.html", {"message": error.message, "lab": lab}, status=error.status
        )
    if not request.htmx:
        return redirect(submission.get_absolute_url())
    return render(request, "labs/_submission.html", submission_context(request, submission))


@login_required
@require_GET
def submission_status(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    submission = _submission_for(request, published_lab(slug), pk)
    response = render(request, "labs/_submission.html", submission_context(request, submission))
    return polling(response, pending=submission.is_pending)


@login_required
@require_GET
def submission_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = get_object_or_404(Lab, slug=slug)
    submission = _submission_for(request, lab, pk)
    context = submission_context(request, submission)
    context["files"] = highlighted_files(submission.files)
    return render(request, "labs/submission_detail.html", context)


@login_required
@require_GET
def submission_diff(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """What changed between two submissions (``from`` and ``to``, ids) of the same student and lab.
    A student compares only their own (anything else is a 404, as for one submission); an instructor
    any student's."""
    lab = get_object_or_404(Lab, slug=slug)
    try:
        old_pk, new_pk = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("Choose two submissions to compare: ?from=<id>&to=<id>, both numbers.")
    old, new = _submission_for(request, lab, old_pk), _submission_for(request, lab, new_pk)
    if old.user_id != new.user_id:
        return HttpResponseBadRequest("Both submissions must be by the same student.")
    if old.created_at > new.created_at:  # the older one is always on the left
        old, new = new, old
    context = {"lab": lab, "old": old, "new": new, "diffs": diffing.files_diff(old.files, new.files)}
    context["instructor_view"] = is_instructor(request.user)
    return render(request, "labs/submission_diff.html", context)
