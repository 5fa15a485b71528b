"""Instructor pages for labs: the live class view of a lab, a course's gradebook (and its CSV), every
submission of a lab with any student's full result, and re-grading. Every view is for instructors only
(``instructor_required``: anonymous users are sent to log in, students get 403)."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.roles import instructor_required
from courses.models import Course
from labs import diagrams, selectors, services
from labs.gradebook import csv_rows, gradebook_for
from labs.models import Lab, Submission

LIVE_POLL_EVERY = "3s"
LIST_POLL_EVERY = "2s"
GRADEBOOK_PAGE = 100
SUBMISSIONS_PAGE = 50


def _lab(slug: str) -> Lab:
    # Instructors also reach unpublished labs (to check a lab before publishing it).
    return get_object_or_404(Lab.objects.select_related("lesson__course"), slug=slug)


# -- live class view ----------------------------------------------------------------------------------------
@instructor_required
@require_GET
def lab_live(request: HttpRequest, slug: str) -> HttpResponse:
    """During a session: who submitted, what is graded or in flight, which checks fail, the scores.
    The body re-renders itself every few seconds; an htmx request gets the body alone."""
    lab = _lab(slug)
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


# -- gradebook ----------------------------------------------------------------------------------------------
@instructor_required
@require_GET
def gradebook(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    book = gradebook_for(course)
    search = request.GET.get("q", "").strip()
    page = Paginator(book.students(search), GRADEBOOK_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "labs/instructor/gradebook.html",
        {"course": course, "book": book, "rows": book.rows(page.object_list), "page": page, "q": search},
    )


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


@instructor_required
@require_GET
def gradebook_csv(request: HttpRequest, course_slug: str) -> StreamingHttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    book = gradebook_for(course)
    writer = csv.writer(_Echo())  # QUOTE_MINIMAL: commas, quotes and line breaks in a cell are quoted
    lines = (writer.writerow(row) for row in csv_rows(book, request.GET.get("q", "").strip()))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"gradebook-{course.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- submissions --------------------------------------------------------------------------------------------
class SubmissionFilter(forms.Form):
    student = forms.CharField(required=False, max_length=150, help_text="Exact username.")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Submission.Status.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Submission.Kind.choices])
    regraded = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean_student(self):
        username = self.cleaned_data["student"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"No user is called “{username}”.")
        return user


@instructor_required
@require_GET
def submission_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every submission of the lab, newest first, filtered by student, status, kind or re-grade batch.
    While a row on the page is waiting to be graded, the table refreshes itself."""
    lab = _lab(slug)
    form = SubmissionFilter(request.GET)
    rows = Submission.objects.filter(lab=lab).select_related("user").defer("files", "result", "verdicts")
    if form.is_valid():
        filters = form.cleaned_data
        if filters["student"]:
            rows = rows.filter(user=filters["student"])
        if filters["status"]:
            rows = rows.filter(status=filters["status"])
        if filters["kind"]:
            rows = rows.filter(kind=filters["kind"])
        if filters["regraded"]:
            rows = rows.filter(regrade_requested_at=filters["regraded"])
    else:
        rows = rows.none()
    # The score a re-grade replaced, read out of the result without loading the result itself.
    rows = rows.annotate(previous_score=F("result__regrade__previous_score"))
    page = Paginator(rows, SUBMISSIONS_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.lab = lab  # is_late() and links need the lab: no query per row
    pending = any(row.is_pending for row in page.object_list)
    filter_query = request.GET.copy()  # the filters, for the pager's links
    filter_query.pop("page", None)
    context = {
        "lab": lab,
        "form": form,
        "page": page,
        "pending": pending,
        "every": LIST_POLL_EVERY,
        "summary": selectors.latest_submissions_summary(lab),
        "filter_query": filter_query.urlencode(),
        "here": request.get_full_path(),
    }
    status = 200 if form.is_valid() else 400
    if request.htmx:
        # The table alone; htmx stops polling once nothing on the page is waiting to be graded.
        if not pending and status == 200:
            status = HttpResponseStopPolling.status_code
        return render(request, "labs/instructor/_submission_table.html", context, status=status)
    return render(request, "labs/instructor/submission_list.html", context, status=status)


@instructor_required
@require_GET
def submission_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Any student's submission with everything: all checks (hidden ones too), logs, trace and files."""
    lab = _lab(slug)
    submission = get_object_or_404(Submission.objects.select_related("user"), pk=pk, lab=lab)
    submission.lab = lab
    context = {"lab": lab, "submission": submission, "files": submission.files}
    if submission.is_pending:
        context["queue"] = selectors.queue_estimate(submission)
    else:
        context["view"] = diagrams.with_diagrams(
            selectors.result_view(submission, request.user, timezone.now())
        )
    context["regrade"] = (submission.result or {}).get("regrade")
    context["others"] = list(
        Submission.objects.filter(lab=lab, user=submission.user).defer("files", "result", "verdicts")[:50]
    )
    context["outdated"] = bool(submission.lab_hash) and submission.lab_hash != lab.content_hash
    return render(request, "labs/instructor/submission_review.html", context)


# -- re-grading ---------------------------------------------------------------------------------------------
def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@instructor_required
@require_POST
def submission_regrade(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = _lab(slug)
    submission = get_object_or_404(Submission.objects.select_related("user"), pk=pk, lab=lab)
    review = reverse("labs:instructor_submission", args=[lab.slug, submission.pk])
    try:
        services.submission_regrade(submission=submission)
    except services.RegradeRefused as refused:
        messages.error(request, refused.message)
        return redirect(_next(request, review))
    before = f"{submission.score}/{submission.max_score}" if submission.score is not None else "no grade"
    messages.success(
        request,
        f"Re-grading submission {submission.pk} by {submission.user.username} (it had {before}) against "
        "the current version of the lab. It is not a new attempt.",
    )
    return redirect(_next(request, review))


@instructor_required
@require_POST
def lab_regrade_all(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab(slug)
    now = timezone.now()
    queued, skipped = services.lab_regrade_all(lab=lab, now=now)
    listing = reverse("labs:instructor_submissions", args=[lab.slug])
    skipped_note = (
        f" {skipped} student{'s' if skipped != 1 else ''} skipped: their latest submission is already "
        "waiting to be graded."
        if skipped
        else ""
    )
    if not queued:
        messages.info(request, f"Nothing to re-grade.{skipped_note}")
        return redirect(listing)
    messages.success(
        request,
        f"Queued {len(queued)} submission{'s' if len(queued) != 1 else ''} for re-grading: the latest "
        f"of each student, against the current version of the lab (no new attempts).{skipped_note}",
    )
    return redirect(f"{listing}?{urlencode({'regraded': now.isoformat()})}")
