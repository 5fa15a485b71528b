"""A course's gradebook (instructors only): the table, a page at a time, and the whole of it as CSV."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from courses.models import Course
from gradebook.selectors import csv_rows, gradebook_for, moodle_csv_rows, quiz_points

GRADEBOOK_PAGE = 100


@instructor_required
@require_GET
def gradebook(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    book = gradebook_for(course)
    search = request.GET.get("q", "").strip()
    page = Paginator(book.students(search), GRADEBOOK_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "gradebook/gradebook.html",
        {
            "course": course,
            "book": book,
            "rows": book.rows(page.object_list),
            "page": page,
            "q": search,
            "quiz_points": quiz_points(),
        },
    )


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_response(request: HtmxHttpRequest, course_slug: str, rows, name: str) -> StreamingHttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    book = gradebook_for(course)
    writer = csv.writer(_Echo())  # QUOTE_MINIMAL: commas, quotes and line breaks in a cell are quoted
    lines = (writer.writerow(row) for row in rows(book, request.GET.get("q", "").strip()))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"{name}-{course.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@instructor_required
@require_GET
def gradebook_csv(request: HtmxHttpRequest, course_slug: str) -> StreamingHttpResponse:
    """The detailed table: best, late, latest, late and submissions per lab, quizzes, course total."""
    return _csv_response(request, course_slug, csv_rows, "gradebook")


@instructor_required
@require_GET
def gradebook_moodle_csv(request: HtmxHttpRequest, course_slug: str) -> StreamingHttpResponse:
    """One numeric column per grade item, for Moodle's grade import (gradebook/selectors.py)."""
    return _csv_response(request, course_slug, moodle_csv_rows, "grades-for-moodle")
