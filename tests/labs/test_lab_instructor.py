"""Instructor pages of the labs: permissions, the live class view (counts, failing checks, scores; full page
and htmx fragment), the submission list and review, and re-grading (one or all,
enqueued on commit, never a new attempt, a failed re-grade keeps the grade)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from labs import jobs, selectors, services
from labs.models import Submission
from tests.labs.helpers import MESSAGE, graded, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Gradings sent to Celery (as the existing tests do: the broker is replaced by a list). A batch's
    fan-out task runs in-process (Celery's eager apply), and ``enqueued.batches`` records each batch."""
    from labs import tasks

    class Sent(list):
        batches: list[list[int]]

    sent = Sent()
    sent.batches = []

    def fan_out(ids):
        sent.batches.append(list(ids))
        tasks.enqueue_gradings.apply(args=[ids], throw=True)

    def send(task, argument):
        if task == services.FAN_OUT_TASK:
            fan_out(argument)
        else:
            sent.append(argument)

    monkeypatch.setattr(jobs, "send", send)
    return sent


# -- permissions --------------------------------------------------------------------------------------------
def _views(lab, submission):
    course = lab.lesson.course.slug
    return [
        ("get", reverse("labs:instructor_live", args=[lab.slug])),
        ("get", reverse("labs:instructor_submissions", args=[lab.slug])),
        ("get", reverse("labs:instructor_submission", args=[lab.slug, submission.pk])),
        ("post", reverse("labs:instructor_regrade", args=[lab.slug, submission.pk])),
        ("post", reverse("labs:instructor_regrade_all", args=[lab.slug])),
        ("get", reverse("gradebook:course", args=[course])),
        ("get", reverse("gradebook:csv", args=[course])),
    ]


def test_every_instructor_view_redirects_anonymous_users_and_refuses_students(
    client, squared, student, instructor, enqueued
):
    submission = graded(student, squared)
    for method, url in _views(squared, submission):
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
    client.force_login(student)
    for method, url in _views(squared, submission):
        assert getattr(client, method)(url).status_code == 403, url
    assert enqueued == []  # a student's POST changed nothing
    submission.refresh_from_db()
    assert submission.status == "graded" and submission.regrade_requested_at is None
    client.force_login(instructor)
    for method, url in _views(squared, submission):
        assert getattr(client, method)(url).status_code in (200, 302), url


def test_regrading_is_post_only_and_needs_csrf(squared, student, instructor, enqueued):
    submission = graded(student, squared)
    urls = [
        reverse("labs:instructor_regrade", args=[squared.slug, submission.pk]),
        reverse("labs:instructor_regrade_all", args=[squared.slug]),
    ]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(instructor)
    for url in urls:
        assert strict.get(url).status_code == 405
        assert strict.post(url).status_code == 403  # no CSRF token
    submission.refresh_from_db()
    assert submission.status == "graded" and enqueued == []


# -- live class view ----------------------------------------------------------------------------------------
@pytest.fixture
def class_work(squared, student):
    """Four students: ann's latest fails returns_square (her older one failed another check), bob fails
    two checks, stu passes everything (and last ran checks that fail), dan waits to be graded."""
    ann, bob, dan = make_student("ann"), make_student("bob"), make_student("dan")
    old = timezone.now() - dt.timedelta(minutes=5)
    graded(ann, squared, failing={"logs_each_request"}, created_at=old)
    graded(ann, squared, failing={"returns_square"})
    graded(bob, squared, failing={"returns_square", "negative_and_decimal_numbers"}, message="bob's own")
    graded(student, squared, created_at=old)
    graded(student, squared, failing={"logs_each_request"}, kind="run")
    Submission.objects.create(
        user=dan, lab=squared, files={"app.py": ""}, status="infra_error", created_at=old
    )
    Submission.objects.create(user=dan, lab=squared, files={"app.py": ""})
    return {"ann": ann, "bob": bob, "dan": dan}


