"""Helpers shared by the Step Functions tests: building and running a machine, alone at a fixed start time or
in a Cloud (an account whose id the definitions' ARNs name) with a role Step Functions can assume."""

import json

import pytest

from labs.runtime import Cloud
from labs.runtime.stepfunctions import run

START = 1_700_000_000.0


def machine(states, start=None, **top):
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def go(definition, value=None, **kwargs):
    return run(definition, {} if value is None else value, start_time=START, **kwargs)


def types(result):
    return [event["type"] for event in result["history"]]


SFN_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture
def cloud():
    with Cloud(seed=11, account_id="123456789012") as simulated:
        yield simulated


def sfn_role(cloud, name="sfn-role", actions=("lambda:InvokeFunction",)):
    iam = cloud.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=SFN_TRUST)["Role"]["Arn"]
    if actions:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn


def create(cloud, definition, role, name="sm", kind="STANDARD"):
    sfn = cloud.client("stepfunctions")
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role, type=kind)[
        "stateMachineArn"
    ]


def execute(cloud, machine_arn, value=None, name=None):
    sfn = cloud.client("stepfunctions")
    kwargs = {"name": name} if name else {}
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(value or {}), **kwargs)[
        "executionArn"
    ]
    cloud.run_until_idle()
    return sfn.describe_execution(executionArn=arn), arn
