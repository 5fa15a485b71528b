"""Memory tuning: the student picks a memory size per function and estimates its monthly cost.

What the sandbox can measure and what it cannot: it measures a function's peak memory honestly (an
environment that goes over its memory size fails with Runtime.OutOfMemory), so "does it fit" is checked by
running each function at the chosen size. It cannot measure how duration depends on memory, because CPU
does not scale with memory here as it does on AWS; durations therefore come from MEASUREMENTS, a table of
p95 durations measured on AWS (the kind AWS Lambda Power Tuning produces), and costs from the runtime's
dated price table (labs.runtime.awslambda.pricing)."""

import json
import math

from labs.grading.checks import CheckFailed, check
from labs.runtime.awslambda.pricing import invocation_cost_usd

FILE = "tuning.json"
SIZES = (128, 256, 512, 1024, 1769, 3008)

# p95 duration in ms at each memory size (None: the function ran out of memory), the latency budget (p95,
# ms) and the invocations per month. resize-image is CPU-bound and single-threaded: time halves as memory
# doubles up to one vCPU (1,769 MB), then stops improving. parse-csv peaks at about 155 MB. send-email waits on
# the network, so extra CPU barely helps.
MEASUREMENTS = {
    "resize-image": {
        "durations_ms": {128: 6710, 256: 3340, 512: 1650, 1024: 830, 1769: 492, 3008: 488},
        "budget_ms": 900,
        "invocations_per_month": 2_000_000,
        "allocates_mb": 30,
    },
    "parse-csv": {
        "durations_ms": {128: None, 256: 2100, 512: 1010, 1024: 600, 1769: 560, 3008: 555},
        "budget_ms": 2500,
        "invocations_per_month": 300_000,
        "allocates_mb": 100,
    },
    "send-email": {
        "durations_ms": {128: 180, 256: 140, 512: 130, 1024: 128, 1769: 128, 3008: 127},
        "budget_ms": 250,
        "invocations_per_month": 5_000_000,
        "allocates_mb": 1,
    },
}

# Stand-ins for the three functions: they allocate what the real ones peak at, so the sandbox's memory
# limit bites where AWS's would.
WORKLOAD = """
def handler(event, context):
    block = b"x" * (event["allocate_mb"] * 1024 * 1024)
    return {"bytes": len(block)}
"""


def monthly_cost_usd(function: str, memory_mb: int) -> float:
    """Requests plus GB-seconds for a month, at the p95 duration (billed by the millisecond)."""
    figures = MEASUREMENTS[function]
    duration = figures["durations_ms"][memory_mb]
    return figures["invocations_per_month"] * invocation_cost_usd(math.ceil(duration), memory_mb)


def cheapest_within_budget(function: str) -> int:
    figures = MEASUREMENTS[function]
    fitting = [
        size
        for size, duration in figures["durations_ms"].items()
        if duration is not None and duration <= figures["budget_ms"]
    ]
    return min(fitting, key=lambda size: monthly_cost_usd(function, size))


def setup(lab):
    lab.choices = _choices(lab)


def _choices(lab) -> dict:
    """tuning.json, checked: every function, a measured size and a cost, each problem named by its path."""
    tuning = lab.json_file(FILE)
    if not isinstance(tuning, dict):
        raise CheckFailed(f"{FILE} must be a JSON object with one entry per function")
    choices = {}
    for function in MEASUREMENTS:
        entry = tuning.get(function)
        if not isinstance(entry, dict):
            raise CheckFailed(
                f'{FILE}: $["{function}"] is missing; give {{"memory_mb": ..., "monthly_cost_usd": ...}}'
            )
        memory = entry.get("memory_mb")
        if memory not in SIZES or isinstance(memory, bool):
            raise CheckFailed(
                f'{FILE}: $["{function}"].memory_mb is {json.dumps(memory)}; choose one of the measured sizes {list(SIZES)}'
            )
        cost = entry.get("monthly_cost_usd")
        if isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0:
            raise CheckFailed(
                f'{FILE}: $["{function}"].monthly_cost_usd must be a number of dollars, got {json.dumps(cost)}'
            )
        choices[function] = {"memory_mb": memory, "monthly_cost_usd": float(cost)}
    extra = sorted(set(tuning) - set(MEASUREMENTS))
    if extra:
        raise CheckFailed(f"{FILE}: {extra[0]!r} is not one of the functions ({', '.join(MEASUREMENTS)})")
    return choices


