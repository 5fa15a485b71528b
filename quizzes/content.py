"""Quizzes that ship with course content: ``<course>/checks/*.gift``, imported by ``import_course``.

- ``checks/<lesson-slug>.gift``: the knowledge check shown on that lesson's page;
- ``checks/polls-*.gift``: a live-poll sequence an instructor can run in class;
- any other ``checks/*.gift``: a graded quiz.

Re-importing updates questions in place (matched by file and question title), so students' answers stay
attached. Errors are raised as ``courses.importing.ContentError`` with the file and GIFT line, inside the
course import's transaction, so a bad file leaves nothing half-imported.
"""

from __future__ import annotations

import re
from pathlib import Path

from courses.importing import ContentError, ImportReport, content_facts, resolve_content_tags
from courses.models import Course, Lesson

from .gift import GiftError, read_gift
from .models import GRADED_QUIZ_ATTEMPTS, Question, Quiz, QuizItem
from .versions import choice_ids_kept, question_version_bump

CHECKS_DIR = "checks"


# Short words in file names that are names, not words: "polls-sa-associate" is about the SA Associate exam.
ACRONYMS = {
    "aws",
    "sa",
    "saa",
    "api",
    "sqs",
    "sns",
    "ses",
    "s3",
    "vpc",
    "rds",
    "iam",
    "sam",
    "cdk",
    "ecs",
    "eks",
}
TITLE_LINE = re.compile(r"^//\s*title:\s*(?P<title>\S.*?)\s*$", re.MULTILINE | re.IGNORECASE)


def declared_title(text: str) -> str:
    """The title a GIFT file gives itself in a comment line ``// title: ...`` (GIFT has no title of its own;
    comments are ignored by Moodle and by our parser), or "" when it gives none."""
    found = TITLE_LINE.search(text)
    return found.group("title") if found else ""


def title_from_stem(stem: str) -> str:
    """'sa-associate' -> 'SA associate': the file name in words, its first letter capitalised, acronyms upper."""
    words = [word.upper() if word in ACRONYMS else word for word in stem.split("-") if word]
    if words and not words[0].isupper():
        words[0] = words[0].capitalize()
    return " ".join(words)


def _quiz_meta(path: Path, lessons: dict[str, Lesson]) -> dict:
    stem = path.stem
    if stem in lessons:
        lesson = lessons[stem]
        return {
            "slug": f"check-{stem}",
            "kind": Quiz.Kind.CHECK,
            "lesson": lesson,
            "title": f"Knowledge check: {lesson.title}",
        }
    kind = Quiz.Kind.POLLS if stem.startswith("polls-") else Quiz.Kind.QUIZ
    title = declared_title(path.read_text(encoding="utf-8")) or title_from_stem(stem.removeprefix("polls-"))
    return {
        "slug": stem,
        "kind": kind,
        "lesson": None,
        "title": f"Live polls: {title}" if kind == Quiz.Kind.POLLS else title,
    }


def parse_checks_dir(directory: Path) -> list[tuple[Path, list]]:
    """Parse every GIFT file of a course; raise ContentError naming the file and line of the first problem."""
    parsed = []
    facts = content_facts(directory)
    for path in sorted((directory / CHECKS_DIR).glob("*.gift")):
        try:
            # Fact tags are replaced before GIFT is parsed: a tag never adds a line, so GIFT lines still match.
            found = read_gift(resolve_content_tags(path.read_text(encoding="utf-8"), facts, path))
        except GiftError as exc:
            raise ContentError(path, f"line {exc.line}: {exc.message}") from exc
        except UnicodeDecodeError as exc:
            raise ContentError(path, f"not UTF-8 (byte {exc.start})") from exc
        if found.warnings:  # our own content says exactly what it shows: what would be lost is an error
            line, message = found.warnings[0]
            raise ContentError(path, f"line {line}: {message}")
        questions = found.questions
        if not questions:
            raise ContentError(path, "no questions in the file")
        titles = [spec.title for spec in questions]
        duplicates = {title for title in titles if titles.count(title) > 1}
        if duplicates:
            raise ContentError(path, f"duplicate question title(s): {', '.join(sorted(duplicates))}")
        parsed.append((path, questions))
    return parsed


def import_course_quizzes(*, course: Course, directory: Path, report: ImportReport) -> None:
    """Content hook for ``courses.importing``: create or update the course's quizzes from its GIFT files."""
    lessons = {lesson.slug: lesson for lesson in course.lessons.filter(is_published=True)}
    for path, specs in parse_checks_dir(directory):
        meta = _quiz_meta(path, lessons)
        quiz_key = f"{course.slug}/{CHECKS_DIR}/{path.name}"
        quiz = Quiz.objects.filter(course=course, source_key=quiz_key).first()
        if quiz is None:
            # a new graded quiz gets the graded defaults once; an instructor's later changes are kept
            graded = {"attempts_allowed": GRADED_QUIZ_ATTEMPTS} if meta["kind"] == Quiz.Kind.QUIZ else {}
            quiz = Quiz.objects.create(course=course, source_key=quiz_key, **meta, **graded)
            report.created.append(f"quiz {quiz.slug}")
        elif any(getattr(quiz, name) != value for name, value in meta.items()):
            for name, value in meta.items():
                setattr(quiz, name, value)
            quiz.save()
            report.updated.append(f"quiz {quiz.slug}")

        wanted: list[Question] = []
        for spec in specs:
            key = f"{quiz_key}::{spec.title}"
            values = {
                "kind": spec.kind,
                "title": spec.title,
                "category": spec.category or "",
                "tags": list(spec.tags),
                "spec": spec.to_dict(),
                "lesson": meta["lesson"],
            }
            question = Question.objects.filter(course=course, source_key=key).first()
            if question is not None:  # reordered choices keep their ids, so stored answers keep meaning
                values["spec"] = choice_ids_kept(question.spec, values["spec"])
            if question is None:
                question = Question.objects.create(course=course, source_key=key, **values)
                report.created.append(f"question {spec.title}")
            elif any(getattr(question, name) != value for name, value in values.items()):
                question_version_bump(question=question, new_spec=values["spec"])
                for name, value in values.items():
                    setattr(question, name, value)
                question.save()
                report.updated.append(f"question {spec.title}")
            wanted.append(question)

        current = list(quiz.items.order_by("order").values_list("question_id", flat=True))
        if current != [question.id for question in wanted]:
            quiz.items.all().delete()
            QuizItem.objects.bulk_create(
                QuizItem(quiz=quiz, question=question, order=order)
                for order, question in enumerate(wanted, 1)
            )
            if current:
                report.updated.append(f"quiz {quiz.slug} questions")
