"""Concurrency in simulated time: a burst of events at one instant meets reserved and account concurrency."""

import pytest

from labs.runtime import Cloud

from .conftest import TRUST_POLICY, make_zip

HANDLER = """
def handler(event, context):
    return event["n"]
"""


def start_times(cloud, name):
    return sorted(
        entry["time"]
        for entry in cloud.trace.of_kind("invocation")
        if entry["function_arn"].endswith(f":{name}")
    )


def burst(cloud, name, count):
    lam = cloud.client("lambda")
    for n in range(count):
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=f'{{"n": {n}}}'.encode())
    return cloud.run_pending()


def test_reserved_concurrency_spreads_a_burst_over_simulated_time(cloud, deploy):
    name = deploy(HANDLER)
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    start = cloud.clock()
    ran = burst(cloud, name, 10)
    assert sorted(r.payload for r in ran) == sorted(str(n).encode() for n in range(10))  # nothing lost
    times = start_times(cloud, name)
    assert times[:3] == [start] * 3 and times[3] > start  # three at once, the rest after throttle back-off
    throttles = [t for t in cloud.trace.of_kind("throttle") if t["function_arn"].endswith(f":{name}")]
    assert len(throttles) >= 7 and all(t["reserved_concurrency"] == 3 for t in throttles)
    assert {t["reason"] for t in throttles} == {"ReservedFunctionConcurrentInvocationLimitExceeded"}


def test_sequential_calls_from_the_host_never_overlap(cloud, deploy, invoke):
    name = deploy(HANDLER)
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    for n in range(3):
        assert invoke(name, {"n": n})[1] == n


def test_the_account_limit_is_shared_by_functions_without_reservations():
    with Cloud(seed=3, concurrency_limit=4) as cloud:
        iam, lam = cloud.client("iam"), cloud.client("lambda")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
        for name in ("a", "b", "reserved"):
            lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": make_zip({"app.py": HANDLER})},
            )
        lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=2)
        start = cloud.clock()
        for n in range(3):
            for name in ("a", "b"):
                lam.invoke(FunctionName=name, InvocationType="Event", Payload=f'{{"n": {n}}}'.encode())
        ran = cloud.run_pending()
        assert len(ran) == 6
        at_start = [t for name in ("a", "b") for t in start_times(cloud, name) if t == start]
        assert len(at_start) == 2  # limit 4 less the 2 reserved leaves 2 for everyone else
        reasons = {t["reason"] for t in cloud.trace.of_kind("throttle")}
        assert reasons == {"ConcurrentInvocationLimitExceeded"}


def test_concurrency_limit_must_be_positive():
    with pytest.raises(ValueError, match="concurrency_limit"):
        Cloud(concurrency_limit=0)
