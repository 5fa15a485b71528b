"""Instructor pages of the practice app: item analysis of a lab's checks."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from labs.models import Lab
from quizzes.statistics import DISCRIMINATION_LOW, FACILITY_HIGH, FACILITY_LOW

from ..lab_statistics import lab_check_statistics


@instructor_required
@require_GET
def lab_checks(request: HtmxHttpRequest, lab_slug: str) -> HttpResponse:
    lab = get_object_or_404(Lab, slug=lab_slug)
    return render(
        request,
        "practice/lab_checks.html",
        {
            "lab": lab,
            "report": lab_check_statistics(lab=lab),
            "facility_low": FACILITY_LOW,
            "facility_high": FACILITY_HIGH,
            "discrimination_low": DISCRIMINATION_LOW,
        },
    )
