"""The workflow, permissions, tuning and routing labs: what a student sees when a submission is wrong (the
starter, typical mistakes, invalid files), and submissions that pass every visible check but fail the hidden
ones. (test_lab_catalog.py already proves each lab's solution scores full marks and its starter less.)"""

import json

import pytest

from labs.grading import grade, load_catalog
from labs.runtime.awslambda.pricing import invocation_cost_usd

LABS = {lab.slug: lab for lab in load_catalog()}


def checks_of(report) -> dict:
    return {check["id"]: check for check in report["checks"]}


def failed(report) -> dict:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def with_file(slug, name, text) -> dict:
    return {**LABS[slug].solution, name: text}


def edited_json(slug, name, change) -> dict:
    document = json.loads(LABS[slug].solution[name])
    change(document)
    return with_file(slug, name, json.dumps(document, indent=2))


def assert_only_hidden_checks_fail(slug, files):
    lab = LABS[slug]
    visible = grade(lab, files, visible_only=True)
    assert visible["score"] == visible["max_score"], failed(visible)
    full = grade(lab, files)
    failing = [check for check in full["checks"] if not check["passed"]]
    assert failing, "the submission should fail a check the student has not seen"
    assert {check["visibility"] for check in failing} <= {"after_deadline", "hidden"}
    assert "hidden" in {check["visibility"] for check in failing}
    return full


def test_the_five_labs_are_in_the_catalog_linked_to_their_lessons():
    lessons = {slug: LABS[slug].lesson for slug in LABS}
    assert lessons["order-workflow"] == lessons["photo-processing"] == "step-functions"
    assert lessons["least-privilege"] == "permissions"
    assert lessons["memory-tuning"] == "lifecycle-and-performance"
    assert lessons["eventbridge-routing"] == "eventbridge"


# -- order-workflow ----------------------------------------------------------------------------------------------
def test_order_workflow_starter_passes_the_happy_path_and_says_what_is_missing():
    report = grade(LABS["order-workflow"], LABS["order-workflow"].starter)
    assert checks_of(report)["happy_path"]["passed"]
    messages = failed(report)
    assert "Choice" in messages["out_of_stock"] and "OutOfStock" in messages["out_of_stock"]
    assert "PaymentServiceUnavailable" in messages["transient_payment_retried"]
    assert "PaymentFailed" in messages["payment_failure_compensates"]
    assert "PaymentDeclined" in messages["declined_card_not_retried"]


def test_order_workflow_without_backoff_is_told_the_measured_waits():
    def flat_retry(definition):
        definition["States"]["ChargePayment"]["Retry"][0].update(IntervalSeconds=1, BackoffRate=1.0)

    report = grade(LABS["order-workflow"], edited_json("order-workflow", "order-workflow.json", flat_retry))
    assert list(failed(report)) == ["transient_payment_retried"]
    assert "[1.0, 1.0] seconds" in failed(report)["transient_payment_retried"]


def test_order_workflow_without_compensation_leaves_the_reservation_held():
    def no_release(definition):
        definition["States"]["ChargePayment"]["Catch"][0]["Next"] = "PaymentFailed"
        del definition["States"]["ReleaseStock"]

    report = grade(LABS["order-workflow"], edited_json("order-workflow", "order-workflow.json", no_release))
    assert "res-o-400 is still held" in failed(report)["payment_failure_compensates"]


def test_order_workflow_retrying_every_error_passes_the_visible_checks_but_not_the_declined_card():
    def retry_everything(definition):
        definition["States"]["ChargePayment"]["Retry"][0]["ErrorEquals"] = ["States.ALL"]

    report = assert_only_hidden_checks_fail(
        "order-workflow", edited_json("order-workflow", "order-workflow.json", retry_everything)
    )
    assert "charged 4 times" in failed(report)["declined_card_not_retried"]


def test_order_workflow_invalid_definitions_fail_every_check_with_the_reason():
    def dangling(definition):
        definition["States"]["InStock"]["Default"] = "Nowhere"

    report = grade(LABS["order-workflow"], edited_json("order-workflow", "order-workflow.json", dangling))
    assert report["score"] == 0
    assert all("The state machine was rejected" in m and "Nowhere" in m for m in failed(report).values())

    report = grade(LABS["order-workflow"], {"order-workflow.json": '{"StartAt": "A",\n "States": {'})
    assert all("not valid JSON" in m and "line 2" in m for m in failed(report).values())

    text = (
        LABS["order-workflow"]
        .solution["order-workflow.json"]
        .replace('"reserve-stock"', '"${StockFunction}"')
    )
    report = grade(LABS["order-workflow"], {"order-workflow.json": text})
    assert "uses ${StockFunction}" in failed(report)["happy_path"]


def test_order_workflow_accepts_function_arns_with_substitutions():
    text = (
        LABS["order-workflow"]
        .solution["order-workflow.json"]
        .replace(
            '"FunctionName": "ship-order"',
            '"FunctionName": "arn:aws:lambda:${Region}:${AccountId}:function:ship-order"',
        )
    )
    report = grade(LABS["order-workflow"], {"order-workflow.json": text})
    assert report["score"] == report["max_score"], failed(report)


