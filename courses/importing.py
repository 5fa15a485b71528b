"""Import course content from Markdown files with YAML front matter.

Layout: ``<content dir>/<course-slug>/_course.yaml`` describes the course and its modules; every other
``*.md`` file beside it is one lesson. Parsing is pure (``parse_course_dir``) and checks everything
before the database is touched; ``import_course_dir`` then applies the result in one transaction, so
bad content never leaves a half-imported course.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .models import Course, Lesson, Module
from .page_cache import content_generation_forget
from .rendering import plain_text

COURSE_FILE = "_course.yaml"
LESSON_FIELDS = {"title": str, "module": str, "order": int, "minutes": int, "objectives": list}
# Provenance fields a lesson may carry (the AWS pages it relies on, the month its facts were checked).
# Accepted here so new lessons import; the content-facts branch validates and stores them.
OPTIONAL_LESSON_FIELDS = {"sources", "verified"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n---[ \t]*(?:\n|\Z)(?P<body>.*)\Z", re.DOTALL)


class ContentError(Exception):
    """Bad course content. ``path`` is the file at fault, ``problem`` says what is wrong (with the line
    where YAML reports one)."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class LessonSource:
    slug: str
    title: str
    module: str
    order: int
    minutes: int
    objectives: list[str]
    body: str
    content_hash: str
    path: Path


@dataclass(frozen=True)
class CourseSource:
    slug: str
    title: str
    summary: str
    modules: list[tuple[str, str]]  # (slug, title) in order
    lessons: list[LessonSource]
    path: Path


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def change_count(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unpublished)

    @property
    def changed(self) -> bool:
        return self.change_count > 0


def _load_yaml(text: str, path: Path, line_offset: int = 0) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1 + line_offset}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, f"{where}invalid YAML: {problem}") from exc


