"""The sns-fanout lab (issue 7, a SAM template) and ``Session.deploy_template``: the solution scores full
marks, the starter loses the checks it should with messages that point at the fix (the trace's
delivery_failed reason for a queue without a policy), a submission tuned to the visible orders loses the
hidden check, and templates that cannot be deployed are reported with file, line and rule id."""

from pathlib import Path

import pytest
import yaml

from labs.grading import CheckFailed, Session, grade, load_catalog
from labs.runtime import Cloud

COURSE = Path(__file__).resolve().parents[2] / "courses" / "content" / "serverless"
LAB = next(lab for lab in load_catalog() if lab.slug == "sns-fanout")
SOLUTION = LAB.solution["template.yaml"]


def failures(report: dict) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def with_template(*changes: tuple[str, str], base: str = SOLUTION) -> dict[str, str]:
    text = base
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return {**LAB.solution, "template.yaml": text}


def test_the_lab_belongs_to_the_sns_lesson_and_uses_every_visibility():
    assert LAB.lesson == "sns"
    assert set(LAB.visibility.values()) == {"visible", "after_deadline", "hidden"}
    assert "## How it is graded" in LAB.instructions
    assert LAB.starter["consumers.py"] == LAB.solution["consumers.py"]


def test_the_solution_scores_full_marks():
    report = grade(LAB, LAB.solution)
    assert failures(report) == {}
    assert report["score"] == report["max_score"] == LAB.points
    assert report["grading_ms"] < 15000  # 1.3-1.8 s once cfn-lint's rules are loaded; generous for CI


def test_the_starter_deploys_but_fans_out_wrongly_and_says_what_to_fix():
    report = grade(LAB, LAB.starter)
    failed = failures(report)
    assert set(failed) == {
        "shipping_gets_physical_orders",
        "fraud_review_gets_big_orders",
        "poison_orders_reach_a_dlq",
        "least_privilege_roles",
        "unseen_orders",
    }
    assert "received order ship-2 (kind=digital" in failed["shipping_gets_physical_orders"]
    assert "which is not for ShippingFunction" in failed["shipping_gets_physical_orders"]
    assert "it has none" in failed["shipping_gets_physical_orders"]
    assert "FilterPolicy {kind: [physical]}" in failed["shipping_gets_physical_orders"]
    # the queue without a policy: the message quotes the trace's delivery_failed reason
    fraud = failed["fraud_review_gets_big_orders"]
    assert "order fraud-1" in fraud and "never reached FraudReviewFunction" in fraud
    assert (
        "The trace's delivery_failed says: its resource-based policy does not allow sns.amazonaws.com"
        in fraud
    )
    assert "AWS::SQS::QueuePolicy" in fraud
    delivery_failures = [e for e in report["trace"] if e["kind"] == "delivery_failed"]
    assert delivery_failures and all("FraudReviewQueue" in e["target"] for e in delivery_failures)
    assert "dynamodb:* (policy ShippingFunctionRolePolicy0)" in failed["least_privilege_roles"]
    # only payments and the queue policies it has (SendMessage for the topic), which the starter gets right
    points = {check.id: check.points for check in LAB.checks}
    assert report["score"] == points["payments_get_every_order"] + points["least_privilege_queue_policies"]


def test_a_filter_policy_that_only_fits_the_visible_orders_loses_the_hidden_check():
    # "more than 1000" instead of "1000 or more": every visible order is far from the boundary
    files = with_template(('- numeric: [">=", 1000]', '- numeric: [">", 1000]'))
    visible = grade(LAB, files, visible_only=True)
    assert visible["score"] == visible["max_score"] > 0
    full = grade(LAB, files)
    assert set(failures(full)) == {"unseen_orders"}
    assert LAB.visibility["unseen_orders"] == "hidden"
    assert "order edge-1" in failures(full)["unseen_orders"]
    assert "sns_filtered_out" in failures(full)["unseen_orders"]


def test_anything_but_digital_ships_orders_of_other_kinds():
    files = with_template(("kind: [physical]", "kind: [{anything-but: [digital]}]"))
    failed = failures(grade(LAB, files))
    assert set(failed) == {"unseen_orders"}
    assert "received order edge-3 (kind=service" in failed["unseen_orders"]


def test_dropping_orders_in_the_code_is_not_a_filter_policy():
    # the starter's shipping subscription has no filter; the function skips what is not physical
    skip = (
        '    for record in event["Records"]:\n',
        '    for record in event["Records"]:\n'
        '        kind = record.get("messageAttributes", {}).get("kind", {}).get("stringValue")\n'
        '        if "Shipping" in os.environ["AWS_LAMBDA_FUNCTION_NAME"] and kind != "physical":\n'
        "            continue\n",
    )
    files = with_template(("      FilterPolicy:\n        kind: [physical]\n", ""))
    assert skip[0] in files["consumers.py"]
    files["consumers.py"] = files["consumers.py"].replace(*skip)
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"shipping_gets_physical_orders"}
    assert "received order ship-2 (kind=digital" in failed["shipping_gets_physical_orders"]
    assert "it has none" in failed["shipping_gets_physical_orders"]


