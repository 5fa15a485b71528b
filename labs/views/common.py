"""Helpers shared by the lab screens."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_htmx.http import HttpResponseStopPolling

from config.htmx import HtmxHttpRequest
from labs.models import Lab


def published_lab(slug: str) -> Lab:
    return get_object_or_404(Lab, slug=slug, is_published=True)


def instructor_lab(slug: str) -> Lab:
    # Instructors also reach unpublished labs (to check a lab before publishing it).
    return get_object_or_404(Lab.objects.select_related("lesson__course"), slug=slug)


def files_from(request: HtmxHttpRequest) -> dict[str, str]:
    # Each editor tab posts its file as "file:<name>"; anything else in the form is ignored.
    return {
        key.removeprefix("file:"): value.replace("\r\n", "\n")
        for key, value in request.POST.items()
        if key.startswith("file:")
    }


def polling(response: HttpResponse, *, pending: bool) -> HttpResponse:
    """``response`` while what the page polls for is pending; once it is not, the same content as
    django-htmx's ``HttpResponseStopPolling`` (status 286), which tells htmx to stop polling."""
    return response if pending else HttpResponseStopPolling(response.content)