# -- photo-processing --------------------------------------------------------------------------------------------
def test_photo_processing_starter_stores_labels_and_is_told_about_the_failure_branch():
    report = grade(LABS["photo-processing"], LABS["photo-processing"].starter)
    assert checks_of(report)["labels_stored"]["passed"]
    messages = failed(report)
    assert "Rekognition.InvalidImageFormatException" in messages["not_an_image"]
    assert "UnsupportedType" in messages["unsupported_type_skipped"]
    assert "PROCESSED" in messages["success_notified"]


def test_photo_processing_that_only_accepts_jpg_fails_the_hidden_photo_types():
    def only_jpg(definition):
        definition["States"]["SupportedType"]["Choices"][0] = {
            "Variable": "$.key",
            "StringMatches": "*.jpg",
            "Next": "Process",
        }

    assert_only_hidden_checks_fail(
        "photo-processing", edited_json("photo-processing", "photo-workflow.json", only_jpg)
    )


def test_photo_processing_labels_without_a_confidence_floor_are_refused():
    def no_floor(definition):
        del definition["States"]["Process"]["Branches"][1]["States"]["DetectLabels"]["Parameters"][
            "MinConfidence"
        ]

    report = grade(LABS["photo-processing"], edited_json("photo-processing", "photo-workflow.json", no_floor))
    assert "MinConfidence 80" in failed(report)["labels_stored"]


# -- least-privilege ---------------------------------------------------------------------------------------------
POLICY = json.loads(LABS["least-privilege"].solution["policy.json"])


def policy_files(change) -> dict:
    document = json.loads(json.dumps(POLICY))
    change(document)
    return {"policy.json": json.dumps(document)}


def test_least_privilege_starter_hits_access_denied_and_wildcards():
    messages = failed(grade(LABS["least-privilege"], LABS["least-privilege"].starter))
    assert "not authorized to perform: s3:PutObject" in messages["function_works"]
    assert '$.Statement[0].Action has "dynamodb:*"' in messages["no_wildcards"]
    assert "allows dynamodb:DeleteItem" in messages["denies_unneeded_access"]


def test_least_privilege_broad_policy_works_but_is_refused():
    def everything(document):
        document["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})

    messages = failed(grade(LABS["least-privilege"], policy_files(everything)))
    assert "function_works" not in messages
    assert '$.Statement[3].Action has "s3:*"' in messages["no_wildcards"]
    assert "allows s3:GetObject" in messages["denies_unneeded_access"]


def test_least_privilege_an_extra_read_passes_the_visible_checks_but_not_the_hidden_ones():
    def query_too(document):
        document["Statement"][0]["Action"] = ["dynamodb:GetItem", "dynamodb:Query"]

    assert_only_hidden_checks_fail("least-privilege", policy_files(query_too))


def test_least_privilege_a_bucket_wide_write_fails_after_the_deadline():
    def whole_bucket(document):
        document["Statement"][1]["Resource"] = "arn:aws:s3:::invoices-${AWS::AccountId}/*"

    messages = failed(grade(LABS["least-privilege"], policy_files(whole_bucket)))
    assert list(messages) == ["writes_only_under_prefix"]
    assert "/private/keys.json" in messages["writes_only_under_prefix"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["Statement"][0].pop("Resource"), "$.Statement[0] needs a Resource"),
        (
            lambda d: d["Statement"][1].update(Effect="allow"),
            '$.Statement[1].Effect must be "Allow" or "Deny"',
        ),
        (
            lambda d: d["Statement"][2].update(Action=[]),
            "$.Statement[2].Action must be a string or a non-empty list",
        ),
        (lambda d: d.update(Version="2008-10-17"), '"Version": "2012-10-17"'),
        (
            lambda d: d["Statement"][0].update(Resource="arn:aws:dynamodb:${AWS::Partition}:x"),
            "uses ${AWS::Partition}",
        ),
    ],
)
def test_least_privilege_malformed_policies_fail_every_check_naming_where(change, says):
    report = grade(LABS["least-privilege"], policy_files(change))
    assert report["score"] == 0
    assert all(says in message for message in failed(report).values()), failed(report)


# -- memory-tuning -----------------------------------------------------------------------------------------------
GRADER = LABS["memory-tuning"].grader


def tuning(**memory) -> dict:
    choices = {"resize-image": 1024, "parse-csv": 512, "send-email": 128, **memory}
    document = {
        function.replace("_", "-"): {
            "memory_mb": size,
            "monthly_cost_usd": round(GRADER.monthly_cost_usd(function.replace("_", "-"), size), 2),
        }
        for function, size in choices.items()
    }
    return {"tuning.json": json.dumps(document)}


