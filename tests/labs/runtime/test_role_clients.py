"""Clients that act as a role (Step Functions' tasks) are kept per role and session, and stay authorized
request by request: a policy removed after the client was made takes effect on its next call."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.labs.runtime.conftest import TRUST_POLICY


def test_a_role_client_is_reused_and_still_authorized_per_request(cloud):
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="machine", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="machine", PolicyName="p", PolicyDocument=json.dumps(policy))

    first = cloud.client_as_role("sqs", role, "execution-1")
    assert cloud.client_as_role("sqs", role, "execution-1") is first
    assert cloud.client_as_role("sqs", role, "execution-2") is not first
    assert cloud.client_as_role("sns", role, "execution-1") is not first
    first.create_queue(QueueName="allowed")

    iam.delete_role_policy(RoleName="machine", PolicyName="p")
    with pytest.raises(ClientError, match="not authorized to perform: sqs:CreateQueue"):
        first.create_queue(QueueName="denied")


def test_reset_forgets_the_role_clients(cloud):
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="machine", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    first = cloud.client_as_role("sqs", role, "execution-1")
    cloud.reset()
    iam.create_role(RoleName="machine", AssumeRolePolicyDocument=TRUST_POLICY)
    assert cloud.client_as_role("sqs", role, "execution-1") is not first
