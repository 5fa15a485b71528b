"""Step Functions: state transitions per second, ours against moto's interpreter, on the same machines.

Two pure-ASL workloads: a Pass/Choice loop that counts to ``--loop`` (2 transitions per turn), and a Map over
``--items`` items whose iterator is a Pass and a Choice. Each runs ``--repeat`` times here (median); moto runs
the same definitions with ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``, timed from
StartExecution until DescribeExecution reports the end, and its transitions are counted from its history.
A third workload is many short executions: a 50-state Pass/Choice chain with intrinsics, run ``--short`` times
(a definition is validated and compiled once per distinct content, so each run pays only for its transitions);
moto's figure comes from a sample of its runs. Targets: at least 20,000 transitions/s and at least 100x moto.

Run: .venv/bin/python bench/bench_stepfunctions.py [--loop 1000] [--items 1000] [--repeat 5]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime.stepfunctions import run  # noqa: E402


def loop_machine(turns: int) -> dict:
    return {
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "More"},
            "More": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericLessThan": turns, "Next": "Count"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def map_machine() -> dict:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Shape",
                    "States": {
                        "Shape": {
                            "Type": "Pass",
                            "Parameters": {"v.$": "$.v", "even.$": "$.even"},
                            "Next": "Kind",
                        },
                        "Kind": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$.even", "BooleanEquals": True, "Next": "Even"}],
                            "Default": "Odd",
                        },
                        "Even": {"Type": "Pass", "Result": "even", "End": True},
                        "Odd": {"Type": "Pass", "Result": "odd", "End": True},
                    },
                },
                "End": True,
            }
        },
    }


def chain_machine(length: int = 50) -> dict:
    """A short execution: ``length`` states, Pass states with intrinsics alternating with Choice states."""
    states: dict = {}
    for index in range(0, length, 2):
        states[f"Step{index}"] = {
            "Type": "Pass",
            "Parameters": {
                "i.$": "States.MathAdd($.i, 1)",
                "label.$": "States.Format('step {} of {}', $.i, $.name)",
                "name.$": "$.name",
            },
            "Next": f"Check{index + 1}",
        }
        following = f"Step{index + 2}" if index + 2 < length else "Done"
        states[f"Check{index + 1}"] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": following}],
            "Default": "Done",
        }
    states["Done"] = {"Type": "Succeed"}
    return {"StartAt": "Step0", "States": states}


def transitions(history: list[dict]) -> int:
    return sum(1 for event in history if event["type"].endswith("StateEntered"))


def ours(definition: dict, value: dict, repeat: int) -> tuple[float, int, object]:
    times, count, output = [], 0, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(definition, value, start_time=1_700_000_000)
        times.append(time.perf_counter() - started)
        assert result["status"] == "SUCCEEDED", result["cause"]
        count, output = transitions(result["history"]), result["output"]
    return statistics.median(times), count, output


def ours_short(definition: dict, value: dict, executions: int, repeat: int) -> tuple[float, int, object]:
    """Seconds for ``executions`` separate runs of one definition (median of ``repeat``), as a lab grader
    starts many short executions of the same machine."""
    times, count, output = [], 0, None
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(executions):
            result = run(definition, value, start_time=1_700_000_000)
        times.append(time.perf_counter() - started)
        assert result["status"] == "SUCCEEDED", result["cause"]
        count, output = transitions(result["history"]) * executions, result["output"]
    return statistics.median(times), count, output


def moto_short(definition: dict, value: dict, executions: int) -> tuple[float, int, object]:
    """moto's time for ``executions`` runs, measured on a sample of them (moto takes ~100x longer)."""
    sample = max(1, executions // 20)
    elapsed, count, output = 0.0, 0, None
    for _ in range(sample):
        seconds, count, output = moto(definition, value)
        elapsed += seconds
    return elapsed * executions / sample, count * executions, output


def moto(definition: dict, value: dict) -> tuple[float, int, object]:
    import boto3
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name="bench", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/bench"
        )["stateMachineArn"]
        started = time.perf_counter()
        execution = client.start_execution(stateMachineArn=arn, input=json.dumps(value))["executionArn"]
        while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        assert described["status"] == "SUCCEEDED", described
        events, token = [], None
        while True:
            page = client.get_execution_history(
                executionArn=execution, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                break
        return elapsed, transitions(events), json.loads(described["output"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", type=int, default=1000, help="turns of the Pass/Choice loop")
    parser.add_argument("--items", type=int, default=1000, help="items of the Map")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--short", type=int, default=200, help="short executions of the 50-state chain")
    args = parser.parse_args()
    workloads = [
        (f"Pass/Choice loop x{args.loop}", loop_machine(args.loop), {"i": 0}),
        (
            f"Map over {args.items} items",
            map_machine(),
            {"items": [{"v": index, "even": index % 2 == 0} for index in range(args.items)]},
        ),
    ]
    print(f"{'workload':<28} {'transitions':>11} {'ours/s':>10} {'moto/s':>8} {'ratio':>7}  same output")
    for name, definition, value in workloads:
        ours_s, ours_count, ours_output = ours(definition, value, args.repeat)
        moto_s, moto_count, moto_output = moto(definition, value)
        ours_rate, moto_rate = ours_count / ours_s, moto_count / moto_s
        print(
            f"{name:<28} {ours_count:>11,} {ours_rate:>10,.0f} {moto_rate:>8,.0f} {ours_rate / moto_rate:>6.0f}x"
            f"  {ours_output == moto_output} (moto counted {moto_count:,})"
        )
    chain, chain_input = chain_machine(50), {"i": 0, "name": "bench"}
    ours_s, ours_count, ours_output = ours_short(chain, chain_input, args.short, args.repeat)
    moto_s, moto_count, moto_output = moto_short(chain, chain_input, args.short)
    ours_rate, moto_rate = ours_count / ours_s, moto_count / moto_s
    name = f"{args.short} x 50-state chain"
    print(
        f"{name:<28} {ours_count:>11,} {ours_rate:>10,.0f} {moto_rate:>8,.0f} {ours_rate / moto_rate:>6.0f}x"
        f"  {ours_output == moto_output} ({ours_s / args.short * 1000:.2f} ms per execution here, "
        f"{moto_s / args.short * 1000:.1f} ms in moto)"
    )


if __name__ == "__main__":
    main()
