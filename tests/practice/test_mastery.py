"""Mastery per domain and task statement: the estimate by hand, the evidence a student's exams, checks and lab
checks give, the next best thing to study, and the class distribution for instructors."""

import random

import pytest
from django.urls import reverse

from courses.importing import parse_course_dir
from courses.services import enrollment_create
from labs.models import Lab, Submission
from practice.blueprint import TASKS, question_domain
from practice.mastery import LESSON_TASKS, mastery_from_evidence, next_best, student_mastery
from practice.services import exam_start, exam_submit
from quizzes.models import Question
from quizzes.services import attempt_answer
from tests.helpers import CONTENT_DIR

pytestmark = pytest.mark.django_db


def test_estimate_by_hand():
    tasks = mastery_from_evidence([(("1.1",), 1.0), (("1.1",), 0.0), (("1.1", "2.1"), 1.0)])
    assert tasks["1.1"].estimate == pytest.approx(3 / 5) and tasks["1.1"].evidence == 3
    assert tasks["2.1"].estimate == pytest.approx(2 / 3)
    assert tasks["3.3"].estimate == 0.5 and not tasks["3.3"].known
    # (1 - mastery) x domain weight: an unknown secure task (0.5 x 0.30) beats 1.1 (0.4 x 0.30) and any other.
    assert next_best(tasks).task == "1.2"


def test_student_mastery_from_an_exam_and_a_lab(client, pool, student):
    enrollment_create(user=student, course=pool.course)
    attempt = exam_start(user=student, pool=pool, size=15, rng=random.Random(5))
    questions = Question.objects.in_bulk(attempt.question_ids)
    right_tasks = []
    for question_id in attempt.question_ids:
        question = questions[question_id]
        if question.kind == "single" and question_domain(question.tags)[0] == "cost":
            right = next(c["id"] for c in question.spec["choices"] if c["weight"] > 0)
            attempt_answer(attempt=attempt, question_id=question_id, response=right)
            right_tasks.append(question_domain(question.tags)[1])
    exam_submit(attempt=attempt)
    lesson = pool.course.lessons.get(slug="intro")
    lab = Lab.objects.create(
        slug="ml", title="Mastery lab", points=1, instructions_html="", content_hash="x", lesson=lesson
    )
    Submission.objects.create(
        user=student, lab=lab, files={}, status="graded", verdicts=[{"id": "a", "passed": True}]
    )
    tasks = student_mastery(user=student, course=pool.course)
    assert sum(t.evidence for t in tasks.values()) == 15  # the lab's lesson (intro) maps to no task statement
    cost = tasks["4.2"]  # the test pool tags every cost question with 4.2
    assert cost.evidence == 3 and cost.score_sum == len(right_tasks)
    assert tasks["1.1"].score_sum == 0 and tasks["1.1"].evidence == 4
    client.force_login(student)
    page = client.get(reverse("practice:mastery", args=["demo"])).content.decode()
    assert "How mastery is estimated" in page and "Study next: 1.1" in page


def test_class_distribution_is_for_instructors(client, pool, student, instructor):
    enrollment_create(user=student, course=pool.course)
    attempt = exam_start(user=student, pool=pool, size=15)
    exam_submit(attempt=attempt)
    client.force_login(student)
    assert client.get(reverse("practice:class_mastery", args=["demo"])).status_code == 403
    client.force_login(instructor)
    page = client.get(reverse("practice:class_mastery", args=["demo"])).content.decode()
    assert "1 enrolled student" in page
    row = page.split('id="class-task-11"', 1)[1].split("</tr>", 1)[0]
    assert row.count("<td>1</td>") == 1  # the student is in the lowest fifth for 1.1


def test_every_lesson_of_the_course_teaches_known_task_statements():
    # A lesson missing from LESSON_TASKS would count towards no task statement: its checks would be no evidence.
    lessons = {lesson.slug for lesson in parse_course_dir(CONTENT_DIR / "serverless").lessons}
    assert lessons - {"glossary"} <= set(LESSON_TASKS), sorted(lessons - {"glossary"} - set(LESSON_TASKS))
    assert {task for tasks in LESSON_TASKS.values() for task in tasks} <= set(TASKS)