def _by_id(view):
    return {check["id"]: check for check in view["checks"]}


def test_the_live_view_counts_the_class_and_which_checks_fail(squared, class_work):
    view = selectors.lab_class_view(squared)
    counts = view["counts"]
    assert counts["students"] == 4 and counts["submissions"] == 6
    assert (counts["graded"], counts["queued"], counts["running"], counts["in_flight"]) == (4, 1, 0, 1)
    assert counts["infra_errors"] == 1 and counts["students_graded"] == 3
    checks = _by_id(view)
    assert [check["id"] for check in view["checks"]] == [check["id"] for check in squared.checks]
    assert (checks["returns_square"]["failed"], checks["returns_square"]["ran"]) == (2, 3)
    assert checks["returns_square"]["percent"] == 67
    assert checks["returns_square"]["messages"] == [(MESSAGE, 1), ("bob's own", 1)]
    assert checks["logs_each_request"]["failed"] == 0  # ann's older failure and stu's run do not count
    assert checks["negative_and_decimal_numbers"]["failed"] == 1
    assert checks["rejects_missing_number"]["failed"] == 0
    # latest scores: ann 7, bob 5, stu 10 (one bin per point: the lab is out of 10)
    bins = {b["label"]: b["count"] for b in view["bins"]}
    assert len(view["bins"]) == 11 and (bins["5"], bins["7"], bins["10"]) == (1, 1, 1)
    assert sum(bins.values()) == 3 and view["full_marks"] == 1 and view["median_percent"] == 70.0


def test_the_live_view_can_count_check_runs_too(squared, class_work):
    view = selectors.lab_class_view(squared, include_runs=True)
    checks = _by_id(view)
    assert view["counts"]["submissions"] == 7
    # stu's latest is now the run: only visible checks ran, and logging fails
    assert (checks["logs_each_request"]["failed"], checks["logs_each_request"]["ran"]) == (1, 3)
    assert checks["negative_and_decimal_numbers"]["ran"] == 2


def test_the_live_view_costs_a_few_queries_whatever_the_class_size(
    squared, class_work, django_assert_num_queries
):
    with django_assert_num_queries(3):  # the counts, the latest results, the class size
        selectors.lab_class_view(squared)


