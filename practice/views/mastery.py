"""Mastery per SAA-C03 domain and task statement: a student's own page, and the class's distribution for
instructors (practice/mastery.py says how it is computed)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from courses.models import Course, Enrollment
from labs.models import Lab

from ..mastery import LESSON_TASKS, class_distribution, domain_mastery, next_best, student_mastery
from ..selectors import exam_pools


@login_required
@require_GET
def mastery(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug, is_published=True)
    tasks = student_mastery(user=request.user, course=course)
    best = next_best(tasks)
    lessons = [
        lesson
        for lesson in course.lessons.filter(is_published=True).order_by("module__order", "order")
        if best.task in LESSON_TASKS.get(lesson.slug, ())
    ]
    labs = Lab.objects.filter(lesson__in=lessons, is_published=True).order_by("order")
    return render(
        request,
        "practice/mastery.html",
        {
            "course": course,
            "domains": domain_mastery(tasks),
            "best": best,
            "lessons": lessons,
            "labs": labs,
            "pools": exam_pools(course),
        },
    )


@instructor_required
@require_GET
def class_mastery(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    user_ids = list(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    return render(
        request,
        "practice/class_mastery.html",
        {
            "course": course,
            "students": len(user_ids),
            "rows": class_distribution(course=course, user_ids=user_ids),
        },
    )