def parse_lesson(path: Path, module_slugs: set[str]) -> LessonSource:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"not UTF-8 (byte {exc.start})") from exc
    match = FRONT_MATTER.match(text)
    if not match:
        raise ContentError(path, "line 1: missing front matter (the file must start with '---', YAML, '---')")
    meta = _load_yaml(match.group("yaml"), path, line_offset=1)
    if not isinstance(meta, dict):
        raise ContentError(path, "front matter must be a YAML mapping of field: value")
    slug = str(meta.get("slug", path.stem))
    if not SLUG.match(slug):
        raise ContentError(path, f"field 'slug': {slug!r} is not a slug (lowercase letters, digits, hyphens)")
    for name, kind in LESSON_FIELDS.items():
        if name not in meta or meta[name] in (None, ""):
            raise ContentError(path, f"missing required field '{name}'")
        if not isinstance(meta[name], kind) or (kind is int and isinstance(meta[name], bool)):
            raise ContentError(
                path, f"field '{name}' must be {kind.__name__}, got {type(meta[name]).__name__}"
            )
    unknown = set(meta) - set(LESSON_FIELDS) - OPTIONAL_LESSON_FIELDS - {"slug"}
    if unknown:
        raise ContentError(path, f"unknown field(s): {', '.join(sorted(unknown))}")
    if meta["module"] not in module_slugs:
        raise ContentError(
            path,
            f"field 'module': {meta['module']!r} is not a module of this course "
            f"(known: {', '.join(sorted(module_slugs))})",
        )
    if meta["order"] < 1 or meta["minutes"] < 1:
        raise ContentError(path, "fields 'order' and 'minutes' must be positive")
    objectives = meta["objectives"]
    if not objectives or not all(isinstance(item, str) and item.strip() for item in objectives):
        raise ContentError(path, "field 'objectives' must be a non-empty list of strings")
    body = match.group("body").strip()
    if not body:
        raise ContentError(path, "the lesson has no body after the front matter")
    return LessonSource(
        slug=slug,
        title=meta["title"].strip(),
        module=meta["module"],
        order=meta["order"],
        minutes=meta["minutes"],
        objectives=[item.strip() for item in objectives],
        body=body,
        content_hash=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


def parse_course_dir(directory: Path) -> CourseSource:
    """Parse and validate one course folder. Raises ContentError naming the first bad file."""
    course_file = directory / COURSE_FILE
    if not course_file.is_file():
        raise ContentError(course_file, f"missing {COURSE_FILE} (course title and modules)")
    meta = _load_yaml(course_file.read_text(encoding="utf-8"), course_file)
    if not isinstance(meta, dict):
        raise ContentError(course_file, "must be a YAML mapping")
    for name in ("title", "modules"):
        if not meta.get(name):
            raise ContentError(course_file, f"missing required field '{name}'")
    slug = str(meta.get("slug", directory.name))
    if not SLUG.match(slug):
        raise ContentError(course_file, f"field 'slug': {slug!r} is not a slug")
    modules: list[tuple[str, str]] = []
    for index, module in enumerate(meta["modules"]):
        if not isinstance(module, dict) or not module.get("slug") or not module.get("title"):
            raise ContentError(course_file, f"modules[{index}]: needs 'slug' and 'title'")
        modules.append((str(module["slug"]), str(module["title"])))
    module_slugs = {slug for slug, _ in modules}
    if len(module_slugs) != len(modules):
        raise ContentError(course_file, "modules: duplicate module slug")
    lessons = [parse_lesson(path, module_slugs) for path in sorted(directory.glob("*.md"))]
    seen: dict[str, Path] = {}
    positions: dict[tuple[str, int], Path] = {}
    for lesson in lessons:
        if lesson.slug in seen:
            raise ContentError(
                lesson.path, f"duplicate lesson slug {lesson.slug!r} (also in {seen[lesson.slug].name})"
            )
        seen[lesson.slug] = lesson.path
        position = (lesson.module, lesson.order)
        if position in positions:
            raise ContentError(
                lesson.path,
                f"module {lesson.module!r} already has a lesson with order "
                f"{lesson.order} ({positions[position].name})",
            )
        positions[position] = lesson.path
    return CourseSource(
        slug=slug,
        title=str(meta["title"]),
        summary=str(meta.get("summary", "")).strip(),
        modules=modules,
        lessons=lessons,
        path=directory,
    )


def find_course_dirs(path: Path) -> list[Path]:
    """A course folder itself, or a content folder holding course folders."""
    if (path / COURSE_FILE).is_file():
        return [path]
    found = (
        sorted(child for child in path.iterdir() if (child / COURSE_FILE).is_file()) if path.is_dir() else []
    )
    if not found:
        raise ContentError(path, f"no course found (a course folder holds {COURSE_FILE})")
    return found


def _apply(source: CourseSource, report: ImportReport) -> None:
    course, created = Course.objects.get_or_create(
        slug=source.slug, defaults={"title": source.title, "summary": source.summary}
    )
    if created:
        report.created.append(f"course {source.slug}")
    elif (course.title, course.summary, course.is_published) != (source.title, source.summary, True):
        course.title, course.summary, course.is_published = source.title, source.summary, True
        course.save()
        report.updated.append(f"course {source.slug}")

    modules: dict[str, Module] = {module.slug: module for module in course.modules.all()}
    for order, (slug, title) in enumerate(source.modules, start=1):
        module = modules.get(slug)
        if module is None:
            modules[slug] = Module.objects.create(course=course, slug=slug, title=title, order=order)
            report.created.append(f"module {slug}")
        elif (module.title, module.order) != (title, order):
            module.title, module.order = title, order
            module.save()
            report.updated.append(f"module {slug}")

    existing = {lesson.slug: lesson for lesson in course.lessons.all()}
    for item in source.lessons:
        values = {
            "module": modules[item.module],
            "title": item.title,
            "order": item.order,
            "minutes": item.minutes,
            "objectives": item.objectives,
            "body": item.body,
            "search_text": plain_text(item.body),
            "content_hash": item.content_hash,
            "source_path": item.path.name,
            "is_published": True,
        }
        lesson = existing.pop(item.slug, None)
        if lesson is None:
            Lesson.objects.create(course=course, slug=item.slug, **values)
            report.created.append(f"lesson {item.slug}")
        elif any(getattr(lesson, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(lesson, name, value)
            lesson.save()
            report.updated.append(f"lesson {item.slug}")
        else:
            report.unchanged += 1
    # Removed files unpublish their lessons rather than deleting them: students' progress is kept.
    for lesson in existing.values():
        if lesson.is_published:
            lesson.is_published = False
            lesson.save(update_fields=["is_published"])
            report.unpublished.append(f"lesson {lesson.slug}")


def import_course_dir(path: Path) -> ImportReport:
    """Parse every course under ``path`` first, then write them all in one transaction."""
    sources = [parse_course_dir(directory) for directory in find_course_dirs(path)]
    hooks = [import_string(name) for name in getattr(settings, "COURSE_CONTENT_HOOKS", [])]
    report = ImportReport()
    with transaction.atomic():
        for source in sources:
            changes_before = report.change_count
            _apply(source, report)
            course = Course.objects.get(slug=source.slug)
            # Other apps import what they keep beside the lessons (quizzes: checks/*.gift). A hook raises
            # ContentError on bad content, which rolls back the whole import.
            for hook in hooks:
                hook(course=course, directory=source.path, report=report)
            if report.change_count != changes_before:
                # A new content version re-keys every cached outline and lesson page of the course.
                Course.objects.filter(pk=course.pk).update(content_version=uuid.uuid4().hex)
                content_generation_forget()
    return report