def test_the_live_view_page_and_its_polled_fragment(teacher_client, squared, class_work, student):
    url = reverse("labs:instructor_live", args=[squared.slug])
    page = teacher_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and "Live class view" in html
    assert 'hx-trigger="every 3s' in html
    fragment = teacher_client.get(url, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body and 'id="live-body"' in body
    assert 'data-check="returns_square">2/3<' in body
    assert "Squares negative and decimal numbers" in body  # instructors see hidden checks' names
    assert "bob&#x27;s own" in body  # failure messages, escaped
    runs = teacher_client.get(url + "?runs=1", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-check="logs_each_request">1/3<' in runs and "?runs=1" in runs  # keeps polling the same view


def test_the_live_view_of_a_lab_nobody_has_submitted(teacher_client, squared):
    body = teacher_client.get(
        reverse("labs:instructor_live", args=[squared.slug]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Nothing graded yet" in body


def test_results_the_lab_no_longer_fits_and_checks_it_no_longer_has(squared, student):
    graded(student, squared, verdicts=[], score=0)  # the files no longer fitted the lab
    old = make_student("ann")
    graded(old, squared, verdicts=[{"id": "old_check", "passed": False, "message": "gone"}])
    view = selectors.lab_class_view(squared)
    assert view["rejected"] == 1
    removed = _by_id(view)["old_check"]
    assert removed["removed"] and (removed["failed"], removed["ran"]) == (1, 1)
    assert view["checks"][-1]["id"] == "old_check"  # after the lab's own checks


def test_verdicts_of_submissions_graded_before_the_field_existed_are_copied(squared, student):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("labs.migrations.0002_instructor_regrade_and_verdicts")
    submission = graded(student, squared, failing={"returns_square"}, message="x" * 400, verdicts=[])
    pending = Submission.objects.create(user=student, lab=squared, files={"app.py": ""})
    migration.copy_verdicts(apps, None)
    submission.refresh_from_db()
    pending.refresh_from_db()
    assert submission.verdicts == services.check_verdicts(submission.result["checks"])
    assert submission.verdicts[0] == {"id": "returns_square", "passed": False, "message": "x" * 300}
    assert pending.verdicts == []


@pytest.mark.parametrize(
    ("scores", "points", "expected"),
    [
        ([(0, 4), (4, 4), (4, 4)], 4, {"0": 1, "4": 2}),
        # results out of a different total (the lab changed) fall back to ten bins of 10%
        ([(5, 10), (3, 6), (100, 100), (0, 0)], 10, {"50–59%": 2, "90–100%": 1, "0–9%": 1}),
        ([(30, 40), (40, 40)], 40, {"70–79%": 1, "90–100%": 1}),
    ],
)
def test_score_bins(scores, points, expected):
    bins = selectors.score_bins(scores, points)
    assert {b["label"]: b["count"] for b in bins if b["count"]} == expected
    assert max(b["percent"] for b in bins) == 100


# -- submissions and their review ---------------------------------------------------------------------------
def test_the_submission_list_filters_by_student_status_and_kind(teacher_client, squared, class_work, student):
    url = reverse("labs:instructor_submissions", args=[squared.slug])
    everything = teacher_client.get(url).content.decode()
    assert everything.count('<tr class="status-') == 7
    ann = teacher_client.get(url, {"student": "ann"}).content.decode()
    assert ann.count('<tr class="status-') == 2 and ">bob<" not in ann
    queued = teacher_client.get(url, {"status": "queued"}).content.decode()
    assert queued.count('<tr class="status-queued') == 1 and queued.count('<tr class="status-') == 1
    runs = teacher_client.get(url, {"kind": "run"}).content.decode()
    assert runs.count('<tr class="status-') == 1
    nobody = teacher_client.get(url, {"student": "nobody"})
    assert nobody.status_code == 400 and "No user is called “nobody”" in nobody.content.decode()
    bad = teacher_client.get(url, {"status": "done"})
    assert bad.status_code == 400 and "done is not one of the available choices" in bad.content.decode()


def test_the_submission_list_says_which_latest_submissions_are_graded_against_an_older_lab(
    teacher_client, squared, class_work
):
    Submission.objects.filter(user=class_work["bob"]).update(lab_hash="an-older-version")
    html = teacher_client.get(reverse("labs:instructor_submissions", args=[squared.slug])).content.decode()
    assert "Latest submissions: 4 students." in html
    assert "1 was graded against an older version of the lab." in html and "1 waiting to be graded." in html
    assert html.count(">older lab</span>") == 1


def test_the_submission_list_pages_keep_the_filters(teacher_client, squared, student, monkeypatch):
    from labs.views import review as instructor_views

    monkeypatch.setattr(instructor_views, "SUBMISSIONS_PAGE", 2)
    for _ in range(5):
        graded(student, squared)
    url = reverse("labs:instructor_submissions", args=[squared.slug])
    second = teacher_client.get(url, {"student": "stu", "page": 2}).content.decode()
    assert second.count('<tr class="status-') == 2 and "Page 2 of 3" in second
    assert 'href="?student=stu&amp;page=3"' in second and 'href="?student=stu&amp;page=1"' in second


def test_the_submission_table_polls_only_while_something_is_pending(teacher_client, squared, class_work):
    url = reverse("labs:instructor_submissions", args=[squared.slug])
    waiting = teacher_client.get(url, HTTP_HX_REQUEST="true")
    assert waiting.status_code == 200 and "<html" not in waiting.content.decode()
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    done = teacher_client.get(url, {"status": "graded"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in done.content.decode()


def test_an_instructor_sees_any_students_full_result(teacher_client, squared, student, enqueued):
    from tests.labs.test_lab_submissions import solution

    submission = services.submission_create(user=student, lab=squared, files={"app.py": solution(squared)})
    services.submission_grade(submission_id=submission.pk)
    response = teacher_client.get(reverse("labs:instructor_submission", args=[squared.slug, submission.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "10/10" in html
    assert "Squares negative and decimal numbers" in html and "hidden from students" in html
    assert "squaring -4" in html  # a hidden check's logs
    assert "Event trace" in html and '<span class="nf">lambda_handler</span>' in html  # trace and files
    assert "Re-grade this submission" in html


# -- re-grading ---------------------------------------------------------------------------------------------
def test_regrading_one_submission_keeps_the_row_and_enqueues_on_commit(
    squared, student, enqueued, django_capture_on_commit_callbacks
):
    submitted_at = timezone.now() - dt.timedelta(hours=3)
    submission = graded(student, squared, failing={"returns_square"}, created_at=submitted_at)
    files = dict(submission.files)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.submission_regrade(submission=submission)
        assert enqueued == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [submission.pk]
    assert Submission.objects.count() == 1  # no new attempt
    submission.refresh_from_db()
    assert submission.status == "queued" and submission.regrade_requested_at is not None
    assert submission.files == files and submission.created_at == submitted_at
    assert submission.score == 7  # the previous grade stands until the new one arrives
    with pytest.raises(services.RegradeRefused, match="already queued"):
        services.submission_regrade(submission=submission)
    # the re-grade is not the student's: it does not use up their in-flight limit
    for _ in range(services.MAX_IN_FLIGHT):
        services.submission_create(user=student, lab=squared, files={"app.py": ""})


def test_a_regrade_is_graded_for_real_and_remembers_the_previous_score(squared, student, enqueued):
    from tests.labs.test_lab_submissions import solution

    submission = graded(student, squared, failing={"returns_square"}, files={"app.py": solution(squared)})
    services.submission_regrade(submission=submission)
    regraded = services.submission_grade(submission_id=submission.pk)
    assert (regraded.status, regraded.score, regraded.kind) == ("graded", 10, "submit")
    assert regraded.result["regrade"]["previous_score"] == 7
    assert regraded.result["regrade"]["previous_max_score"] == 10
    assert regraded.verdicts == services.check_verdicts(regraded.result["checks"])
    assert all(verdict["passed"] for verdict in regraded.verdicts) and len(regraded.verdicts) == 5


def test_a_failed_regrade_keeps_the_previous_grade(squared, student, enqueued):
    submission = graded(student, squared, failing={"returns_square"})
    result = submission.result
    services.submission_regrade(submission=submission)
    services.submission_fail(submission_id=submission.pk, reason="the sandbox could not start")
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.result) == ("graded", 7, result)
    assert submission.error == "Re-grading failed: the sandbox could not start"
    never_graded = Submission.objects.create(
        user=student, lab=squared, files={"app.py": ""}, status="infra_error"
    )
    services.submission_regrade(submission=never_graded)
    services.submission_fail(submission_id=never_graded.pk, reason="again")
    never_graded.refresh_from_db()
    assert never_graded.status == "infra_error"


def test_a_regrade_waits_behind_what_was_queued_before_it(squared, student, enqueued):
    old = graded(student, squared, created_at=timezone.now() - dt.timedelta(days=1))
    newer = services.submission_create(user=make_student("ann"), lab=squared, files={"app.py": ""})
    services.submission_regrade(submission=old)
    old.refresh_from_db()
    assert selectors.queue_estimate(old)["position"] == 2
    assert selectors.queue_estimate(newer)["position"] == 1


def test_the_sweep_measures_a_regrade_from_when_it_was_asked_for(squared, student, enqueued):
    long_ago = timezone.now() - dt.timedelta(days=2)
    fresh = graded(student, squared, created_at=long_ago)
    services.submission_regrade(submission=fresh)
    stale = graded(make_student("ann"), squared, created_at=long_ago)
    services.submission_regrade(submission=stale, now=timezone.now() - dt.timedelta(minutes=10))
    enqueued.clear()
    assert services.submission_sweep() == [stale.pk]


def test_regrade_all_takes_each_students_latest_submission(
    squared, class_work, student, enqueued, django_capture_on_commit_callbacks
):
    ann_latest = (
        Submission.objects.filter(user=class_work["ann"], kind="submit").order_by("-created_at").first()
    )
    bob_latest = Submission.objects.get(user=class_work["bob"])
    stu_latest = Submission.objects.get(user=student, kind="submit")
    before = Submission.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = services.lab_regrade_all(lab=squared)
        assert enqueued == []  # nothing is sent before the rows are committed
    # dan's latest is already waiting, so it is skipped; the run of stu and ann's older one are left alone
    assert queued == sorted([ann_latest.pk, bob_latest.pk, stu_latest.pk]) and skipped == 1
    assert sorted(enqueued) == queued and enqueued.batches == [queued]  # one message for the batch
    assert Submission.objects.count() == before
    stamps = set(Submission.objects.filter(pk__in=queued).values_list("regrade_requested_at", flat=True))
    assert len(stamps) == 1 and None not in stamps  # one batch
    assert Submission.objects.filter(status="queued").count() == 4


def test_a_large_regrade_goes_to_the_workers_in_chunks(
    squared, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "REGRADE_CHUNK", 2)
    latest = [graded(make_student(f"s{index}"), squared).pk for index in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = services.lab_regrade_all(lab=squared)
    assert queued == sorted(latest) and skipped == 0
    assert enqueued.batches == [queued[0:2], queued[2:4], queued[4:]]
    assert enqueued == queued
    assert set(Submission.objects.values_list("status", flat=True)) == {"queued"}


def test_regrade_views_say_what_was_enqueued(
    teacher_client, squared, class_work, student, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = teacher_client.post(
            reverse("labs:instructor_regrade_all", args=[squared.slug]), follow=True
        )
    html = response.content.decode()
    assert "Queued 3 submissions for re-grading" in html and "1 student skipped" in html
    assert "Showing the submissions queued for re-grading" in html
    assert 'value="regraded' not in html  # the filters do not leak into the site's search box
    assert html.count('<tr class="status-queued') == 3 and 'hx-trigger="every 2s"' in html
    assert len(enqueued) == 3
    again = teacher_client.post(reverse("labs:instructor_regrade_all", args=[squared.slug]), follow=True)
    assert "Nothing to re-grade." in again.content.decode()
    run = Submission.objects.get(user=student, kind="run")
    one = teacher_client.post(
        reverse("labs:instructor_regrade", args=[squared.slug, run.pk]), {"next": "https://evil.example/"}
    )
    assert one["Location"] == reverse("labs:instructor_submission", args=[squared.slug, run.pk])
    page = teacher_client.get(one["Location"]).content.decode()
    assert f"Re-grading submission {run.pk} by stu (it had 5/6)" in page
    refused = teacher_client.post(
        reverse("labs:instructor_regrade", args=[squared.slug, run.pk]), follow=True
    )
    assert "is already queued" in refused.content.decode()


# -- links --------------------------------------------------------------------------------------------------
def test_instructors_find_these_pages_from_where_they_already_go(client, squared, student, instructor):
    live = reverse("labs:instructor_live", args=[squared.slug])
    gradebook = reverse("gradebook:course", args=[squared.lesson.course.slug])
    client.force_login(instructor)
    assert live in client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert live in client.get(reverse("labs:list")).content.decode()
    assert gradebook in client.get(reverse("quizzes:author_home")).content.decode()
    client.force_login(student)
    assert live not in client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert live not in client.get(reverse("labs:list")).content.decode()
