"""A grade goes to the LMS from a real Celery worker process (Redis broker): the worker asks the test
platform for a token with our signed assertion, makes the line item and posts the score."""

import time

import pytest

from labs.models import Submission
from lti import grades
from lti.models import Context, GradeSync

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_sends_the_best_score(tool, lms, lab, browser_factory, celery_worker_factory):
    start, send = celery_worker_factory
    params = lms.login_params(user="u-student", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    assert browser_factory().launch(params).status_code == 302
    context = Context.objects.get(context_id="lms-course-1")
    student = context.members.get(subject="u-student").user
    Submission.objects.create(user=student, lab=lab, files={}, status="graded", score=9, max_score=10)
    sync = grades.grade_sync_request(context=context, kind="lab", item_id=lab.pk, user=student)
    start()
    send(sync.pk, task="lti.tasks.push_score")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sync.refresh_from_db()
        if sync.status != GradeSync.Status.PENDING:
            break
        time.sleep(0.2)
    assert sync.status == GradeSync.Status.SENT, sync.lms_message
    [scores] = lms.contexts["lms-course-1"].scores.values()
    assert [s["scoreGiven"] for s in scores] == [9]
