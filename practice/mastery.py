"""Mastery per SAA-C03 domain and task statement, from a student's knowledge checks, graded quizzes, practice
exams and lab checks.

How it is computed (also said on the page):

- every question and every lab check is *evidence* for one or more task statements: a practice-exam question
  by its ``task:`` tag; any other question by its own ``task:`` tag or else by the task statements of the
  lesson it checks (``LESSON_TASKS``); a lab check by the task statements of the lab's lesson;
- each piece of evidence counts once, with the student's **latest** result on it: the score (0..1) of the
  latest answer (a question drawn into a submitted attempt and left unanswered scores 0), or pass/fail of the
  check in the latest graded submission of the lab;
- a task statement's mastery is the mean of its evidence with one pass and one fail added as a prior:
  (sum of scores + 1) / (pieces of evidence + 2). With no evidence it is 0.5 and marked unknown; the page also
  shows how many pieces of evidence there are, since two answers say much less than twenty;
- a domain's mastery is the mean over its task statements' evidence in the same way;
- the next best thing to study is the task statement with the largest (1 - mastery) x domain weight, which
  puts weak task statements of heavily weighted domains first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from labs.models import Submission
from quizzes.models import Attempt, AttemptAnswer, CheckAnswer, Question

from .blueprint import DOMAINS, TASKS, question_domain

# Which task statements each lesson of the serverless course teaches (lessons not listed teach none).
LESSON_TASKS: dict[str, tuple[str, ...]] = {
    "what-is-serverless": ("3.2", "4.2"),
    "lambda-fundamentals": ("3.2",),
    "handler-anatomy": ("3.2",),
    "invocation-models": ("2.1", "2.2"),
    "lambda-configuration": ("1.2", "3.2", "4.2"),
    "lifecycle-and-performance": ("2.2", "3.2"),
    "permissions": ("1.1",),
    "api-gateway": ("1.1", "1.2", "3.4"),
    "s3-events": ("1.3", "2.1", "3.1", "4.1"),
    "sqs": ("2.1", "2.2"),
    "sns": ("2.1",),
    "ses": ("2.1",),
    "eventbridge": ("2.1", "3.5"),
    "step-functions": ("2.1", "2.2", "4.2"),
    "dynamodb": ("1.3", "3.3", "4.3"),
    "containers-and-microservices": ("2.1", "3.2"),
    "event-driven-architecture": ("2.1", "3.5"),
    "troubleshooting": ("2.2",),
    "well-architected": ("2.2", "4.2"),
    "api-gateway-in-depth": ("1.2", "2.2", "3.4"),
    "cognito": ("1.1", "1.2"),
    "appsync": ("2.1", "3.4"),
    "event-source-mapping-controls": ("2.1", "2.2"),
    "lambda-vpc-and-rds-proxy": ("1.2", "3.3", "4.4"),
    "lambda-newer-capabilities": ("1.2", "2.2", "3.2"),
    "dynamodb-essentials": ("1.3", "2.2", "3.3", "4.3"),
    "eventbridge-sns-delivery": ("2.1", "2.2"),
    "kinesis-and-firehose": ("3.5",),
    "step-functions-at-scale": ("2.1", "3.2"),
    "cost-optimization": ("4.2",),
    "lambda-durable-functions": ("1.1", "2.1", "2.2", "4.2"),
}
UNKNOWN = 0.5


@dataclass
class TaskMastery:
    task: str
    title: str
    domain: str
    score_sum: float = 0.0
    evidence: int = 0

    @property
    def estimate(self) -> float:
        return (self.score_sum + 1) / (self.evidence + 2)

    @property
    def known(self) -> bool:
        return self.evidence > 0


def tasks_of_question(tags: Iterable[str], lesson_slug: str | None) -> tuple[str, ...]:
    _, task = question_domain(tags)
    if task in TASKS:
        return (task,)
    return LESSON_TASKS.get(lesson_slug or "", ())


def mastery_from_evidence(evidence: Iterable[tuple[tuple[str, ...], float]]) -> dict[str, TaskMastery]:
    """Pure: from (task statements, score 0..1) pairs, one per piece of evidence, the mastery per task."""
    result = {task: TaskMastery(task, title, domain) for task, (domain, title) in TASKS.items()}
    for tasks, score in evidence:
        for task in tasks:
            if task in result:
                result[task].score_sum += score
                result[task].evidence += 1
    return result


def domain_mastery(tasks: dict[str, TaskMastery]) -> list[dict]:
    rows = []
    for domain in DOMAINS:
        own = [tasks[task] for task, _ in domain.tasks]
        total = sum(t.score_sum for t in own)
        count = sum(t.evidence for t in own)
        rows.append(
            {
                "domain": domain,
                "estimate": (total + 1) / (count + 2),
                "evidence": count,
                "tasks": own,
            }
        )
    return rows


def next_best(tasks: dict[str, TaskMastery]) -> TaskMastery:
    weights = {domain.key: domain.weight for domain in DOMAINS}
    return max(tasks.values(), key=lambda t: ((1 - t.estimate) * weights[t.domain], -t.evidence))


def _latest_lab_verdicts(course, user_ids: list[int] | None):
    submissions = Submission.objects.filter(
        lab__lesson__course=course, kind=Submission.Kind.SUBMIT, status=Submission.Status.GRADED
    )
    if user_ids is not None:
        submissions = submissions.filter(user_id__in=user_ids)
    return (
        submissions.annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("user_id"), F("lab_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        .values_list("user_id", "lab__lesson__slug", "lab_id", "verdicts")
    )


def course_evidence(*, course, user_ids: list[int] | None = None) -> dict[int, list]:
    """Per student (all of the course's, or ``user_ids``), their evidence: [(tasks, score)], latest result
    per question and per lab check. Four queries whatever the number of students."""
    latest: dict[tuple[int, int], tuple] = {}  # (user, question) -> (when, score)
    checks = CheckAnswer.objects.filter(quiz__course=course)
    attempts = Attempt.objects.filter(quiz__course=course, submitted_at__isnull=False)
    if user_ids is not None:
        checks, attempts = checks.filter(user_id__in=user_ids), attempts.filter(user_id__in=user_ids)
    for user_id, question_id, score, when in checks.values_list(
        "user_id", "question_id", "score", "answered_at"
    ):
        latest[(user_id, question_id)] = (when, score)
    answered = defaultdict(dict)
    rows = AttemptAnswer.objects.filter(attempt__in=attempts).values_list(
        "attempt_id", "question_id", "score"
    )
    for attempt_id, question_id, score in rows:
        answered[attempt_id][question_id] = score
    for attempt_id, user_id, ids, when in attempts.values_list(
        "id", "user_id", "question_ids", "submitted_at"
    ):
        for question_id in ids:
            key = (user_id, question_id)
            if key not in latest or latest[key][0] < when:
                latest[key] = (when, answered[attempt_id].get(question_id, 0.0))
    question_ids = {question_id for _, question_id in latest}
    question_tasks = {
        question_id: tasks_of_question(tags, lesson_slug)
        for question_id, tags, lesson_slug in Question.objects.filter(id__in=question_ids).values_list(
            "id", "tags", "lesson__slug"
        )
    }
    evidence: dict[int, list] = defaultdict(list)
    for (user_id, question_id), (_, score) in latest.items():
        evidence[user_id].append((question_tasks.get(question_id, ()), score))
    for user_id, lesson_slug, _lab_id, verdicts in _latest_lab_verdicts(course, user_ids):
        tasks = LESSON_TASKS.get(lesson_slug or "", ())
        for verdict in verdicts or []:
            evidence[user_id].append((tasks, 1.0 if verdict.get("passed") else 0.0))
    return evidence


def student_mastery(*, user, course) -> dict[str, TaskMastery]:
    return mastery_from_evidence(course_evidence(course=course, user_ids=[user.id]).get(user.id, []))


def class_distribution(*, course, user_ids: list[int]) -> list[dict]:
    """Per task statement: how many students fall in each fifth of mastery (0-20% ... 80-100%), and how many
    have no evidence yet."""
    evidence = course_evidence(course=course, user_ids=user_ids)
    rows = {
        task: {"task": task, "title": title, "bins": [0] * 5, "unknown": 0}
        for task, (_, title) in TASKS.items()
    }
    for user_id in user_ids:
        for task, mastery in mastery_from_evidence(evidence.get(user_id, [])).items():
            if not mastery.known:
                rows[task]["unknown"] += 1
            else:
                rows[task]["bins"][min(4, int(mastery.estimate * 5))] += 1
    return list(rows.values())


__all__ = [
    "LESSON_TASKS",
    "class_distribution",
    "course_evidence",
    "domain_mastery",
    "mastery_from_evidence",
    "next_best",
    "student_mastery",
]
