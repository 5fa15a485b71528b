"""The event-driven labs (issue 7, section 2): S3 upload metadata, an SQS batch consumer, asynchronous
retries with an on-failure destination, and throttling. For each: the reference solution scores full marks
quickly, the starter fails exactly the checks it should with the messages a student needs, and a submission
that only satisfies what the student has seen loses the hidden check. Typical wrong designs get the message
that points at their mistake."""

import json
from pathlib import Path

import pytest

from courses.facts import fact
from labs.grading import grade, load_catalog

LABS = {lab.slug: lab for lab in load_catalog()}
EVENT_LABS = ["s3-metadata", "sqs-batch", "async-retries", "throttling"]
LESSONS = Path(__file__).resolve().parents[2] / "courses" / "content" / "serverless"


def failures(report: dict) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def with_changes(slug: str, base: str = "solution", **replacements: tuple[str, str] | str) -> dict[str, str]:
    """The lab's solution (or starter) with ``file=(old, new)`` text replacements or ``file=new_text``."""
    lab = LABS[slug]
    files = dict(lab.solution if base == "solution" else lab.starter)
    for name, change in replacements.items():
        name = name.replace("__", ".")
        if isinstance(change, str):
            files[name] = change
        else:
            old, new = change
            assert old in files[name], f"{old!r} is not in {slug}/{base}/{name}"
            files[name] = files[name].replace(old, new)
    return files


@pytest.mark.parametrize("slug", EVENT_LABS)
def test_each_lab_belongs_to_an_existing_lesson_and_uses_every_visibility(slug):
    lab = LABS[slug]
    assert (LESSONS / f"{lab.lesson}.md").exists()
    assert set(lab.visibility.values()) == {"visible", "after_deadline", "hidden"}
    assert len(lab.instructions) > 1500 and "## How it is graded" in lab.instructions


@pytest.mark.parametrize("slug", EVENT_LABS)
def test_the_solution_scores_full_marks_within_a_few_seconds(slug):
    report = grade(LABS[slug], LABS[slug].solution)
    assert failures(report) == {}
    assert report["score"] == report["max_score"] == LABS[slug].points
    assert report["grading_ms"] < 15000  # about 2-4 s on an idle machine; generous for a loaded CI runner


STARTER_FAILURES = {
    "s3-metadata": {
        "decodes_spaces": "the event carried it as 'photos/summer+party+2026.jpg'",
        "processes_every_record": "Loop over event['Records']",
        "ignores_redelivery": "the late copy overwrote newer data",
        "decodes_special_characters": "'notes/c%2B%2B+tips.md'",
        "keeps_the_newest_version": "left-pad them with zeros",
        "decodes_unseen_keys": "No item for the object key",
    },
    "sqs-batch": {
        "reports_only_failed_messages": "the whole batch goes back to the queue",
        "poison_reaches_the_dlq": "catch the error per message",
        "rejects_every_kind_of_poison": "JSONDecodeError",
        "unseen_batches": "invocations failed",
    },
    "async-retries": {
        "retry_settings": "MaximumRetryAttempts is 2",
        "failure_record_at_destination": "sets no OnFailure destination",
        "retries_on_schedule": "at [0, 60, 180] seconds",
        "charges_once_when_retried": "charged 2 times: the retry charged it again",
        "duplicate_deliveries": "charged 2 times",
        "refuses_invalid_boundaries": "an empty payment_id cannot key a charge",
    },
    "throttling": {
        "no_order_lost_in_maintenance": "TooManyRequestsException",
        "queue_settings_follow_aws_advice": "VisibilityTimeout is 30 s",
        "poison_order_reaches_the_dlq": "never reached orders-dlq",
        "longest_maintenance_window": "Lambda does not retry a synchronous call that was throttled",
    },
}


@pytest.mark.parametrize("slug", EVENT_LABS)
def test_the_starter_fails_the_right_checks_and_says_what_to_fix(slug):
    report = grade(LABS[slug], LABS[slug].starter)
    failed = failures(report)
    assert set(failed) == set(STARTER_FAILURES[slug])
    for check_id, phrase in STARTER_FAILURES[slug].items():
        assert phrase in failed[check_id], (check_id, failed[check_id])
    assert report["score"] < report["max_score"]


