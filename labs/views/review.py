"""Reviewing a lab's submissions (instructors): every submission of a lab with any student's full result
(hidden checks too), and re-grading one submission or each student's latest."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from labs import selectors, services
from labs.highlighting import highlighted_files
from labs.models import Submission
from labs.views.common import instructor_lab, polling
from labs.views.submissions import submission_context

LIST_POLL_EVERY = "2s"
SUBMISSIONS_PAGE = 50


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
def submission_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every submission of the lab, newest first, filtered by student, status, kind or re-grade batch.
    While a row on the page is waiting to be graded, the table refreshes itself."""
    lab = instructor_lab(slug)
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
        response = render(request, "labs/instructor/_submission_table.html", context, status=status)
        return polling(response, pending=pending or status != 200)
    return render(request, "labs/instructor/submission_list.html", context, status=status)


@instructor_required
@require_GET
def submission_review(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Any student's submission with everything: all checks (hidden ones too), logs, trace and files."""
    lab = instructor_lab(slug)
    submission = get_object_or_404(Submission.objects.select_related("user"), pk=pk, lab=lab)
    submission.lab = lab
    context = submission_context(request, submission)
    context["files"] = highlighted_files(submission.files)
    context["regrade"] = (submission.result or {}).get("regrade")
    context["others"] = list(
        Submission.objects.filter(lab=lab, user=submission.user).defer("files", "result", "verdicts")[:50]
    )
    context["outdated"] = bool(submission.lab_hash) and submission.lab_hash != lab.content_hash
    context["review_form"] = ReviewForm(
        initial={"adjusted_score": submission.adjusted_score, "comment": submission.comment}
    )
    return render(request, "labs/instructor/submission_review.html", context)


# -- the instructor's review: a comment and a score adjustment ----------------------------------------------
class ReviewForm(forms.Form):
    adjusted_score = forms.IntegerField(
        required=False,
        min_value=0,
        label="Adjusted score",
        help_text="Leave empty to let the automatic score count.",
    )
    comment = forms.CharField(
        required=False,
        max_length=services.COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Comment to the student",
    )


@instructor_required
@require_POST
def submission_review_save(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = instructor_lab(slug)
    submission = get_object_or_404(Submission.objects.select_related("user"), pk=pk, lab=lab)
    review = reverse("labs:instructor_submission", args=[lab.slug, submission.pk])
    form = ReviewForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[name].label}: {' '.join(e)}" for name, e in form.errors.items())
        messages.error(request, f"Review not saved. {errors}")
        return redirect(review)
    try:
        saved = services.submission_review(
            submission=submission,
            by=request.user,
            adjusted_score=form.cleaned_data["adjusted_score"],
            comment=form.cleaned_data["comment"],
        )
    except services.ReviewRefused as refused:
        messages.error(request, f"Review not saved. {refused.message}")
        return redirect(review)
    counts = saved.final_score if saved.final_score is not None else "no grade yet"
    messages.success(
        request, f"Review saved. {submission.user.username}'s grade for this submission: {counts}."
    )
    return redirect(review)


# -- re-grading ---------------------------------------------------------------------------------------------
def _next(request: HtmxHttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@instructor_required
@require_POST
def submission_regrade(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    lab = instructor_lab(slug)
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
def lab_regrade_all(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    lab = instructor_lab(slug)
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
