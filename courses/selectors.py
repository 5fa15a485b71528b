"""Reads for course pages: outline, progress, neighbours, search."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse

from .models import Course, Lesson, LessonProgress, Module


@dataclass(frozen=True)
class OutlineLesson:
    """A lesson as the outline needs it: plain data, cheap to cache and to render."""

    id: int
    slug: str
    title: str
    minutes: int
    url: str


@dataclass(frozen=True)
class ModuleOutline:
    id: int
    slug: str
    title: str
    lessons: tuple[OutlineLesson, ...]
    completed: int = 0

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass(frozen=True)
class CourseOutline:
    course: Course
    modules: list[ModuleOutline]
    completed_ids: frozenset[int]

    @property
    def lessons(self) -> list[OutlineLesson]:
        return [lesson for item in self.modules for lesson in item.lessons]

    @property
    def total(self) -> int:
        return sum(item.total for item in self.modules)

    @property
    def completed(self) -> int:
        return sum(item.completed for item in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0

    def neighbours(self, lesson_id: int) -> tuple[OutlineLesson | None, OutlineLesson | None]:
        ordered = self.lessons
        index = next(i for i, item in enumerate(ordered) if item.id == lesson_id)
        previous = ordered[index - 1] if index > 0 else None
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        return previous, following

    def first_incomplete(self) -> OutlineLesson | None:
        return next((lesson for lesson in self.lessons if lesson.id not in self.completed_ids), None)


def _course_structure(course: Course) -> tuple[ModuleOutline, ...]:
    """Published modules and lessons in order, cached per course content version (an import that changes
    the course changes the version, so nothing needs invalidating)."""
    key = f"outline:{course.id}:{course.content_version}"
    structure = cache.get(key)
    if structure is not None:
        return structure
    lessons = (
        Lesson.objects.filter(course=course, is_published=True)
        .select_related("module")
        .only(
            "id",
            "slug",
            "title",
            "order",
            "minutes",
            "module__id",
            "module__title",
            "module__slug",
            "module__order",
        )
        .order_by("module__order", "order")
    )
    grouped: dict[int, tuple[Module, list[OutlineLesson]]] = {}
    for lesson in lessons:
        module, items = grouped.setdefault(lesson.module_id, (lesson.module, []))
        items.append(
            OutlineLesson(
                id=lesson.id,
                slug=lesson.slug,
                title=lesson.title,
                minutes=lesson.minutes,
                url=reverse("courses:lesson", args=[course.slug, lesson.slug]),
            )
        )
    structure = tuple(
        ModuleOutline(id=module.id, slug=module.slug, title=module.title, lessons=tuple(items))
        for module, items in grouped.values()
    )
    cache.set(key, structure, timeout=24 * 3600)
    return structure


def course_outline(*, course: Course, user) -> CourseOutline:
    """The course outline with the user's completion: one query on a warm cache."""
    completed: frozenset[int] = frozenset()
    if user.is_authenticated:
        completed = frozenset(
            LessonProgress.objects.filter(user=user, lesson__course=course).values_list(
                "lesson_id", flat=True
            )
        )
    modules = [
        replace(item, completed=sum(lesson.id in completed for lesson in item.lessons))
        for item in _course_structure(course)
    ]
    return CourseOutline(course=course, modules=modules, completed_ids=completed)


@dataclass(frozen=True)
class SearchHit:
    lesson: Lesson
    snippet: str


def _snippet(text: str, query: str, width: int = 160) -> str:
    at = text.lower().find(query.lower())
    if at < 0:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, at - width // 3)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def lesson_search(*, query: str, limit: int = 30) -> list[SearchHit]:
    """Lessons whose title or text contains every word of ``query``; title matches first."""
    words = [word for word in query.split() if word][:8]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word) | Q(search_text__icontains=word)
    lessons = Lesson.objects.filter(condition, is_published=True, course__is_published=True).select_related(
        "course", "module"
    )[: limit * 2]
    phrase = " ".join(words)
    ranked = sorted(
        lessons,
        key=lambda lesson: (
            phrase.lower() not in lesson.title.lower(),
            not any(w.lower() in lesson.title.lower() for w in words),
            lesson.module.order,
            lesson.order,
        ),
    )
    return [
        SearchHit(lesson=lesson, snippet=_snippet(lesson.search_text, words[0])) for lesson in ranked[:limit]
    ]
