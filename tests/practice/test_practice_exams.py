"""Practice exams: the pool's form is checked on import, drawing follows the domain weights and never repeats
a seen question while unseen ones remain, the timer is the server's, an exam resumes, and the review
explains each answer with links to where it is taught."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.importing import ContentError, import_course_dir
from courses.services import enrollment_create
from practice.blueprint import FORMS, domain_quotas, draw_exam, exam_seconds, question_domain, scaled_score
from practice.services import exam_start, exam_submit
from quizzes.models import Attempt, Question
from quizzes.services import QuizError, attempt_answer

pytestmark = pytest.mark.django_db


def domains_of(question_ids):
    tags = dict(Question.objects.filter(id__in=question_ids).values_list("id", "tags"))
    return Counter(question_domain(tags[qid])[0] for qid in question_ids)


def test_quotas_follow_the_domain_weights():
    assert domain_quotas(65) == {"secure": 19, "resilient": 17, "performance": 16, "cost": 13}
    assert domain_quotas(30) == {"secure": 9, "resilient": 8, "performance": 7, "cost": 6}
    assert domain_quotas(15) == {"secure": 4, "resilient": 4, "performance": 4, "cost": 3}
    for size in FORMS:
        assert sum(domain_quotas(size).values()) == size
    assert exam_seconds(65) == 130 * 60 and exam_seconds(15) == 30 * 60


def test_scaled_score_estimate():
    assert scaled_score(0) == 100 and scaled_score(1) == 1000 and scaled_score(0.72) == 720
    assert scaled_score(0.5) < 720 < scaled_score(0.75)


def test_draw_prefers_unseen_questions():
    pool = {
        "secure": list(range(0, 10)),
        "resilient": list(range(10, 20)),
        "performance": list(range(20, 30)),
        "cost": list(range(30, 40)),
    }
    rng = random.Random(1)
    first = draw_exam(pool, set(), 15, rng)
    second = draw_exam(pool, set(first), 15, rng)
    assert len(set(first)) == 15 and not set(first) & set(second)
    # The third exam needs 4 secure questions and only 2 are unseen: both come, then 2 seen ones. Domain
    # proportions hold; within a domain no seen question comes while an unseen one is left.
    seen = set(first) | set(second)
    third = draw_exam(pool, seen, 15, rng)
    assert len(third) == 15
    for ids in pool.values():
        unseen = set(ids) - seen
        taken = set(third) & set(ids)
        if taken & seen:
            assert unseen <= taken


def test_exam_start_draws_by_domain(pool, student):
    attempt = exam_start(user=student, pool=pool, size=15, rng=random.Random(3))
    assert len(attempt.question_ids) == 15
    assert domains_of(attempt.question_ids) == Counter(domain_quotas(15))
    assert attempt.deadline - attempt.started_at == timedelta(minutes=30)


def test_no_repeats_while_unseen_remain(pool, student):
    # 40 questions, 10 per domain: two 15-question exams share nothing; the third repeats only where a
    # domain ran out of unseen questions.
    first = exam_start(user=student, pool=pool, size=15, rng=random.Random(1))
    exam_submit(attempt=first)
    second = exam_start(user=student, pool=pool, size=15, rng=random.Random(2))
    exam_submit(attempt=second)
    assert not set(first.question_ids) & set(second.question_ids)
    third = exam_start(user=student, pool=pool, size=15, rng=random.Random(3))
    seen = set(first.question_ids) | set(second.question_ids)
    assert domains_of(third.question_ids) == Counter(domain_quotas(15))
    tags = dict(Question.objects.filter(quizzes=pool).values_list("id", "tags"))
    for domain in domain_quotas(15):
        ids = {qid for qid, t in tags.items() if question_domain(t)[0] == domain}
        taken = ids & set(third.question_ids)
        if taken & seen:  # a seen question came back only once the domain's unseen ones were all taken
            assert ids - seen <= taken


def test_timer_is_enforced_on_the_server(pool, student):
    t0 = timezone.now()
    attempt = exam_start(user=student, pool=pool, size=15, now=t0)
    first, second = attempt.question_ids[:2]
    right = lambda qid: [c["id"] for c in Question.objects.get(pk=qid).spec["choices"] if c["weight"] > 0]  # noqa: E731
    answer = lambda qid: right(qid) if Question.objects.get(pk=qid).kind == "multiple" else right(qid)[0]  # noqa: E731
    attempt_answer(attempt=attempt, question_id=first, response=answer(first), now=t0 + timedelta(minutes=29))
    with pytest.raises(QuizError, match="Time is up"):
        attempt_answer(
            attempt=attempt, question_id=second, response=answer(second), now=t0 + timedelta(minutes=31)
        )
    # Coming back after the deadline submits the exam with what was saved in time.
    again = exam_start(user=student, pool=pool, size=15, now=t0 + timedelta(minutes=40))
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.submitted_at <= attempt.deadline + timedelta(seconds=5)
    assert attempt.answers.count() == 1 and again.id != attempt.id


def test_resume_and_review_over_http(client, pool, student):
    enrollment_create(user=student, course=pool.course)
    client.force_login(student)
    home = reverse("practice:exam_home", args=["demo", "saa-c03-pool"])
    assert "Start the exam" in client.get(home).content.decode()
    response = client.post(reverse("practice:exam_start", args=["demo", "saa-c03-pool"]), {"size": "15"})
    attempt = Attempt.objects.get(user=student, quiz=pool)
    assert response.url == reverse("practice:exam_take", args=[attempt.id])
    qid = attempt.question_ids[0]
    question = Question.objects.get(pk=qid)
    right = [c["id"] for c in question.spec["choices"] if c["weight"] > 0]
    saved = client.post(
        reverse("quizzes:attempt_answer", args=[attempt.id, qid]),
        {"response": right if question.kind == "multiple" else right[0]},
        HTTP_HX_REQUEST="true",
    )
    assert "Saved" in saved.content.decode()
    # The connection drops; the student comes back: the same exam, its saved answer, where it stopped.
    page = client.get(home).content.decode()
    assert "Resume exam" in page
    client.post(reverse("practice:exam_start", args=["demo", "saa-c03-pool"]), {"size": "30"})
    assert Attempt.objects.filter(user=student, quiz=pool).count() == 1
    take = client.get(reverse("practice:exam_take", args=[attempt.id])).content.decode()
    assert "Resumed: your 1 saved answer" in take and 'href="#question-2"' in take
    assert "Explanation" not in take and "weight" not in take  # nothing of the key before submitting
    client.post(reverse("practice:exam_submit", args=[attempt.id]))
    review = client.get(reverse("practice:exam_review", args=[attempt.id])).content.decode()
    assert "Estimated score" in review and "an estimate, not AWS" in review
    assert "1 of 15 right" in review and review.count("✓ right") == 1
    assert "Explanation" in review and 'href="/courses/demo/intro/"' in review
    assert "Design Secure Architectures" in review


def test_another_students_exam_is_hidden(client, pool, student):
    from accounts.roles import STUDENTS
    from accounts.services import user_create

    attempt = exam_start(user=student, pool=pool, size=15)
    other = user_create(username="other", password="pw-12345678", role=STUDENTS)
    client.force_login(other)
    assert client.get(reverse("practice:exam_take", args=[attempt.id])).status_code == 404
    assert (
        client.get(reverse("practice:exam_home", args=["demo", "saa-c03-pool"])).status_code == 404
    )  # not enrolled


def test_pool_form_is_checked_on_import(content_dir):
    exams = content_dir / "exams"
    exams.mkdir()
    (exams / "bad.gift").write_text(
        "// [tag:domain:secure] [tag:task:1.1]\n::Three choices::Which?{=A ~B ~C####Because.}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="exactly four choices"):
        import_course_dir(content_dir)
    (exams / "bad.gift").write_text(
        "// [tag:domain:secure] [tag:task:3.1]\n::Wrong task::Which?{=A ~B ~C ~D####Because.}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="task statement of its domain"):
        import_course_dir(content_dir)
    (exams / "bad.gift").write_text(
        "// [tag:domain:cost] [tag:task:4.1]\n::No choose::Which two?{~%50%A ~%50%B ~C ~D ~E####Because.}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"\(Choose two.\)"):
        import_course_dir(content_dir)


def test_pool_is_not_an_ordinary_quiz(client, pool, student):
    enrollment_create(user=student, course=pool.course)
    client.force_login(student)
    assert client.get(reverse("quizzes:quiz", args=["demo", "saa-c03-pool"])).status_code == 404
    course_page = client.get(reverse("courses:course", args=["demo"])).content.decode()
    assert reverse("practice:exam_home", args=["demo", "saa-c03-pool"]) in course_page


def test_the_shipped_pool(db):
    """The course's own pool imports, has at least 150 questions in the exam's form, covers every task
    statement, and a full 65-question exam can be drawn from it."""
    from pathlib import Path

    from django.conf import settings

    from practice.blueprint import TASKS
    from practice.services import pool_by_domain
    from quizzes.models import Quiz

    import_course_dir(Path(settings.COURSE_CONTENT_DIR) / "serverless")
    pool = Quiz.objects.get(slug="saa-c03-pool")
    questions = list(Question.objects.filter(quizzes=pool))
    assert len(questions) >= 150
    assert {question_domain(q.tags)[1] for q in questions} == set(TASKS)
    by_domain = pool_by_domain(pool)
    for domain, quota in domain_quotas(65).items():
        assert len(by_domain[domain]) >= 2 * quota  # two full exams without a repeat
    assert all(q.lesson_id for q in questions)
    ids = draw_exam(by_domain, set(), 65, random.Random(0))
    assert domains_of(ids) == Counter(domain_quotas(65))
