"""Question banks in and out of the authoring pages: upload a GIFT, Moodle XML or QTI file, see what will be
imported (counts by type, every question as students will see it, every warning), confirm; download a
quiz, a tag or the whole bank as GIFT, Moodle XML or a QTI package; serve imported images.

The uploaded bytes wait in the cache (shared by every web process in production) under a random token
bound to the instructor and the course, for ``STAGING_SECONDS``; confirming reads them again, so what is
saved is exactly what was previewed, all or nothing."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from courses.models import Course

from ..bank_formats import LABELS, LIMITS, detect_format, read_bank
from ..exporting import export_moodle_xml, export_qti
from ..files import map_refs
from ..interchange import BankError
from ..models import Question, QuestionFile, Quiz
from ..services import bank_import
from ..spec import from_dict

STAGING_SECONDS = 3600
KIND_LABELS = dict(Question.Kind.choices)


def _staging_key(token: str) -> str:
    return f"quizzes:bank-upload:{token}"


def _preview(bank, course: Course, token: str) -> list[dict]:
    """Each question as the preview shows it: its kind, title, category and public view (stem and what to
    choose from), its images served from the upload that waits for confirmation."""
    staged = reverse("quizzes:bank_staged_file", args=[course.slug, token, "0" * 64, "x"])
    prefix = staged.removesuffix(f"{'0' * 64}/x")
    rows = []
    for spec in bank.questions:
        shown = from_dict(map_refs(spec.to_dict(), prefix))
        rows.append(
            {"spec": shown, "kind": KIND_LABELS.get(spec.kind, spec.kind), "view": shown.public_dict()}
        )
    return rows


@instructor_required
@require_http_methods(["GET", "POST"])
def bank_upload(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    """The upload form; a posted file is read and shown as a preview (nothing is saved yet)."""
    course = get_object_or_404(Course, slug=course_slug)
    quizzes = Quiz.objects.filter(course=course).order_by("title")
    context: dict = {"course": course, "quizzes": quizzes, "errors": [], "limits": LIMITS, "labels": LABELS}
    if request.method == "GET":
        return render(request, "quizzes/bank_import.html", context)
    upload = request.FILES.get("file")
    quiz_id = request.POST.get("quiz", "")
    quiz = quizzes.filter(pk=quiz_id).first() if quiz_id.isdigit() else None
    if upload is None:
        context["errors"] = [(0, "Choose a file to upload.")]
        return render(request, "quizzes/bank_import.html", context, status=400)
    largest = max(LIMITS.values())
    if upload.size > largest:
        context["errors"] = [
            (0, f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {largest // 1024 // 1024} MB.")
        ]
        return render(request, "quizzes/bank_import.html", context, status=400)
    data = upload.read()
    file_format = detect_format(upload.name, data)
    context.update(file_name=upload.name, file_format=LABELS[file_format])
    try:
        bank = read_bank(data, file_format)
    except BankError as exc:
        context["errors"] = exc.errors
        return render(request, "quizzes/bank_import.html", context, status=400)
    token = secrets.token_urlsafe(24)
    staged = {
        "user": request.user.pk,
        "course": course.pk,
        "format": file_format,
        "name": upload.name,
        "data": data,
        "files": {sha: (stored.content_type, stored.name) for sha, stored in bank.files.items()},
    }
    cache.set(_staging_key(token), staged, STAGING_SECONDS)
    # Each image on its own, so the preview's images are served without reading the file again.
    cache.set_many(
        {f"{_staging_key(token)}:{sha}": stored.data for sha, stored in bank.files.items()}, STAGING_SECONDS
    )
    counts = sorted((KIND_LABELS.get(kind, kind), count) for kind, count in bank.counts().items())
    context.update(
        token=token,
        quiz=quiz,
        bank=bank,
        counts=counts,
        rows=_preview(bank, course, token),
        warnings=sorted(bank.warnings),
    )
    return render(request, "quizzes/bank_preview.html", context)


@instructor_required
@require_GET
def bank_staged_file(
    request: HtmxHttpRequest, course_slug: str, token: str, sha256: str, name: str
) -> HttpResponse:
    """An image of an upload waiting for confirmation, for its preview (only to the instructor who sent it)."""
    staged = cache.get(_staging_key(token))
    if not staged or staged["user"] != request.user.pk or sha256 not in staged["files"]:
        raise Http404("No such file.")
    content_type, stored_name = staged["files"][sha256]
    data = cache.get(f"{_staging_key(token)}:{sha256}")
    if data is None or stored_name != name:
        raise Http404("No such file.")
    return _image_response(data, content_type, stored_name)


def _image_response(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@instructor_required
@require_POST
def bank_confirm(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    """Import what the preview showed. The staged file is read again and saved all or nothing."""
    course = get_object_or_404(Course, slug=course_slug)
    token = request.POST.get("token", "")
    staged = cache.get(_staging_key(token)) if token else None
    if not staged or staged["user"] != request.user.pk or staged["course"] != course.pk:
        messages.error(request, "That upload has expired or belongs to someone else: upload the file again.")
        return redirect("quizzes:bank_import", course_slug=course.slug)
    quiz_id = request.POST.get("quiz", "")
    quiz = Quiz.objects.filter(course=course, pk=quiz_id).first() if quiz_id.isdigit() else None
    try:
        created = bank_import(
            course=course, bank=read_bank(staged["data"], staged["format"]), quiz=quiz, user=request.user
        )
    except BankError as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("quizzes:bank_import", course_slug=course.slug)
    cache.delete(_staging_key(token))
    where = f" and added them to “{quiz.title}”" if quiz else ""
    messages.success(request, f"Imported {len(created)} question(s) from {staged['name']}{where}.")
    return redirect("quizzes:author_bank", course_slug=course.slug)


def _chosen_questions(request: HttpRequest, course: Course) -> tuple[list[Question], str]:
    quiz_id, tag = request.GET.get("quiz", ""), request.GET.get("tag", "").strip()
    if quiz_id.isdigit():
        quiz = get_object_or_404(Quiz, pk=int(quiz_id), course=course)
        return [item.question for item in quiz.items.select_related("question").order_by("order")], quiz.slug
    everything = list(Question.objects.filter(course=course).order_by("id"))
    if tag:
        return [question for question in everything if tag in question.tags], f"tag-{tag}"
    return everything, f"{course.slug}-bank"


@instructor_required
@require_GET
def moodle_xml_download(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    questions, name = _chosen_questions(request, course)
    response = HttpResponse(export_moodle_xml(questions), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.xml"'
    return response


@instructor_required
@require_GET
def qti_download(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    questions, name = _chosen_questions(request, course)
    response = HttpResponse(export_qti(questions, title=name), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}-qti.zip"'
    return response


@login_required
@require_GET
def question_file(request: HtmxHttpRequest, sha256: str, name: str) -> HttpResponse:
    """An imported image. Only checked raster types are stored; the headers make sure a browser never
    treats the bytes as anything else (no sniffing, no scripts, shown inline under its own name)."""
    stored = QuestionFile.objects.filter(sha256=sha256).first()
    if stored is None or stored.name != name:
        raise Http404("No such file.")
    response = _image_response(bytes(stored.data), stored.content_type, stored.name)
    response["Cache-Control"] = "private, max-age=31536000, immutable"  # the address names the content
    return response