def _is_cheapest(lab, function):
    chosen = lab.choices[function]["memory_mb"]
    figures = MEASUREMENTS[function]
    duration = figures["durations_ms"][chosen]
    lab.require(
        duration is not None and duration <= figures["budget_ms"],
        f"{function} at {chosen} MB does not meet its budget of {figures['budget_ms']} ms "
        f"(measured: {'out of memory' if duration is None else f'{duration} ms'}).",
    )
    best = cheapest_within_budget(function)
    lab.require(
        chosen == best,
        f"{function} at {chosen} MB meets its budget for ${monthly_cost_usd(function, chosen):,.2f} a month, "
        "but another measured size meets it for less. Compute the cost of each size that meets the budget.",
    )


@check("fits_in_memory", "Each function runs at its chosen size without running out of memory", points=2)
def fits_in_memory(lab):
    for function, choice in lab.choices.items():
        lab.deploy_function(
            function,
            handler="app.handler",
            files={"app.py": WORKLOAD},
            memory_mb=choice["memory_mb"],
            actions=[],
            timeout_s=10,
        )
        result = lab.invoke(function, {"allocate_mb": MEASUREMENTS[function]["allocates_mb"]})
        report = next((line for line in result.logs.splitlines() if line.startswith("REPORT")), "")
        lab.require(
            result.ok,
            f"{function} at {choice['memory_mb']} MB failed with {result.error}. Its REPORT line: {report}",
        )


@check("meets_latency_budgets", "Each chosen size meets its function's latency budget", points=2)
def meets_latency_budgets(lab):
    for function, choice in lab.choices.items():
        figures = MEASUREMENTS[function]
        duration = figures["durations_ms"][choice["memory_mb"]]
        lab.require(
            duration is not None and duration <= figures["budget_ms"],
            f"{function} at {choice['memory_mb']} MB: the measured p95 is "
            f"{'out of memory' if duration is None else f'{duration} ms'}, over its budget of "
            f"{figures['budget_ms']} ms.",
        )


@check("monthly_costs", "The monthly cost estimates are right for the chosen sizes", points=2)
def monthly_costs(lab):
    for function, choice in lab.choices.items():
        if MEASUREMENTS[function]["durations_ms"][choice["memory_mb"]] is None:
            raise CheckFailed(
                f"{function} runs out of memory at {choice['memory_mb']} MB: it has no cost to estimate."
            )
        expected = monthly_cost_usd(function, choice["memory_mb"])
        given = choice["monthly_cost_usd"]
        lab.require(
            abs(given - expected) <= max(0.01, expected * 0.01),
            f"{function} at {choice['memory_mb']} MB: you estimated ${given:,.2f} a month. Check the formula: "
            "invocations x ($0.20 per million requests + duration in s x memory in GB x $0.0000166667 per "
            "GB-second), with memory in GB = MB / 1024.",
        )


@check("resize_image_cheapest", "resize-image: the cheapest size that meets its budget", points=2)
def resize_image_cheapest(lab):
    _is_cheapest(lab, "resize-image")


@check("parse_csv_cheapest", "parse-csv: the cheapest size that meets its budget", points=2)
def parse_csv_cheapest(lab):
    _is_cheapest(lab, "parse-csv")


@check("send_email_cheapest", "send-email: the cheapest size that meets its budget", points=1)
def send_email_cheapest(lab):
    _is_cheapest(lab, "send-email")
