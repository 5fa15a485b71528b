"""Benchmark of the runtime's execution environments against a fresh Python process per invocation.

Prints cold-start p50/p95 (new isolated environment, handler imported, first invoke of a trivial handler
that imports boto3), warm-invoke p50/p95 and invokes/s, for the runtime (through ``LambdaService.invoke``,
the internal API) and for the baseline (a new ``python`` process per invocation that imports boto3 and calls
the handler), with the ratios. Run: ``.venv/bin/python bench/bench_runtime.py`` (about a minute).

Cold starts are measured twice. "Back to back": one right after the other, as in a burst of new functions.
"Spaced": each after one baseline run (~0.2 s later), as when submissions arrive one at a time; the baseline
runs are these, so that both series see the same machine load (on a shared machine whose load comes and goes,
measuring one series long after the other can swing the ratio by 2x). Spaced cold starts are slower: moving
a process into its new pids cgroup waits for an RCU grace period unless another move happened just before.
"""

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime import Cloud  # noqa: E402

HANDLER = "import boto3\n\ndef handler(event, context):\n    return {'ok': True, 'n': event.get('n')}\n"
COLD_RUNS, WARM_RUNS = 40, 1000  # per cold-start series; one baseline run per spaced cold start


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)]


def baseline_run(directory: str) -> float:
    """One fresh ``python`` process that imports boto3 (through the handler module) and calls the handler."""
    script = "import json, app; print(json.dumps(app.handler({'n': 1}, None)))"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], cwd=directory, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def figures(directory: str) -> tuple[dict, dict]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    with Cloud(seed=1) as cloud:
        role = cloud.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        cloud.client("lambda").create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
        cloud.lambda_.invoke("bench", b"{}")  # starts the shared fork server and warms moto
        cold, spaced, baseline = [], [], []
        for series in (cold, spaced):
            for _ in range(COLD_RUNS):
                if series is spaced:
                    baseline.append(baseline_run(directory))
                cloud.lambda_.close()  # discard warm environments so that the next invoke is a cold start
                started = time.perf_counter()
                result = cloud.lambda_.invoke("bench", b'{"n": 1}')
                series.append((time.perf_counter() - started) * 1000)
                assert result.cold_start and result.function_error is None
        warm = []
        total_started = time.perf_counter()
        for index in range(WARM_RUNS):
            started = time.perf_counter()
            result = cloud.lambda_.invoke("bench", json.dumps({"n": index}).encode())
            warm.append((time.perf_counter() - started) * 1000)
        total_s = time.perf_counter() - total_started
        assert not result.cold_start and result.payload_json() == {"ok": True, "n": WARM_RUNS - 1}
    runtime = {"cold": cold, "spaced": spaced, "warm": warm, "per_s": WARM_RUNS / total_s}
    per_s = 1000 / statistics.mean(baseline)
    return runtime, {"cold": baseline, "spaced": baseline, "warm": baseline, "per_s": per_s}


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(HANDLER)
        runtime, baseline = figures(directory)
    print(f"{'':28}{'runtime':>12}{'baseline':>12}{'ratio':>10}")
    for label, key, fraction in (
        ("cold start p50 (ms)", "cold", 0.5),
        ("cold start p95 (ms)", "cold", 0.95),
        ("spaced cold start p50 (ms)", "spaced", 0.5),
        ("spaced cold start p95 (ms)", "spaced", 0.95),
        ("warm invoke p50 (ms)", "warm", 0.5),
        ("warm invoke p95 (ms)", "warm", 0.95),
    ):
        ours, theirs = percentile(runtime[key], fraction), percentile(baseline[key], fraction)
        print(f"{label:28}{ours:12.2f}{theirs:12.2f}{theirs / ours:9.1f}x")
    print(
        f"{'warm invokes/s':28}{runtime['per_s']:12.0f}{baseline['per_s']:12.1f}{runtime['per_s'] / baseline['per_s']:9.1f}x"
    )
    print(
        f"(cold runs: {COLD_RUNS} back to back, {COLD_RUNS} spaced, each after a baseline run; "
        f"warm runs: {WARM_RUNS}; ratio = baseline / runtime)"
    )


if __name__ == "__main__":
    main()
