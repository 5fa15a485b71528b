"""Reads for quiz pages that are more than a lookup: the authoring bank, a quiz's items, what a GIFT
download holds, whether students answered a question or a quiz, and a poll's results."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from courses.models import Course

from . import polls, questions
from .models import AttemptAnswer, CheckAnswer, PollResponse, PollSession, Question, Quiz, QuizItem

__all__ = [
    "bank_categories",
    "bank_questions",
    "bank_search",
    "bank_size",
    "bank_quizzes",
    "bank_tags",
    "poll_answers",
    "poll_results",
    "question_has_answers",
    "questions_for_export",
    "questions_outside",
    "quiz_has_answers",
    "quiz_items",
]


def bank_questions(*, course: Course, tag: str = "") -> list[Question]:
    """The course's questions by title, each with ``uses`` (how many quizzes hold it); ``tag`` keeps the
    questions that carry it."""
    found = list(
        Question.objects.filter(course=course)
        .select_related("lesson")
        .annotate(uses=Count("items"))
        .order_by("title")
    )
    return [question for question in found if tag in question.tags] if tag else found


def bank_search(*, course: Course, text: str = "", tag: str = "", category: str = "", kind: str = "") -> list:
    """The course's questions that match every filter given, by title, each with ``uses``: ``text`` in the
    title or the stem (any case), ``kind`` exactly, ``category`` or one of its subcategories (as Moodle's
    "also show questions from subcategories"), ``tag`` among the question's tags. Text, kind and category
    are filtered by the database; the tag in Python, since SQLite cannot look inside a JSON list."""
    found = Question.objects.filter(course=course)
    if text:
        found = found.filter(Q(title__icontains=text) | Q(spec__stem__icontains=text))
    if kind:
        found = found.filter(kind=kind)
    if category:
        found = found.filter(Q(category=category) | Q(category__startswith=f"{category}/"))
    found = found.select_related("lesson").annotate(uses=Count("items")).order_by("title", "id")
    return [question for question in found if tag in question.tags] if tag else list(found)


def bank_size(*, course: Course) -> int:
    return Question.objects.filter(course=course).count()


def bank_categories(*, course: Course) -> list[str]:
    """Every category used by a question of the course, sorted."""
    rows = Question.objects.filter(course=course).exclude(category="").values_list("category", flat=True)
    return sorted(set(rows))


def bank_quizzes(*, course: Course) -> list[Quiz]:
    """The course's quizzes (checks, polls and graded quizzes) with ``size``, their number of questions."""
    return list(Quiz.objects.filter(course=course).annotate(size=Count("items")).order_by("kind", "title"))


def bank_tags(*, course: Course) -> list[str]:
    """Every tag used by a question of the course, sorted."""
    return sorted(
        {
            tag
            for tags in Question.objects.filter(course=course).values_list("tags", flat=True)
            for tag in tags
        }
    )


def quiz_items(*, quiz: Quiz | None) -> list[QuizItem]:
    """The quiz's items in order, with their questions (none for a quiz not yet saved)."""
    return list(quiz.items.select_related("question").order_by("order")) if quiz else []


def questions_outside(*, course: Course, items: list[QuizItem]) -> list[Question]:
    """The course's questions that ``items`` do not hold: what can still be added to the quiz."""
    used = {item.question_id for item in items}
    return list(Question.objects.filter(course=course).exclude(id__in=used).order_by("title"))


def questions_for_export(*, course: Course, quiz: Quiz | None = None, tag: str = "") -> list[Question]:
    """The questions a GIFT download holds: a quiz's in its order, else those with ``tag``, else the whole
    bank (oldest first, so a file exported twice reads the same)."""
    if quiz is not None:
        return [item.question for item in quiz_items(quiz=quiz)]
    bank = list(Question.objects.filter(course=course).order_by("id"))
    return [question for question in bank if tag in question.tags] if tag else bank


def question_has_answers(*, question: Question) -> bool:
    """Whether any student answered it, in a quiz attempt, a knowledge check or a live poll."""
    return (
        AttemptAnswer.objects.filter(question=question).exists()
        or CheckAnswer.objects.filter(question=question).exists()
        or PollResponse.objects.filter(question=question).exists()
    )


def quiz_has_answers(*, quiz: Quiz) -> bool:
    """Whether any student attempted the quiz or answered it as a knowledge check."""
    return quiz.attempts.exists() or quiz.check_answers.exists()


def poll_answers(*, session: PollSession, question: Question | None = None, by: str = "answered_at") -> list:
    """The answers of a poll session (to one question, or to all), with their students, ordered by ``by``."""
    rows = PollResponse.objects.filter(session=session).select_related("user", "guest", "question")
    if question is not None:
        rows = rows.filter(question=question)
    return list(rows.order_by(by))


def poll_results(*, session: PollSession) -> list[dict]:
    """Per question of the session, in the session's order: the question, its public view, the tally and
    every answer (by name, each with ``text``: the answer as a person reads it)."""
    rows = []
    for question in Question.objects.filter(id__in=session.question_ids):
        view = questions.public_view(question)
        choices = {choice["id"]: choice["text"] for choice in view.get("choices") or []}
        answers = sorted(poll_answers(session=session, question=question), key=lambda row: row.name.lower())
        rows.append(
            {
                "question": question,
                "view": view,
                "tally": polls.poll_tally(session=session, question_id=question.id),
                "answers": [
                    {"name": row.name, "text": answer_text(row.response, choices), "correct": row.correct}
                    for row in answers
                ],
            }
        )
    rows.sort(key=lambda row: session.question_ids.index(row["question"].id))
    return rows


def answer_text(response, choices: dict[str, str]) -> str:
    """A stored answer as a person reads it: the texts of the chosen choices (not their ids), a list's items
    and a matching's pairs joined with "; ", anything else as its text."""
    if isinstance(response, dict):
        return "; ".join(f"{left}: {right}" for left, right in response.items())
    items = response if isinstance(response, list) else [response]
    return "; ".join(choices.get(item, str(item)) if isinstance(item, str) else str(item) for item in items)


@dataclass(frozen=True)
class QuestionGroup:
    title: str  # "Module · Lesson", or the category of questions that check no lesson
    questions: list


def poll_question_groups(*, course) -> list[QuestionGroup]:
    """The course's questions for the start-a-poll page, grouped by the lesson they check (in course order),
    then the ones tied to no lesson by category, so an instructor finds a lesson's questions in one place."""
    bank = list(
        Question.objects.filter(course=course)
        .select_related("lesson__module")
        .order_by("lesson__module__order", "lesson__order", "title")
    )
    groups: dict[str, list] = {}
    loose: dict[str, list] = {}
    for question in bank:
        if question.lesson_id:
            groups.setdefault(f"{question.lesson.module.title} · {question.lesson.title}", []).append(
                question
            )
        else:
            loose.setdefault(question.category or "Other questions", []).append(question)
    return [QuestionGroup(title, questions) for title, questions in [*groups.items(), *sorted(loose.items())]]
