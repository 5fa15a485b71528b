"""Issue 15 class 7: tenant isolation (TenancyConfig, launched November 2025), simulated.

tenant-isolation.html: with TenantIsolationMode PER_TENANT an invocation carries a tenant identifier and
runs only in environments dedicated to that tenant (reused for the same tenant, never shared).
tenant-isolation-invoke.html: X-Amz-Tenant-Id (boto3 TenantId) on Invoke, also with InvocationType Event.
tenant-isolation-context.html: context.tenant_id in the handler. tenant-isolation-troubleshooting.html:
InvalidParameterValueException when the id is missing, or given to a function without tenant isolation.
API_TenancyConfig.html: PER_TENANT is the only value.
"""

import base64
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from labs.runtime.cloudformation import deploy

FIDELITY = Path(__file__).parent / "templates" / "fidelity"
PER_TENANT = {"TenantIsolationMode": "PER_TENANT"}
MISSING_OR_UNEXPECTED = (
    "Tenant ID configuration not specified or passed to a function when tenant isolation is not enabled."
)
CODE = """
import os
jobs = []

def handler(event, context):
    jobs.append(event.get("job"))
    return {"tenant": context.tenant_id, "jobs": jobs}
"""


def call(cloud, name: str, event: dict, **kwargs) -> tuple[dict, str]:
    answer = cloud.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event), LogType="Tail", **kwargs
    )
    return json.loads(answer["Payload"].read()), base64.b64decode(answer["LogResult"]).decode()


def test_each_tenant_gets_its_own_environments_reused_only_by_it(cloud):
    stack = deploy(cloud, (FIDELITY / "tenancy.yaml").read_text(), code_dir=FIDELITY)
    assert not stack.warnings  # simulated, so nothing to warn about
    name = stack.resources["Worker"].physical_id
    first_blue, blue_logs = call(cloud, name, {"job": 1}, TenantId="blue")
    green, green_logs = call(cloud, name, {"job": 2}, TenantId="green")
    second_blue, warm_logs = call(cloud, name, {"job": 3}, TenantId="blue")
    assert first_blue == {"tenant": "blue", "jobs": [1]}
    assert green == {"tenant": "green", "jobs": [2]}  # a new environment: blue's state is not there
    assert second_blue == {"tenant": "blue", "jobs": [1, 3]}  # blue's warm environment again
    assert "Init Duration" in blue_logs and "Init Duration" in green_logs and "Init Duration" not in warm_logs


def test_the_tenancy_config_is_kept_and_shown_like_lambda_shows_it(cloud, deploy):
    name = deploy(CODE, TenancyConfig=PER_TENANT)
    lam = cloud.client("lambda")
    assert lam.get_function_configuration(FunctionName=name)["TenancyConfig"] == PER_TENANT
    assert lam.get_function(FunctionName=name)["Configuration"]["TenancyConfig"] == PER_TENANT
    assert lam.publish_version(FunctionName=name)["TenancyConfig"] == PER_TENANT
    assert call(cloud, name, {"job": 1}, TenantId="blue", Qualifier="1")[0]["tenant"] == "blue"
    plain = deploy(CODE)
    assert "TenancyConfig" not in lam.get_function_configuration(FunctionName=plain)


@pytest.mark.parametrize(("isolated", "tenant"), [(True, None), (False, "blue")])
def test_a_missing_or_unexpected_tenant_id_is_refused(cloud, deploy, isolated, tenant):
    name = deploy(CODE, **({"TenancyConfig": PER_TENANT} if isolated else {}))
    kwargs = {"TenantId": tenant} if tenant else {}
    for invocation_type in ("RequestResponse", "Event"):
        with pytest.raises(ClientError) as raised:
            cloud.client("lambda").invoke(
                FunctionName=name, Payload=b"{}", InvocationType=invocation_type, **kwargs
            )
        assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert raised.value.response["Error"]["Message"] == MISSING_OR_UNEXPECTED
    assert cloud.run_pending() == []  # nothing was queued


def test_without_tenant_isolation_context_tenant_id_is_none(cloud, deploy):
    assert call(cloud, deploy(CODE), {"job": 1})[0] == {"tenant": None, "jobs": [1]}


def test_an_asynchronous_event_and_a_streamed_call_carry_the_tenant(cloud, deploy):
    name = deploy(CODE, TenancyConfig=PER_TENANT)
    lam = cloud.client("lambda")
    assert (
        lam.invoke(FunctionName=name, Payload=b'{"job": 7}', InvocationType="Event", TenantId="red")[
            "StatusCode"
        ]
        == 202
    )
    [queued] = cloud.run_pending()
    assert json.loads(queued.payload) == {"tenant": "red", "jobs": [7]}
    answer = lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"job": 8}', TenantId="red")
    chunk = next(
        event["PayloadChunk"]["Payload"] for event in answer["EventStream"] if "PayloadChunk" in event
    )
    assert json.loads(chunk) == {"tenant": "red", "jobs": [7, 8]}  # red's environment, warm


def test_a_tenancy_mode_aws_does_not_have_is_refused(deploy):
    with pytest.raises(ClientError) as raised:
        deploy(CODE, TenancyConfig={"TenantIsolationMode": "SHARED"})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must satisfy enum value set: [PER_TENANT]" in raised.value.response["Error"]["Message"]
