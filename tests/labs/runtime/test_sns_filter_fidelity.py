"""SNS filter policies evaluated as SNS does, from ``corpus/sns_filter_policies.json`` (each case names its
AWS page): message-body policies with nested keys, ``$or``, numeric and anything-but forms, and SNS's limits
(5 keys, 150 combinations, 256 KB) refused with SNS's words."""

import json
from pathlib import Path

import pytest

from labs.runtime.notifications.filter_policies import InvalidFilterPolicyError
from labs.runtime.sns import compile_filter_policy, filter_policy_matches

CORPUS = json.loads((Path(__file__).parent / "corpus" / "sns_filter_policies.json").read_text())


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[case["name"] for case in CORPUS["cases"]])
def test_message_body_policies(case):
    assert case["source"].startswith("https://docs.aws.amazon.com/sns/")
    message = {"Message": json.dumps(case["body"]), "MessageAttributes": {}}
    assert filter_policy_matches(case["policy"], message, "MessageBody") is case["result"]


@pytest.mark.parametrize("case", CORPUS["invalid"], ids=[case["name"] for case in CORPUS["invalid"]])
def test_limits_are_refused_in_sns_words(case):
    with pytest.raises(InvalidFilterPolicyError) as caught:
        compile_filter_policy(case["policy"], case["scope"])
    assert str(caught.value).startswith("Invalid parameter: FilterPolicy: ")
    assert case["problem"] in str(caught.value)


@pytest.mark.parametrize("case", CORPUS["valid"], ids=[case["name"] for case in CORPUS["valid"]])
def test_policies_at_the_limits_are_accepted(case):
    compile_filter_policy(case["policy"], case["scope"])


def test_subscribe_refuses_a_policy_over_the_limits():
    from botocore.exceptions import ClientError

    from labs.runtime import Cloud

    with Cloud(seed=5) as cloud:
        sns, sqs = cloud.client("sns"), cloud.client("sqs")
        topic = sns.create_topic(Name="t")["TopicArn"]
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        policy = json.dumps({k: ["x"] for k in "abcdef"})
        with pytest.raises(ClientError) as caught:
            sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"},
            )
    assert caught.value.response["Error"]["Code"] == "InvalidParameter"
    assert "Filter policy can not have more than 5 keys" in caught.value.response["Error"]["Message"]
