"""Assignment and Grade Services against the test platform: best scores flow back through Celery, one
line item per (LMS context, item) whatever the number of syncs, refusals recorded and resent, retries."""

import pytest

from labs.models import Submission
from lti import services
from lti.models import Context, GradeSync, LineItem
from quizzes.models import Question
from quizzes.services import attempt_start, attempt_submit
from tests.lti.platform import INSTRUCTOR, LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def graded(user, lab, score: int) -> Submission:
    return Submission.objects.create(
        user=user, lab=lab, files={}, status=Submission.Status.GRADED, score=score, max_score=lab.points
    )


@pytest.fixture
def second_context(lms):
    return lms.add_context(
        "lms-course-2",
        "Cloud 101, evening section (LMS)",
        members=[
            {"user_id": "u-student", "roles": [LEARNER]},
            {"user_id": "u-teacher", "roles": [INSTRUCTOR]},
        ],
    )


def launch_student(lms, browser_factory, lab, context_id="lms-course-1"):
    params = lms.login_params(user="u-student", context_id=context_id, custom={"item": f"lab:{lab.pk}"})
    assert browser_factory().launch(params).status_code == 302
    return Context.objects.get(context_id=context_id).members.get(subject="u-student").user


def test_best_lab_score_reaches_both_lms_courses_with_one_line_item_each(
    tool, lms, lab, second_context, browser_factory, eager_tasks
):
    student = launch_student(lms, browser_factory, lab)
    assert launch_student(lms, browser_factory, lab, "lms-course-2") == student
    for score in (6, 8, 5):
        graded(student, lab, score)
        assert services.scores_changed(student, lab) == 2
    for context_id in ("lms-course-1", "lms-course-2"):
        lms_context = lms.contexts[context_id]
        assert lms_context.lineitem_posts == 1
        [lineitem] = lms_context.lineitems.values()
        assert lineitem["scoreMaximum"] == 10
        assert lineitem["label"] == "Squared number"
        assert lineitem["resourceId"] == f"lab:{lab.pk}"
        [scores] = lms_context.scores.values()
        # the gradebook's rule: the best graded submission, so a worse one later sends 8 again
        assert [s["scoreGiven"] for s in scores] == [6, 8, 8]
        assert {s["userId"] for s in scores} == {"u-student"}
        assert all(s["gradingProgress"] == "FullyGraded" and s["scoreMaximum"] == 10 for s in scores)
    assert LineItem.objects.count() == 2
    assert set(GradeSync.objects.values_list("status", flat=True)) == {GradeSync.Status.SENT}


def test_a_submitted_quiz_attempt_sends_the_best_percent(tool, lms, lab, quiz, browser_factory, eager_tasks):
    student = launch_student(lms, browser_factory, lab)
    memory = Question.objects.get(title="Memory")
    timeout = Question.objects.get(title="Timeout")
    attempt_submit(attempt=attempt_start(user=student, quiz=quiz), responses={memory.pk: "10240"})
    attempt_submit(
        attempt=attempt_start(user=student, quiz=quiz), responses={memory.pk: "10240", timeout.pk: "900"}
    )
    attempt_submit(attempt=attempt_start(user=student, quiz=quiz), responses={})
    [lineitem] = lms.contexts["lms-course-1"].lineitems.values()
    assert (lineitem["label"], lineitem["scoreMaximum"]) == ("Final quiz", 100)
    [scores] = lms.contexts["lms-course-1"].scores.values()
    assert [s["scoreGiven"] for s in scores] == [50, 100, 100]


