"""Durable functions: wall time of a long-running execution on the simulated clock.

A durable function (AWS's durable execution SDK, python3.13) runs 50 steps and 10 waits of one day each (five
steps, then a wait, ten times): ten simulated days, eleven invocations, each replaying the operations checkpointed
before it. One execution warms the function's environment (its time is printed as the first run); then ``--runs``
executions (5) are timed from the Invoke (InvocationType Event) until GetDurableExecution says SUCCEEDED, and the
median is reported with the invocations, checkpoints and replayed operations of one execution. Target: < 1 s.

Run: .venv/bin/python bench/bench_durable.py [--runs 5]
"""

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime import Cloud  # noqa: E402

HANDLER = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration

@durable_step
def work(step_context, day, index):
    return day * 100 + index

@durable_execution
def handler(event, context: DurableContext):
    total = 0
    for day in range(10):
        for index in range(5):
            total += context.step(work(day, index), name=f"work-{day}-{index}")
        context.wait(Duration.from_days(1), name=f"day-{day}")
    return {"total": total}
"""
EXPECTED = {"total": sum(day * 100 + index for day in range(10) for index in range(5))}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"


def deploy(cloud) -> str:
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="bench", PolicyArn=POLICY)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    lam = cloud.client("lambda")
    lam.create_function(
        FunctionName="days",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=60,
        DurableConfig={"ExecutionTimeout": 30 * 86400, "RetentionPeriodInDays": 1},
    )
    return lam.publish_version(FunctionName="days")["Version"]


def one_run(cloud, version: str) -> tuple[float, str]:
    lam = cloud.client("lambda")
    started = time.perf_counter()
    arn = lam.invoke(FunctionName="days", Qualifier=version, InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    cloud.run_until_idle()
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    elapsed = time.perf_counter() - started
    assert described["Status"] == "SUCCEEDED", described
    assert json.loads(described["Result"]) == EXPECTED
    assert (described["EndTimestamp"] - described["StartTimestamp"]).total_seconds() >= 10 * 86400
    return elapsed, arn


def counts(cloud, arn: str) -> dict:
    invocations = [r for r in cloud.trace.of_kind("durable_invocation") if r["execution_arn"] == arn]
    calls = cloud.trace.of_kind("api_call")
    causes = {
        r["seq"]
        for r in cloud.trace.of_kind("invocation")
        if r.get("cause") in {i["seq"] for i in invocations}
    }
    checkpoints = [
        r for r in calls if r.get("operation") == "CheckpointDurableExecution" and r.get("cause") in causes
    ]
    return {
        "invocations": len(invocations),
        "checkpoints": len(checkpoints),
        "replayed": sum(r["replayed"] for r in invocations),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with Cloud(seed=1) as cloud:
        version = deploy(cloud)
        first, _ = one_run(cloud, version)
        timed = [one_run(cloud, version) for _ in range(args.runs)]
        figures = counts(cloud, timed[-1][1])
    walls = [elapsed for elapsed, _ in timed]
    median = statistics.median(walls)
    print("durable execution: 50 steps, 10 waits of one day (10 simulated days), python3.13 with AWS's SDK")
    print(f"  first run (cold environment): {first * 1000:.0f} ms")
    print(
        f"  {args.runs} runs (warm): median {median * 1000:.0f} ms, "
        f"min {min(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms"
    )
    print(
        f"  per execution: {figures['invocations']} invocations, {figures['checkpoints']} checkpoints, "
        f"{figures['replayed']} operations replayed in all"
    )
    print(f"  target < 1 s: {'met' if median < 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