def test_a_filter_on_the_attributes_never_sees_the_total_in_the_body():
    files = with_template(("      FilterPolicyScope: MessageBody\n", ""))
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"fraud_review_gets_big_orders", "poison_orders_reach_a_dlq"}
    assert "rejected it (sns_filtered_out in the trace)" in failed["fraud_review_gets_big_orders"]
    assert "FilterPolicyScope: MessageBody" in failed["fraud_review_gets_big_orders"]


def test_without_report_batch_item_failures_the_poison_order_is_deleted_not_dead_lettered():
    files = with_template(
        (
            "            Queue: !GetAtt ShippingQueue.Arn\n"
            "            BatchSize: 10\n"
            "            FunctionResponseTypes: [ReportBatchItemFailures]\n",
            "            Queue: !GetAtt ShippingQueue.Arn\n            BatchSize: 10\n",
        )
    )
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"poison_orders_reach_a_dlq"}
    assert "deleted from lab-ShippingQueue" in failed["poison_orders_reach_a_dlq"]
    assert "ShippingFunction's SQS event has no FunctionResponseTypes" in failed["poison_orders_reach_a_dlq"]


def test_a_queue_without_a_dead_letter_queue_is_named():
    files = with_template(
        (
            "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt FraudReviewDlq.Arn\n"
            "        maxReceiveCount: 5\n",
            "",
        )
    )
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"poison_orders_reach_a_dlq"}
    assert "never left lab-FraudReviewQueue" in failed["poison_orders_reach_a_dlq"]
    assert "has no RedrivePolicy" in failed["poison_orders_reach_a_dlq"]


def test_a_consumer_whose_role_may_not_write_is_told_what_it_was_denied():
    files = with_template(
        (
            "      Policies:\n        - DynamoDBWritePolicy:\n            TableName: !Ref ProcessedTable\n"
            "      Events:\n        Orders:\n          Type: SQS\n          Properties:\n"
            "            Queue: !GetAtt PaymentsQueue.Arn",
            "      Events:\n        Orders:\n          Type: SQS\n          Properties:\n"
            "            Queue: !GetAtt PaymentsQueue.Arn",
        )
    )
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"payments_get_every_order", "poison_orders_reach_a_dlq"}
    message = failed["payments_get_every_order"]
    assert "order pay-1 (kind=physical" in message and "but PaymentsFunction failed on it" in message
    assert "AccessDeniedException" in message and "dynamodb:UpdateItem" in message


FRAUD_POLICIES = (
    "      Policies:\n        - DynamoDBWritePolicy:\n            TableName: !Ref ProcessedTable\n"
    "      Events:\n        Orders:\n          Type: SQS\n          Properties:\n"
    "            Queue: !GetAtt FraudReviewQueue.Arn"
)


@pytest.mark.parametrize(
    ("policies", "says"),
    [
        # a managed policy with a wildcard action, beside the right policy template
        (
            FRAUD_POLICIES.replace("      Policies:\n", "      Policies:\n        - AmazonSQSFullAccess\n"),
            "FraudReviewFunction's role allows sqs:* (policy AmazonSQSFullAccess)",
        ),
        # a policy template that also reads and deletes
        (
            FRAUD_POLICIES.replace("DynamoDBWritePolicy", "DynamoDBCrudPolicy"),
            "FraudReviewFunction's role allows dynamodb:GetItem",
        ),
    ],
)
def test_a_role_that_grants_more_than_the_consumer_uses_is_named(policies, says):
    failed = failures(grade(LAB, with_template((FRAUD_POLICIES, policies))))
    assert set(failed) == {"least_privilege_roles"}
    assert says in failed["least_privilege_roles"]
    assert "DynamoDBWritePolicy" in failed["least_privilege_roles"]


def test_the_catalog_follows_the_course_lesson_order():
    modules = [module["slug"] for module in yaml.safe_load((COURSE / "_course.yaml").read_text())["modules"]]

    def place(lesson: str) -> tuple[int, int]:
        front_matter = yaml.safe_load((COURSE / f"{lesson}.md").read_text().split("---")[1])
        return modules.index(front_matter["module"]), front_matter["order"]

    labs = load_catalog()
    assert len({lab.order for lab in labs}) == len(labs) == 15  # no two labs share an order
    places = [place(lab.lesson) for lab in labs]
    assert places == sorted(places), [(lab.slug, lab.lesson) for lab in labs]


# -- templates that cannot be deployed -----------------------------------------------------------------------
def test_a_yaml_error_fails_every_check_with_its_line():
    files = with_template(
        (
            "      RawMessageDelivery: true\n      FilterPolicy:",
            "      RawMessageDelivery: true\n     FilterPolicy:",
        )
    )
    line = files["template.yaml"].splitlines().index("     FilterPolicy:") + 1
    report = grade(LAB, files, visible_only=True)
    assert report["score"] == 0
    for message in (check["message"] for check in report["checks"]):
        assert message.startswith("template.yaml cannot be deployed (1 problem):")
        assert f"template.yaml:{line}: E0000 did not find expected key" in message


