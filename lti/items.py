"""What an LMS can link to: the course, a lesson, a graded quiz or a lab. Items are named by a short
reference (``lab:12``, ``quiz:3``, ``lesson:40``, ``course:demo``) that travels in deep-linking custom
parameters and in line items' ``resourceId``, so that the same item always maps to the same column.

Scores follow the gradebook's rule (gradebook/selectors.py): a lab's best graded submission, a quiz's best
submitted attempt in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from courses.models import Course, Lesson
from gradebook.selectors import Gradebook
from labs.models import Lab
from quizzes.models import Quiz

GRADED_KINDS = ("lab", "quiz")


class UnknownItem(ValueError):
    """The reference names no published item (carries the reference in the message)."""


@dataclass(frozen=True)
class Item:
    kind: str  # course | lesson | quiz | lab
    obj: object
    course: Course

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.obj.slug if self.kind == 'course' else self.obj.pk}"

    @property
    def title(self) -> str:
        return self.obj.title

    @property
    def graded(self) -> bool:
        return self.kind in GRADED_KINDS

    @property
    def score_maximum(self) -> float | None:
        if self.kind == "lab":
            return float(self.obj.points)
        if self.kind == "quiz":
            return 100.0  # attempts are scored in percent
        return None

    def path(self) -> str:
        if self.kind == "course":
            return reverse("courses:course", args=[self.obj.slug])
        if self.kind == "lesson":
            return reverse("courses:lesson", args=[self.course.slug, self.obj.slug])
        if self.kind == "quiz":
            return reverse("quizzes:quiz", args=[self.course.slug, self.obj.slug])
        return reverse("labs:detail", args=[self.obj.slug])


def item_of(obj) -> Item | None:
    """The Item for a Lab or Quiz instance (None when it belongs to no course)."""
    if isinstance(obj, Lab):
        lesson = obj.lesson
        return Item("lab", obj, lesson.course) if lesson is not None else None
    if isinstance(obj, Quiz):
        return Item("quiz", obj, obj.course) if obj.kind == Quiz.Kind.QUIZ else None
    raise TypeError(f"not a gradable item: {obj!r}")


def resolve(ref: str) -> Item:
    """The published item that ``ref`` names; raises UnknownItem."""
    kind, _, key = (ref or "").partition(":")
    try:
        if kind == "course":
            course = Course.objects.get(slug=key, is_published=True)
            return Item("course", course, course)
        if kind == "lesson":
            lesson = Lesson.objects.select_related("course").get(pk=int(key), is_published=True)
            return Item("lesson", lesson, lesson.course)
        if kind == "quiz":
            quiz = Quiz.objects.select_related("course").get(
                pk=int(key), kind=Quiz.Kind.QUIZ, is_published=True
            )
            return Item("quiz", quiz, quiz.course)
        if kind == "lab":
            lab = Lab.objects.select_related("lesson__course").get(pk=int(key), is_published=True)
            if lab.lesson is None:
                raise UnknownItem(f"lab {lab.slug} belongs to no course")
            return Item("lab", lab, lab.lesson.course)
    except (ValueError, Course.DoesNotExist, Lesson.DoesNotExist, Quiz.DoesNotExist, Lab.DoesNotExist):
        pass
    raise UnknownItem(f"no published item {ref!r}")


def course_items(course: Course) -> list[Item]:
    """Everything in ``course`` that can be linked, in course order: the course, lessons, quizzes, labs."""
    items = [Item("course", course, course)]
    lessons = Lesson.objects.filter(course=course, is_published=True).order_by("module__order", "order")
    items += [Item("lesson", lesson, course) for lesson in lessons]
    quizzes = Quiz.objects.filter(course=course, kind=Quiz.Kind.QUIZ, is_published=True).order_by("title")
    items += [Item("quiz", quiz, course) for quiz in quizzes]
    labs = Lab.objects.filter(lesson__course=course, is_published=True).order_by(
        "lesson__module__order", "lesson__order", "order", "slug"
    )
    items += [Item("lab", lab, course) for lab in labs]
    return items


def best_score(item: Item, user) -> float | None:
    """The student's best score on ``item`` out of ``item.score_maximum`` (None: nothing graded yet)."""
    if item.kind == "lab":
        cell = Gradebook(course=item.course, labs=[item.obj], quizzes=[]).rows([user])[0].labs[0]
        if cell.best is None:
            return None
        scale = item.obj.points / cell.best_max if cell.best_max else 1.0
        return round(cell.best * scale, 4)
    if item.kind == "quiz":
        return Gradebook(course=item.course, labs=[], quizzes=[item.obj]).rows([user])[0].quizzes[0]
    raise UnknownItem(f"{item.ref} is not graded")