# -- submissions that pass what the student has seen, and fail the hidden check --------------------------------
S3_LOOKUP_TABLE_DECODER = (
    'key = urllib.parse.unquote_plus(s3_object["key"])',
    'key = s3_object["key"]\n'
    '        for encoded, plain in (("+", " "), ("%2B", "+"), ("%3D", "="), ("%C3%A9", "é"), ("%C3%A8", "è")):\n'
    "            key = key.replace(encoded, plain)",
)
SEEN_ONLY = {
    # decodes only the characters of the examples it was shown
    "s3-metadata": with_changes("s3-metadata", app__py=S3_LOOKUP_TABLE_DECODER),
    # forgets that True is an int in Python: an order with "quantity": true is saved
    "sqs-batch": with_changes(
        "sqs-batch",
        app__py=(
            "return isinstance(value, int) and not isinstance(value, bool)",
            "return isinstance(value, int)",
        ),
    ),
    # idempotent per request id: Lambda's retries reuse it, but a second delivery of the payment gets a new one
    "async-retries": with_changes(
        "async-retries", app__py=('charge_id = f"charge-{payment_id}"', "charge_id = context.aws_request_id")
    ),
    # follows AWS's minimum advice (5 receives of 180 s: 15 minutes) without working out the longest window
    "throttling": with_changes("throttling", design__json=('"maxReceiveCount": 12', '"maxReceiveCount": 5')),
}
HIDDEN_CHECK = {
    "s3-metadata": "decodes_unseen_keys",
    "sqs-batch": "unseen_batches",
    "async-retries": "duplicate_deliveries",
    "throttling": "longest_maintenance_window",
}


@pytest.mark.parametrize("slug", EVENT_LABS)
def test_hidden_checks_catch_a_submission_that_only_handles_what_it_has_seen(slug):
    lab = LABS[slug]
    visible = grade(lab, SEEN_ONLY[slug], visible_only=True)
    assert visible["score"] == visible["max_score"] > 0
    full = grade(lab, SEEN_ONLY[slug])
    assert set(failures(full)) == {HIDDEN_CHECK[slug]}
    assert lab.visibility[HIDDEN_CHECK[slug]] == "hidden"


# -- typical mistakes, and what the student is told --------------------------------------------------------------
def test_s3_a_duplicate_that_raises_is_reported_as_a_failed_delivery():
    files = with_changes(
        "s3-metadata",
        app__py=(
            '            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":\n',
            "            if True:\n",
        ),
    )
    failed = failures(grade(LABS["s3-metadata"], files, visible_only=True))
    assert set(failed) == {"ignores_redelivery"}
    assert "ConditionalCheckFailedException" in failed["ignores_redelivery"]
    assert "makes Lambda retry the whole event" in failed["ignores_redelivery"]


def test_s3_insert_once_keeps_the_first_version_and_is_told_newer_events_must_replace_it():
    files = with_changes(
        "s3-metadata",
        app__py=(
            '"attribute_not_exists(sequencer) OR sequencer < :sequencer"',
            '"attribute_not_exists(sequencer)"',
        ),
    )
    files["app.py"] = files["app.py"].replace(
        '                ExpressionAttributeValues={":sequencer": sequencer},\n', ""
    )
    failed = failures(grade(LABS["s3-metadata"], files, visible_only=True))
    assert "a newer event (greater sequencer) must replace the stored item" in failed["ignores_redelivery"]


@pytest.mark.parametrize(
    ("loop_change", "says"),
    [
        # returns at the first failure: the rest of the batch counts as processed and is lost
        (
            (
                '            failures.append({"itemIdentifier": record["messageId"]})\n',
                '            failures.append({"itemIdentifier": record["messageId"]})\n            break\n',
            ),
            "is not in the orders table",
        ),
        # reports the whole batch as failed whenever one message fails
        (
            (
                '            failures.append({"itemIdentifier": record["messageId"]})\n',
                '            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}\n',
            ),
            "your function listed it in batchItemFailures",
        ),
        # reports the receipt handle instead of the message id: a malformed report fails the whole batch
        (
            ('{"itemIdentifier": record["messageId"]}', '{"itemIdentifier": record["receiptHandle"]}'),
            f"was received {fact('sqs.lambda_max_receive_count_min')} times",
        ),
    ],
)
def test_sqs_batch_mistakes_get_the_message_that_explains_them(loop_change, says):
    failed = failures(
        grade(LABS["sqs-batch"], with_changes("sqs-batch", app__py=loop_change), visible_only=True)
    )
    assert "reports_only_failed_messages" in failed
    assert says in failed["reports_only_failed_messages"]