def test_memory_tuning_costs_come_from_the_runtime_price_table():
    assert GRADER.monthly_cost_usd("resize-image", 1024) == pytest.approx(
        2_000_000 * invocation_cost_usd(830, 1024)
    )
    assert GRADER.monthly_cost_usd("resize-image", 1024) == pytest.approx(28.07, abs=0.005)
    # More memory can be faster *and* cheaper (parse-csv), and one vCPU is not always the sweet spot.
    assert [GRADER.cheapest_within_budget(f) for f in GRADER.MEASUREMENTS] == [1024, 512, 128]


def test_memory_tuning_instructions_show_the_grader_s_measurements():
    rows = {}
    for line in LABS["memory-tuning"].instructions.splitlines():
        cells = [cell.strip().strip("`").replace(",", "") for cell in line.strip("|").split("|")]
        if cells[0] in GRADER.MEASUREMENTS:
            rows[cells[0]] = cells[1:]
    for function, figures in GRADER.MEASUREMENTS.items():
        durations = [str(figures["durations_ms"][size] or "OOM") for size in GRADER.SIZES]
        budget, invocations = f"{figures['budget_ms']} ms", str(figures["invocations_per_month"])
        assert rows[function] == [*durations, budget, invocations]


def test_memory_tuning_starter_runs_out_of_memory_for_real():
    messages = failed(grade(LABS["memory-tuning"], LABS["memory-tuning"].starter))
    assert "parse-csv at 128 MB failed with Runtime.OutOfMemory" in messages["fits_in_memory"]
    assert "Max Memory Used: 128 MB" in messages["fits_in_memory"]
    assert "6710 ms, over its budget of 900 ms" in messages["meets_latency_budgets"]


def test_memory_tuning_an_expensive_size_for_send_email_only_fails_the_hidden_check():
    report = assert_only_hidden_checks_fail("memory-tuning", tuning(send_email=256))
    assert list(failed(report)) == ["send_email_cheapest"]


def test_memory_tuning_a_wrong_estimate_and_one_vcpu_are_told_apart():
    files = tuning(resize_image=1769)
    document = json.loads(files["tuning.json"])
    document["parse-csv"]["monthly_cost_usd"] = 5.0
    messages = failed(grade(LABS["memory-tuning"], {"tuning.json": json.dumps(document)}))
    assert set(messages) == {"monthly_costs", "resize_image_cheapest"}
    assert "parse-csv at 512 MB: you estimated $5.00" in messages["monthly_costs"]
    assert "another measured size meets it for less" in messages["resize_image_cheapest"]


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"resize-image": {"memory_mb": 1000, "monthly_cost_usd": 1}}, '$["resize-image"].memory_mb is 1000'),
        ({}, '$["resize-image"] is missing'),
        ([], "must be a JSON object"),
    ],
)
def test_memory_tuning_invalid_files_name_the_field(document, says):
    report = grade(LABS["memory-tuning"], {"tuning.json": json.dumps(document)})
    assert report["score"] == 0
    assert all(says in message for message in failed(report).values())


# -- eventbridge-routing -----------------------------------------------------------------------------------------
def test_eventbridge_starter_shows_the_validator_error_with_its_json_path():
    messages = failed(grade(LABS["eventbridge-routing"], LABS["eventbridge-routing"].starter))
    assert messages["eu_shipments_examples"] == (
        "eu-shipments.json: Event pattern is not valid. Reason: match values must be in an array or an object "
        "at $.region"
    )
    assert "should match a DECLINED payment" in messages["failed_payments_examples"]
    assert "an order of exactly 500" in messages["boundary_cases"]


def test_eventbridge_a_json_error_names_the_line():
    files = with_file("eventbridge-routing", "vip-orders.json", '{\n  "source": ["com.example.orders"],\n}')
    messages = failed(grade(LABS["eventbridge-routing"], files))
    assert list(messages) == ["vip_orders_examples", "boundary_cases", "unseen_events"]
    assert "vip-orders.json is not valid JSON" in messages["vip_orders_examples"]
    assert "line 3" in messages["vip_orders_examples"]


def test_eventbridge_a_prefix_without_the_dot_passes_what_is_shown_but_not_the_hidden_events():
    pattern = json.loads(LABS["eventbridge-routing"].solution["eu-shipments.json"])
    pattern["source"] = [{"prefix": "com.example"}]
    report = assert_only_hidden_checks_fail(
        "eventbridge-routing", with_file("eventbridge-routing", "eu-shipments.json", json.dumps(pattern))
    )
    # a hidden check's message never shows the event the student has not seen
    assert "The event" not in failed(report)["unseen_events"]


def test_eventbridge_the_test_account_exclusion_must_hold_for_both_alternatives():
    pattern = {
        "source": ["com.example.orders"],
        "detail-type": ["OrderPlaced"],
        "detail": {
            "$or": [
                {
                    "customer": {
                        "tier": [{"equals-ignore-case": "gold"}],
                        "email": [{"anything-but": {"suffix": "@example.com"}}],
                    }
                },
                {"customer": {"id": [{"prefix": "VIP-"}]}},
            ]
        },
    }
    assert_only_hidden_checks_fail(
        "eventbridge-routing", with_file("eventbridge-routing", "vip-orders.json", json.dumps(pattern))
    )
