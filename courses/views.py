from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.roles import is_instructor
from config.htmx import HtmxHttpRequest

from . import page_cache
from .models import Course, Enrollment, Lesson
from .rendering import render_cached
from .selectors import course_outline, lesson_search
from .services import enrollment_create, enrollment_remember_lesson, lesson_set_complete


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    courses = list(Course.objects.filter(is_published=True).order_by("title"))
    enrolled: set[int] = set()
    if request.user.is_authenticated:
        enrolled = set(Enrollment.objects.filter(user=request.user).values_list("course_id", flat=True))
    return render(request, "courses/home.html", {"courses": courses, "enrolled": enrolled})


def _enrollment(request: HtmxHttpRequest, course: Course) -> Enrollment | None:
    if not request.user.is_authenticated:
        return None
    return Enrollment.objects.filter(user=request.user, course=course).first()


@require_GET
def course_detail(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    outline = course_outline(course=course, user=request.user)
    enrollment = _enrollment(request, course)
    resume = None
    if enrollment:
        last = enrollment.last_lesson
        resume = next((item for item in outline.lessons if last and item.id == last.id), None)
        resume = resume or outline.first_incomplete()
    panels = [import_string(name)(request, course) for name in settings.COURSE_PANELS] if enrollment else []
    return render(
        request,
        "courses/course.html",
        {"course": course, "outline": outline, "enrollment": enrollment, "resume": resume, "panels": panels},
    )


@login_required
@require_POST
def course_enroll(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    enrollment_create(user=request.user, course=course)
    messages.success(request, f"You are enrolled in {course.title}.")
    if request.htmx:
        return HttpResponseClientRedirect(course.get_absolute_url())
    return redirect(course)


def _lesson_panels() -> list:
    """Sections other apps add to the lesson page (the quiz engine's knowledge check), from settings."""
    return [import_string(name) for name in settings.LESSON_PANELS]


def _lesson_for(
    request: HtmxHttpRequest, course_slug: str, lesson_slug: str
) -> tuple[Lesson, Enrollment | None]:
    lesson = get_object_or_404(
        Lesson.objects.select_related("course", "module"),
        course__slug=course_slug,
        slug=lesson_slug,
        is_published=True,
        course__is_published=True,
    )
    return lesson, _enrollment(request, lesson.course)


@login_required
@require_GET
def lesson_detail(request: HtmxHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    # The whole page is cached per student (see page_cache): a warm view costs the session, the user and
    # one cache read, no queries and no template work.
    key = page_cache.page_key(request, course_slug, lesson_slug)
    entry = page_cache.page_get(key)
    if entry is None:
        lesson, enrollment = _lesson_for(request, course_slug, lesson_slug)
        if enrollment is None and not is_instructor(request.user):
            messages.info(request, "Enroll in the course to open its lessons.")
            return redirect(lesson.course)
        outline = course_outline(course=lesson.course, user=request.user)
        previous, following = outline.neighbours(lesson.id)
        html = render_to_string(
            "courses/lesson.html",
            {
                "lesson": lesson,
                "course": lesson.course,
                "outline": outline,
                "rendered": render_cached(lesson.body),
                "previous": previous,
                "next": following,
                "is_complete": lesson.id in outline.completed_ids,
                "panels": [panel(request, lesson) for panel in _lesson_panels()],
            },
            request=request,
        )
        entry = {"html": html, "enrollment_id": enrollment.id if enrollment else None, "lesson_id": lesson.id}
        page_cache.page_set(key, entry)
    if entry["enrollment_id"]:
        enrollment_remember_lesson(
            session=request.session, enrollment_id=entry["enrollment_id"], lesson_id=entry["lesson_id"]
        )
    return HttpResponse(entry["html"])


@login_required
@require_POST
def lesson_complete(request: HtmxHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Toggle completion. With htmx, answer with the button and (out of band) the progress bars."""
    lesson, enrollment = _lesson_for(request, course_slug, lesson_slug)
    if enrollment is None:
        return HttpResponse("Enroll in the course first.", status=403)
    complete = request.POST.get("complete") == "1"
    lesson_set_complete(user=request.user, lesson=lesson, complete=complete)
    if not request.htmx:
        return redirect(lesson)
    outline = course_outline(course=lesson.course, user=request.user)
    return render(
        request,
        "courses/_completion.html",
        {"lesson": lesson, "course": lesson.course, "outline": outline, "is_complete": complete, "oob": True},
    )


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = lesson_search(query=query) if query else []
    template = "courses/_search_results.html" if request.htmx else "courses/search.html"
    return render(request, template, {"query": query, "hits": hits})