def test_async_a_role_that_may_not_send_loses_the_record_and_is_told_which_action_is_missing():
    lab = LABS["async-retries"]
    files = with_changes("async-retries", policy__json=lab.starter["policy.json"])
    failed = failures(grade(lab, files, visible_only=True))
    assert set(failed) == {"failure_record_at_destination"}
    assert "AccessDenied" in failed["failure_record_at_destination"]
    assert "sqs:SendMessage" in failed["failure_record_at_destination"]


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {"MaximumRetryAttempts": 5},
            "Value '5' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
        ),
        ({"MaximumEventAgeInSeconds": 30}, "greater than or equal to 60"),
        ({"MaxRetries": 1}, "unknown field 'MaxRetries'"),
        ({"DestinationConfig": {"OnFailure": {"Destination": "payment-failures"}}}, "must be an ARN"),
    ],
)
def test_async_an_invalid_config_fails_every_check_with_a_clear_message(config, says):
    lab = LABS["async-retries"]
    report = grade(lab, with_changes("async-retries", config__json=json.dumps(config)), visible_only=True)
    assert report["score"] == 0
    assert all(says in check["message"] and "config.json" in check["message"] for check in report["checks"])


def test_async_a_config_that_is_not_json_names_the_line():
    report = grade(
        LABS["async-retries"],
        with_changes("async-retries", config__json='{\n  "MaximumRetryAttempts": 1,\n}'),
        visible_only=True,
    )
    assert "config.json is not valid JSON" in report["checks"][0]["message"]
    assert "line 3" in report["checks"][0]["message"]


def test_throttling_asynchronous_hand_off_is_not_a_fix():
    place_order = (
        "import json, os\nimport boto3\n\nclient = boto3.client('lambda')\n\n\n"
        "def lambda_handler(event, context):\n"
        "    order = {'order_id': event['order_id'], 'items': event.get('items', [])}\n"
        "    client.invoke(FunctionName=os.environ['FULFIL_FUNCTION'], InvocationType='Event', Payload=json.dumps(order))\n"
        "    return {'statusCode': 202}\n"
    )
    lab = LABS["throttling"]
    files = with_changes(
        "throttling", **{"place_order.py": place_order, "fulfil_order.py": lab.starter["fulfil_order.py"]}
    )
    failed = failures(grade(lab, files, visible_only=True))
    assert set(failed) == {"no_order_lost_in_maintenance"}
    assert "Order pause-1 was never shipped" in failed["no_order_lost_in_maintenance"]


def test_throttling_a_queue_that_gives_up_too_soon_is_told_why_the_order_reached_the_dlq():
    design = {
        "queue": {"VisibilityTimeout": 30, "maxReceiveCount": 5},
        "event_source_mapping": {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    }
    failed = failures(
        grade(
            LABS["throttling"], with_changes("throttling", design__json=json.dumps(design)), visible_only=True
        )
    )
    assert set(failed) == {"no_order_lost_in_maintenance", "queue_settings_follow_aws_advice"}
    assert "ended in orders-dlq" in failed["no_order_lost_in_maintenance"]
    assert "each receive counts towards maxReceiveCount" in failed["no_order_lost_in_maintenance"]


def test_throttling_a_malformed_design_is_named():
    report = grade(
        LABS["throttling"],
        with_changes("throttling", design__json='{"queue": {}, "mapping": null}'),
        visible_only=True,
    )
    assert report["score"] == 0
    assert (
        'design.json must hold an object with exactly "queue" and "event_source_mapping"'
        in report["checks"][0]["message"]
    )


# -- the pages --------------------------------------------------------------------------------------------------
def test_the_labs_are_listed_and_a_three_file_lab_shows_every_file_but_no_hidden_check(
    student_client, catalog
):
    from django.urls import reverse

    listing = student_client.get(reverse("labs:list")).content.decode()
    for slug in EVENT_LABS:
        assert LABS[slug].title.split(":")[0] in listing
    response = student_client.get(reverse("labs:detail", args=["throttling"]))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("place_order.py", "fulfil_order.py", "design.json"):
        assert f'name="file:{name}"' in html
    assert "Ships every order once on a normal day" in html  # a visible check
    assert "No order is lost in the longest maintenance window" not in html  # the hidden one
    assert "maxReceiveCount" in html  # the instructions