def test_a_refused_grade_is_recorded_with_the_lms_reason_shown_and_resent(
    tool, lms, lab, browser_factory, eager_tasks
):
    student = launch_student(lms, browser_factory, lab)
    lms.contexts["lms-course-1"].published = False
    graded(student, lab, 7)
    services.scores_changed(student, lab)
    sync = GradeSync.objects.get()
    assert sync.status == GradeSync.Status.REFUSED
    assert sync.lms_message == "HTTP 422: Course is unpublished: grades cannot be posted"
    assert sync.attempts == 1  # a refusal is not retried

    teacher = browser_factory()
    teacher.launch(lms.login_params(user="u-teacher", context_id="lms-course-1"))
    context = Context.objects.get(context_id="lms-course-1")
    page = teacher.get(f"/lti/contexts/{context.pk}/")
    assert "Course is unpublished: grades cannot be posted" in page.text
    assert "Refused by the LMS" in page.text

    lms.contexts["lms-course-1"].published = True
    csrf = teacher.http.cookies["csrftoken"]
    answer = teacher.http.post(
        f"{teacher.tool_url}/lti/contexts/{context.pk}/resend/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{teacher.tool_url}/lti/contexts/{context.pk}/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    sync.refresh_from_db()
    assert sync.status == GradeSync.Status.SENT and sync.lms_message == ""
    [scores] = lms.contexts["lms-course-1"].scores.values()
    assert [s["scoreGiven"] for s in scores] == [7]


def test_a_closed_line_item_is_refused_with_its_reason(tool, lms, lab, browser_factory, eager_tasks):
    student = launch_student(lms, browser_factory, lab)
    graded(student, lab, 4)
    services.scores_changed(student, lab)
    [lineitem] = lms.contexts["lms-course-1"].lineitems.values()
    lineitem["closed"] = True
    graded(student, lab, 9)
    services.scores_changed(student, lab)
    sync = GradeSync.objects.get()
    assert sync.status == GradeSync.Status.REFUSED
    assert sync.lms_message == "HTTP 403: This assignment is closed for grading"


def test_an_unavailable_lms_is_retried_then_the_grade_arrives(tool, lms, lab, browser_factory, eager_tasks):
    student = launch_student(lms, browser_factory, lab)
    lms.fail_scores_with = [503, 429]
    graded(student, lab, 9)
    services.scores_changed(student, lab)
    sync = GradeSync.objects.get()
    assert sync.status == GradeSync.Status.SENT
    [scores] = lms.contexts["lms-course-1"].scores.values()
    assert [s["scoreGiven"] for s in scores] == [9]
    assert lms.contexts["lms-course-1"].lineitem_posts == 1


def test_an_lms_that_stays_down_marks_the_grade_failed(tool, lms, lab, browser_factory, eager_tasks):
    from lti.tasks import MAX_RETRIES, backoff_s

    student = launch_student(lms, browser_factory, lab)
    lms.fail_scores_with = [503] * (MAX_RETRIES + 1)
    graded(student, lab, 9)
    services.scores_changed(student, lab)
    sync = GradeSync.objects.get()
    assert sync.status == GradeSync.Status.FAILED
    assert "HTTP 503" in sync.lms_message
    assert [backoff_s(n) for n in range(4)] == [5, 10, 20, 40]


def test_a_student_not_launched_from_an_lms_sends_nothing(tool, lms, lab, student, eager_tasks):
    graded(student, lab, 9)
    assert services.scores_changed(student, lab) == 0
    assert not GradeSync.objects.exists()


def test_a_line_item_being_created_by_another_worker_is_waited_for_then_a_stale_claim_is_taken_over(
    tool, lms, lab, browser_factory
):
    from datetime import timedelta

    from django.utils import timezone

    from lti import grades, items
    from lti import tool as lti_tool

    launch_student(lms, browser_factory, lab)
    context = Context.objects.get(context_id="lms-course-1")
    item = items.item_of(lab)
    claim = LineItem.objects.create(
        context=context, kind="lab", item_id=lab.pk, url="", label="x", score_maximum=10
    )
    with pytest.raises(grades.TransientLmsError, match="another worker"):
        grades.line_item_ensure(context=context, item=item, connector=lti_tool.service_connector(tool))
    assert lms.contexts["lms-course-1"].lineitem_posts == 0
    LineItem.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    line_item = grades.line_item_ensure(
        context=context, item=item, connector=lti_tool.service_connector(tool)
    )
    assert line_item.pk == claim.pk and line_item.url.endswith("/lineitems/1")
    assert lms.contexts["lms-course-1"].lineitem_posts == 1


@pytest.fixture
def broker_down(project_celery):
    """The Celery broker is a Redis that does not answer (nothing listens on 127.0.0.1:9)."""
    app = project_celery

    def reset_pools():
        # Forget the app's pools (kombu keeps them per URL; closing one would break its later users).
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    reset_pools()
    yield
    app.conf.broker_url = previous
    reset_pools()


def test_a_broker_that_is_down_never_fails_the_students_submit_and_the_sweep_sends_later(
    tool, lms, lab, quiz, browser_factory, broker_down, caplog
):
    from datetime import timedelta

    from django.utils import timezone

    from config.celery_app import app
    from lti import tasks

    student = launch_student(lms, browser_factory, lab)
    memory = Question.objects.get(title="Memory")
    attempt = attempt_submit(attempt=attempt_start(user=student, quiz=quiz), responses={memory.pk: "10240"})
    assert attempt.score == 50  # saved, the student sees their result
    assert "could not enqueue grade sync" in caplog.text
    sync = GradeSync.objects.get()
    assert sync.status == GradeSync.Status.PENDING
    assert tasks.sweep_pending_grades() == 0  # too recent: might still be in flight

    app.conf.task_always_eager = True
    try:
        GradeSync.objects.update(requested_at=timezone.now() - timedelta(minutes=20))
        assert tasks.sweep_pending_grades() == 1
    finally:
        app.conf.task_always_eager = False
    sync.refresh_from_db()
    assert sync.status == GradeSync.Status.SENT
    [scores] = lms.contexts["lms-course-1"].scores.values()
    assert [s["scoreGiven"] for s in scores] == [50]