def test_cfn_lint_errors_are_listed_each_with_file_line_and_rule_id():
    files = with_template(
        (
            "      VisibilityTimeout: 60\n      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt FraudReviewDlq.Arn",
            "      VisibilityTimeout: ninety\n      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt FraudReviewDlq.Arn",
        ),
        ("Endpoint: !GetAtt PaymentsQueue.Arn", "Endpoint: !GetAtt PaymentQueue.Arn"),
    )
    lines = files["template.yaml"].splitlines()
    timeout_line = lines.index("      VisibilityTimeout: ninety") + 1
    endpoint_line = lines.index("      Endpoint: !GetAtt PaymentQueue.Arn") + 1
    message = grade(LAB, files, visible_only=True)["checks"][0]["message"]
    assert message.startswith("template.yaml cannot be deployed (2 problems):")
    assert (
        f"template.yaml:{timeout_line}: E3012 'ninety' is not of type 'integer' "
        "(at Resources/FraudReviewQueue/Properties/VisibilityTimeout)" in message
    )
    assert f"template.yaml:{endpoint_line}: E1010" in message and "PaymentQueue" in message


def test_resources_the_simulation_does_not_create_are_shown_with_a_failed_check():
    files = with_template(
        ("kind: [physical]", "kind: [physical, digital]"),
        (
            "Outputs:",
            "  Dashboard:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n"
            "      DashboardBody: '{\"widgets\": []}'\n\nOutputs:",
        ),
    )
    failed = failures(grade(LAB, files, visible_only=True))
    assert set(failed) == {"shipping_gets_physical_orders"}
    assert "\nTemplate warnings:\n" in failed["shipping_gets_physical_orders"]
    assert "AWS::CloudWatch::Dashboard is not simulated" in failed["shipping_gets_physical_orders"]


def test_a_template_that_cannot_be_deployed_also_shows_cfn_lint_warnings():
    files = with_template(
        (
            "  PaymentsDlq:\n    Type: AWS::SQS::Queue\n",
            "  PaymentsDlq:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n",
        ),
        ("      VisibilityTimeout: 60\n", "      VisibilityTimeout: ninety\n"),
    )
    dlq_line = files["template.yaml"].splitlines().index("  PaymentsDlq:") + 1
    message = grade(LAB, files, visible_only=True)["checks"][0]["message"]
    errors, warnings = message.split("\nWarnings:\n")
    assert errors.startswith("template.yaml cannot be deployed (1 problem):") and "E3012" in errors
    assert f"template.yaml:{dlq_line}: W3011" in warnings and "(at Resources/PaymentsDlq)" in warnings


# -- Session.deploy_template on its own ------------------------------------------------------------------------
TINY = """Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: .
      Handler: hello.handler
"""


def test_deploy_template_writes_the_code_files_for_code_uri_and_keeps_the_warnings():
    files = {
        "template.yaml": TINY + "  Alarm:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n"
        "      DashboardBody: '{}'\n",
        "hello.py": "def handler(event, context):\n    return {'hi': event['name']}\n",
    }
    with Cloud(seed=1) as cloud:
        session = Session(LAB, files, cloud)
        stack = session.deploy_template("template.yaml")
        result = session.invoke(stack.physical_id("Hello"), {"name": "Ada"})
    assert result.json == {"hi": "Ada"}
    assert any("AWS::CloudWatch::Dashboard is not simulated" in w for w in session.template_warnings)


def test_deploy_template_reports_a_missing_file_and_sam_errors_naming_the_resource():
    broken = TINY.replace(
        "      Handler: hello.handler\n",
        "      Handler: hello.handler\n      Events:\n"
        "        Q:\n          Type: SQS\n          Properties: {}\n",
    )
    with Cloud(seed=1) as cloud:
        session = Session(LAB, {"template.yaml": broken}, cloud)
        with pytest.raises(CheckFailed, match="other.yaml is missing from the submission"):
            session.deploy_template("other.yaml")
        with pytest.raises(CheckFailed) as failure:
            session.deploy_template("template.yaml", code_files={})
    assert failure.value.message.startswith("template.yaml cannot be deployed")
    assert "Hello" in failure.value.message


# -- the page --------------------------------------------------------------------------------------------------
def test_the_lab_page_shows_both_files_and_the_visible_checks_only(student_client, catalog):
    from django.urls import reverse

    html = student_client.get(reverse("labs:detail", args=["sns-fanout"])).content.decode()
    assert 'name="file:template.yaml"' in html and 'name="file:consumers.py"' in html
    assert "Fraud review receives the orders of 1000 or more" in html  # a visible check
    assert "Routes orders you have not seen by the same rules" not in html  # the hidden one
    assert "FilterPolicyScope" in html  # the instructions
