"""Practice-exam question pools that ship with course content: ``<course>/exams/<pool-slug>.gift``, imported by
``import_course`` (a ``COURSE_CONTENT_HOOKS`` entry) into a quiz of that slug that is not published as an
ordinary quiz: students meet its questions only through practice exams (practice/services.py).

A pool question is in the SAA-C03 form, checked here so that a bad file stops the import with its name:

- multiple choice: one right answer of four choices;
- multiple response: two or three right answers of five or more, scored all or nothing as AWS does
  (``[scoring:all_or_nothing]``), with "(Choose two.)" or "(Choose three.)" in the stem;
- tagged with its domain and task statement, ``[tag:domain:secure] [tag:task:1.2]``, and optionally the
  lesson and lab that teach it, ``[tag:lesson:permissions] [tag:lab:least-privilege]``;
- an explanation (general feedback), shown on the review page.

Re-importing updates questions in place (matched by file and title); an answered question that changes
starts a new version for item analysis (quizzes/versions.py).
"""

from __future__ import annotations

from pathlib import Path

from courses.importing import ContentError, ImportReport
from courses.models import Course
from quizzes.gift import GiftError, parse_gift
from quizzes.models import Question, Quiz, QuizItem
from quizzes.versions import choice_ids_kept, question_version_bump

from .blueprint import DOMAIN_BY_KEY, TASKS, question_domain, tagged

EXAMS_DIR = "exams"
POOL_PASS_MARK = 72  # percent; the pages show the estimated scaled score against 720 instead
CHOOSE = {2: "(Choose two.)", 3: "(Choose three.)"}


def pool_problems(spec) -> list[str]:
    """Why ``spec`` is not an SAA-C03-style pool question; empty when it is."""
    problems = []
    right = [choice for choice in getattr(spec, "choices", ()) if choice.weight > 0]
    if spec.kind == "single":
        if len(spec.choices) != 4 or len(right) != 1:
            problems.append("multiple choice needs exactly four choices, one of them right")
    elif spec.kind == "multiple":
        if len(spec.choices) < 5 or len(right) not in CHOOSE:
            problems.append("multiple response needs five or more choices, two or three of them right")
        elif CHOOSE[len(right)] not in spec.stem:
            problems.append(f"the stem must say {CHOOSE[len(right)]}")
        if spec.scoring != "all_or_nothing":
            problems.append("multiple response is scored all or nothing: add [scoring:all_or_nothing]")
    else:
        problems.append(
            f"{spec.kind} questions are not in the exam's form (multiple choice or response only)"
        )
    domain, task = question_domain(spec.tags)
    if domain not in DOMAIN_BY_KEY:
        problems.append(
            f"tag it with its domain, one of {', '.join('domain:' + key for key in DOMAIN_BY_KEY)}"
        )
    elif task not in TASKS or TASKS[task][0] != domain:
        tasks = ", ".join(t for t, (d, _) in TASKS.items() if d == domain)
        problems.append(
            f"tag it with a task statement of its domain ({tasks}), e.g. task:{tasks.split(',')[0]}"
        )
    if not spec.explanation.strip():
        problems.append("add an explanation (####...) for the review page")
    return problems


def parse_pools(directory: Path) -> list[tuple[Path, list]]:
    parsed = []
    for path in sorted((directory / EXAMS_DIR).glob("*.gift")):
        try:
            specs = parse_gift(path.read_text(encoding="utf-8"))
        except GiftError as exc:
            raise ContentError(path, f"line {exc.line}: {exc.message}") from exc
        titles = [spec.title for spec in specs]
        duplicates = sorted({title for title in titles if titles.count(title) > 1})
        if duplicates:
            raise ContentError(path, f"duplicate question title(s): {', '.join(duplicates)}")
        for spec in specs:
            problems = pool_problems(spec)
            if problems:
                raise ContentError(path, f"question {spec.title!r}: {'; '.join(problems)}")
        parsed.append((path, specs))
    return parsed


def import_exam_pools(*, course: Course, directory: Path, report: ImportReport) -> None:
    """Content hook for ``courses.importing``: create or update the course's practice-exam pools."""
    lessons = {lesson.slug: lesson for lesson in course.lessons.filter(is_published=True)}
    for path, specs in parse_pools(directory):
        key = f"{course.slug}/{EXAMS_DIR}/{path.name}"
        pool, created = Quiz.objects.get_or_create(
            course=course,
            source_key=key,
            defaults={
                "slug": path.stem,
                "title": f"Practice exam pool: {path.stem}",
                "kind": Quiz.Kind.QUIZ,
                "is_published": False,  # never an ordinary quiz: exams draw from it
                "pass_mark": POOL_PASS_MARK,
            },
        )
        if created:
            report.created.append(f"exam pool {pool.slug}")
        wanted = []
        for spec in specs:
            lesson_slug = tagged(spec.tags, "lesson")
            if lesson_slug and lesson_slug not in lessons:
                raise ContentError(path, f"question {spec.title!r}: no published lesson {lesson_slug!r}")
            values = {
                "kind": spec.kind,
                "title": spec.title,
                "category": spec.category or "",
                "tags": list(spec.tags),
                "spec": spec.to_dict(),
                "lesson": lessons.get(lesson_slug) if lesson_slug else None,
            }
            question = Question.objects.filter(course=course, source_key=f"{key}::{spec.title}").first()
            if question is not None:  # reordered choices keep their ids, so stored answers keep meaning
                values["spec"] = choice_ids_kept(question.spec, values["spec"])
            if question is None:
                question = Question.objects.create(course=course, source_key=f"{key}::{spec.title}", **values)
                report.created.append(f"question {spec.title}")
            elif any(getattr(question, name) != value for name, value in values.items()):
                question_version_bump(question=question, new_spec=values["spec"])
                for name, value in values.items():
                    setattr(question, name, value)
                question.save()
                report.updated.append(f"question {spec.title}")
            wanted.append(question.id)
        current = list(pool.items.order_by("order").values_list("question_id", flat=True))
        if current != wanted:
            pool.items.all().delete()
            QuizItem.objects.bulk_create(
                QuizItem(quiz=pool, question_id=question_id, order=order)
                for order, question_id in enumerate(wanted, 1)
            )
