"""Fixtures for the runtime's tests: a fresh simulated account per test and a helper to deploy code."""

import json
import textwrap

import pytest

from labs.runtime import Cloud
from labs.runtime.awslambda import packaging

TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


DURABLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"


def durable_role(cloud, name: str = "durable", actions: tuple[str, ...] = ()) -> str:
    """A role for durable functions: AWS's managed durable execution policy, plus ``actions`` on every resource.
    Returns its ARN."""
    iam = cloud.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=DURABLE_POLICY)
    if actions:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="actions", PolicyDocument=json.dumps(document))
    return arn


def make_zip(files: dict[str, str]) -> bytes:
    return packaging.zip_files({name: textwrap.dedent(text) for name, text in files.items()})


@pytest.fixture
def cloud():
    with Cloud(seed=7) as simulated:
        yield simulated


@pytest.fixture
def deploy(cloud):
    """deploy(code, handler="app.handler", actions=[...], **create_function_kwargs) -> function name."""
    counter = iter(range(1000))

    def _deploy(
        code: str | dict, handler: str = "app.handler", actions: list | None = None, policy=None, **kwargs
    ):
        index = next(counter)
        iam = cloud.client("iam")
        role = iam.create_role(RoleName=f"role-{index}", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
        statements = policy or ([{"Effect": "Allow", "Action": actions, "Resource": "*"}] if actions else [])
        if statements:
            document = json.dumps({"Version": "2012-10-17", "Statement": statements})
            iam.put_role_policy(RoleName=f"role-{index}", PolicyName="inline", PolicyDocument=document)
        files = code if isinstance(code, dict) else {"app.py": code}
        name = kwargs.pop("FunctionName", f"fn-{index}")
        cloud.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=handler,
            Code={"ZipFile": make_zip(files)},
            **kwargs,
        )
        return name

    return _deploy


@pytest.fixture
def invoke(cloud):
    """invoke(name, event) -> (boto3 response, decoded payload, decoded LogResult)."""
    import base64

    def _invoke(name: str, event=None, **kwargs):
        response = cloud.client("lambda").invoke(
            FunctionName=name,
            Payload=json.dumps(event if event is not None else {}),
            LogType="Tail",
            **kwargs,
        )
        body = response["Payload"].read()
        logs = base64.b64decode(response.get("LogResult", "")).decode()
        return response, (json.loads(body) if body else None), logs

    return _invoke


@pytest.fixture
def zip_files():
    """zip_files({"name": "text"}) -> zip archive bytes."""
    return make_zip
