"""The sqs-max-concurrency lab: a SAM template whose SQS mapping must cap the burst with maximum concurrency
instead of reserved concurrency alone (graded on the runtime's behaviour: DLQ, throttle records, overlap of
invocations), and a hidden poison job that must still reach the DLQ."""

import pytest

from labs.grading import CATALOG_DIR, grade, load_lab


@pytest.fixture(scope="module")
def lab():
    return load_lab(CATALOG_DIR / "sqs-max-concurrency")


def failed(report) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def with_template(lab, *changes: tuple[str, str]) -> dict[str, str]:
    template = lab.solution["template.yaml"]
    for old, new in changes:
        assert old in template, old
        template = template.replace(old, new)
    return {**lab.solution, "template.yaml": template}


def test_the_lab_belongs_to_the_event_source_mapping_lesson(lab):
    assert (lab.course, lab.lesson) == ("serverless", "event-source-mapping-controls")
    assert lab.visibility["poison_job_reaches_the_dlq"] == "hidden"
    assert "from 2 to\n  1,000" in lab.instructions or "from 2 to 1,000" in " ".join(lab.instructions.split())


def test_the_solution_scores_full_with_no_throttle_and_the_poller_waiting(lab):
    report = grade(lab, lab.solution)
    assert failed(report) == {} and report["score"] == report["max_score"] == 10
    kinds = {entry["kind"] for entry in report["trace"]}
    assert "throttle" not in kinds and "sqs_poller_at_maximum_concurrency" in kinds


def test_the_starter_loses_jobs_to_throttles_and_says_why(lab):
    messages = failed(grade(lab, lab.starter))
    assert set(messages) == {"every_job_reported_once", "no_batch_throttled"}
    assert "ended in JobsDlq without a report" in messages["every_job_reported_once"]
    assert "ReservedFunctionConcurrentInvocationLimitExceeded" in messages["no_batch_throttled"]


def test_raising_max_receive_count_hides_the_dlq_but_not_the_throttles(lab):
    files = with_template(
        lab,
        ("            ScalingConfig:\n              MaximumConcurrency: 3\n", ""),
        ("maxReceiveCount: 5", "maxReceiveCount: 100"),
    )
    assert set(failed(grade(lab, files, visible_only=True))) == {"no_batch_throttled"}


def test_without_any_cap_the_partner_is_overloaded(lab):
    files = with_template(
        lab,
        ("            ScalingConfig:\n              MaximumConcurrency: 3\n", ""),
        ("      ReservedConcurrentExecutions: 3\n", ""),
    )
    messages = failed(grade(lab, files, visible_only=True))
    assert set(messages) == {"partner_never_overloaded"}
    assert (
        "invocations ran at once during the burst; the partner API takes 3"
        in messages["partner_never_overloaded"]
    )


def test_a_maximum_concurrency_above_reserved_concurrency_still_throttles(lab):
    files = with_template(lab, ("ReservedConcurrentExecutions: 3", "ReservedConcurrentExecutions: 2"))
    assert "no_batch_throttled" in failed(grade(lab, files, visible_only=True))


def test_an_out_of_range_maximum_concurrency_cannot_be_deployed(lab):
    files = with_template(lab, ("MaximumConcurrency: 3", "MaximumConcurrency: 1"))
    messages = failed(grade(lab, files, visible_only=True))
    assert set(messages) == {"every_job_reported_once", "no_batch_throttled", "partner_never_overloaded"}
    assert "template.yaml cannot be deployed" in messages["no_batch_throttled"]


def test_the_hidden_case_catches_a_queue_without_a_dead_letter_queue(lab):
    files = with_template(
        lab,
        (
            "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt JobsDlq.Arn\n        maxReceiveCount: 5\n",
            "",
        ),
    )
    visible = grade(lab, files, visible_only=True)
    assert visible["score"] == visible["max_score"]
    messages = failed(grade(lab, files))
    assert set(messages) == {"poison_job_reaches_the_dlq"}
    assert "an hour later it was still not in JobsDlq" in messages["poison_job_reaches_the_dlq"]
