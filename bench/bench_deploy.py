"""Deploying a SAM template: the track's sample application (3 functions with S3, SQS, SNS, schedule,
EventBridge and API events, a state machine; 25 resources after the transform), into a fresh account each
time, as grading does. Prints the first deploy in this process (imports, cfn-lint's rules, botocore
models) and then the median and worst of the following ones, split into cfn-lint, the SAM transform, and
creating the resources.

Run: .venv/bin/python bench/bench_deploy.py [--runs 10]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime import Cloud  # noqa: E402
from labs.runtime.cloudformation import deploy  # noqa: E402
from labs.runtime.cloudformation import template as cfn_template  # noqa: E402

TEMPLATES = Path(__file__).resolve().parent.parent / "tests" / "labs" / "runtime" / "templates"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    text = (TEMPLATES / "sam_app.yaml").read_text()
    timings: dict[str, list[float]] = {"lint": [], "transform": [], "total": []}

    def timed(name, function):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                timings[name].append(time.perf_counter() - started)

        return wrapper

    from labs.runtime.cloudformation import deployment

    deployment.lint_template = timed("lint", cfn_template.lint_template)
    deployment.sam_translate = timed("transform", cfn_template.sam_translate)
    for _ in range(args.runs + 1):
        with Cloud(seed=1) as cloud:
            started = time.perf_counter()
            stack = deploy(cloud, text, code_dir=TEMPLATES)
            timings["total"].append(time.perf_counter() - started)
    assert len(stack.resources) == 25
    first = {name: values[0] for name, values in timings.items()}
    print(
        f"first deploy in this process: {first['total'] * 1000:.0f} ms "
        f"(cfn-lint {first['lint'] * 1000:.0f} ms incl. loading its rules, transform {first['transform'] * 1000:.0f} ms)"
    )
    for name, values in timings.items():
        rest = [value * 1000 for value in values[1:]]
        print(
            f"{name:>9}: median {statistics.median(rest):7.1f} ms, max {max(rest):7.1f} ms over {len(rest)} deploys"
        )
    create = [
        total - lint - transform
        for total, lint, transform in zip(
            timings["total"][1:], timings["lint"][1:], timings["transform"][1:], strict=True
        )
    ]
    print(f"{'create':>9}: median {statistics.median(create) * 1000:7.1f} ms (25 resources through boto3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
