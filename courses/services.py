"""Writes for courses: enrolling, recording where a student is, marking lessons complete."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Course, Enrollment, Lesson, LessonProgress
from .page_cache import content_generation_forget, user_generation_bump


def enrollment_create(*, user, course: Course) -> Enrollment:
    """Enroll ``user`` in ``course``; enrolling twice returns the existing enrollment."""
    enrollment, created = Enrollment.objects.get_or_create(user=user, course=course)
    if created:
        user_generation_bump(user_id=user.id)
    return enrollment


def enrollment_remember_lesson(*, session, enrollment_id: int, lesson_id: int) -> None:
    """Remember the last lesson opened, for "resume where you left off". The session mirrors the stored
    value, so re-reading the same lesson costs no query; the database is written only when it changes."""
    key = f"last_lesson:{enrollment_id}"
    if session.get(key) != lesson_id:
        Enrollment.objects.filter(pk=enrollment_id).update(last_lesson_id=lesson_id)
        session[key] = lesson_id


def lesson_set_complete(*, user, lesson: Lesson, complete: bool, now: datetime | None = None) -> bool:
    """Mark or unmark a lesson complete. Idempotent; returns the new state."""
    if complete:
        try:
            with transaction.atomic():
                LessonProgress.objects.get_or_create(
                    user=user, lesson=lesson, defaults={"completed_at": now or timezone.now()}
                )
        except IntegrityError:
            pass  # a concurrent request (double click) created it first: the outcome is the same
    else:
        LessonProgress.objects.filter(user=user, lesson=lesson).delete()
    user_generation_bump(user_id=user.id)
    return complete


def course_content_changed(*, course_id: int) -> None:
    """Something shown on the course's pages changed outside the content import (an instructor edited a
    knowledge check, say): give the course a new content version so cached outlines and pages are re-keyed."""
    import uuid

    Course.objects.filter(pk=course_id).update(content_version=uuid.uuid4().hex)
    content_generation_forget()
