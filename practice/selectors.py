"""Reads for practice exams: the pools of a course, a student's exam history, and an exam's result per
domain and task statement with the review of every question."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from labs.models import Lab
from quizzes import questions
from quizzes.models import Attempt, Question, Quiz

from .blueprint import DOMAINS, TASKS, question_domain, scaled_score, tagged
from .content import EXAMS_DIR


def exam_pools(course) -> list[Quiz]:
    return list(Quiz.objects.filter(course=course, source_key__startswith=f"{course.slug}/{EXAMS_DIR}/"))


def exam_history(*, user, pool: Quiz) -> list[dict]:
    """The student's exams on ``pool``, newest first: the attempt, its size and (when submitted) the
    estimated scaled score."""
    rows = []
    for attempt in Attempt.objects.filter(quiz=pool, user=user).order_by("-number"):
        size = len(attempt.question_ids)
        scaled = None if attempt.score is None else scaled_score(attempt.score / 100)
        rows.append({"attempt": attempt, "size": size, "scaled": scaled, "passed": scaled and scaled >= 720})
    return rows


@dataclass
class DomainResult:
    key: str
    number: int
    title: str
    right: int = 0
    total: int = 0

    @property
    def fraction(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def scaled(self) -> int:
        return scaled_score(self.fraction)


@dataclass
class ExamResult:
    attempt: Attempt
    right: int
    total: int
    scaled: int
    passed: bool
    domains: list[DomainResult]
    items: list[dict] = field(default_factory=list)


def _describe(view: dict, response) -> str:
    texts = {choice["id"]: choice["text"] for choice in view.get("choices", [])}
    if isinstance(response, list):
        return "; ".join(texts.get(item, str(item)) for item in response)
    return texts.get(response, "") if response is not None else ""


def exam_result(attempt: Attempt) -> ExamResult:
    """Score per domain and overall (a question is right or wrong: multiple response is all or nothing),
    and per question what was chosen, the right answers, the explanation and where it is taught."""
    by_id = Question.objects.select_related("lesson", "lesson__course").in_bulk(attempt.question_ids)
    saved = {answer.question_id: answer for answer in attempt.answers.all()}
    lab_slugs = {tagged(question.tags, "lab") for question in by_id.values()} - {None}
    labs = {lab.slug: lab for lab in Lab.objects.filter(slug__in=lab_slugs, is_published=True)}
    domains = {domain.key: DomainResult(domain.key, domain.number, domain.title) for domain in DOMAINS}
    items = []
    for number, question_id in enumerate(attempt.question_ids, start=1):
        question = by_id.get(question_id)
        if question is None:
            continue
        answer = saved.get(question_id)
        correct = bool(answer and answer.correct)
        domain_key, task = question_domain(question.tags)
        if domain_key in domains:
            domains[domain_key].total += 1
            domains[domain_key].right += correct
        spec = questions.load_spec(question)
        view = questions.public_view(question, choice_order=attempt.choice_orders.get(str(question_id)))
        items.append(
            {
                "number": number,
                "question": question,
                "view": view,
                "correct": correct,
                "answered": answer is not None,
                "response_text": _describe(view, answer.response if answer else None),
                "solution": spec.solution_text(),
                "explanation": spec.explanation,
                "domain": domains.get(domain_key),
                "task": task,
                "task_title": TASKS.get(task, ("", ""))[1],
                "lesson": question.lesson,
                "lab": labs.get(tagged(question.tags, "lab") or ""),
            }
        )
    right = sum(1 for item in items if item["correct"])
    total = len(items)
    scaled = scaled_score(right / total if total else 0.0)
    return ExamResult(
        attempt=attempt,
        right=right,
        total=total,
        scaled=scaled,
        passed=scaled >= 720,
        domains=[domain for domain in domains.values() if domain.total],
        items=items,
    )


def seconds_left(attempt: Attempt) -> int:
    if attempt.deadline is None:
        return 0
    return max(0, int((attempt.deadline - timezone.now()).total_seconds()))
