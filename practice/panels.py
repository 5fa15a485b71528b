"""The course page's practice section (settings.COURSE_PANELS): practice exams and the spaced-review items
due today."""

from django.template.loader import render_to_string

from .review import review_due_count
from .selectors import exam_pools


def course_practice_panel(request, course) -> str:
    pools = exam_pools(course)
    context = {"course": course, "pools": pools, "due": review_due_count(user=request.user, course=course)}
    return render_to_string("practice/_course_panel.html", context, request=request)
