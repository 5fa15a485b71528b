"""EventBridge pattern matching: 100 rules against 100,000 events, ours against moto's implementation.

Both run in this process on the same rules and events (operators moto also supports: exact values, prefix,
anything-but, numeric ranges, exists). moto is slower, so it sees the first ``--moto-events`` events and its rate
is per evaluation; both answers are compared on every evaluation moto made. Target: at least 5x moto.

Run: .venv/bin/python bench/bench_patterns.py [--events 100000] [--moto-events 5000]
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime.eventbridge import compile_pattern  # noqa: E402

SOURCES = ["com.example.orders", "com.example.billing", "aws.s3", "aws.ec2", "com.example.shipping"]
TYPES = [
    "OrderPlaced",
    "OrderCancelled",
    "PaymentFailed",
    "Object Created",
    "EC2 Instance State-change Notification",
]
COUNTRIES = ["DE", "FR", "US", "GB", "JP", "BR", "IN"]
STATES = ["pending", "running", "stopped", "terminated", "initializing"]


def make_rules(rng: random.Random, count: int) -> list[dict]:
    rules = []
    for index in range(count):
        detail: dict = {}
        kind = index % 5
        if kind == 0:
            detail["country"] = rng.sample(COUNTRIES, 2)
        elif kind == 1:
            detail["total"] = [{"numeric": [">", rng.randint(0, 200), "<=", rng.randint(300, 900)]}]
        elif kind == 2:
            detail["state"] = [{"anything-but": rng.sample(STATES, 2)}]
        elif kind == 3:
            detail["order_id"] = [{"prefix": f"o-{rng.randint(1, 9)}"}]
        else:
            detail["coupon"] = [{"exists": rng.random() < 0.5}]
        rule = {"source": [rng.choice(SOURCES)], "detail": detail}
        if index % 3 == 0:
            rule["detail-type"] = [rng.choice(TYPES)]
        rules.append(rule)
    return rules


def make_events(rng: random.Random, count: int) -> list[dict]:
    events = []
    for index in range(count):
        detail = {
            "order_id": f"o-{rng.randint(1, 99999)}",
            "country": rng.choice(COUNTRIES),
            "total": round(rng.uniform(0, 1000), 2),
            "state": rng.choice(STATES),
        }
        if rng.random() < 0.4:
            detail["coupon"] = "SAVE10"
        events.append(
            {
                "version": "0",
                "id": f"{index:08d}",
                "source": rng.choice(SOURCES),
                "detail-type": rng.choice(TYPES),
                "account": "123456789012",
                "region": "us-east-1",
                "time": "2026-11-23T10:00:00Z",
                "resources": [],
                "detail": detail,
            }
        )
    return events


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--moto-events", type=int, default=5_000)
    args = parser.parse_args()
    from moto.events.models import EventPattern

    rng = random.Random(42)  # noqa: S311 - synthetic workload, seeded so runs repeat
    rules = make_rules(rng, args.rules)
    events = make_events(rng, args.events)

    ours = [compile_pattern(rule) for rule in rules]
    started = time.perf_counter()
    our_results = [[pattern.matches(event) for pattern in ours] for event in events]
    our_seconds = time.perf_counter() - started
    our_rate = args.rules * args.events / our_seconds

    theirs = [EventPattern.load(json.dumps(rule)) for rule in rules]
    moto_events = events[: args.moto_events]
    started = time.perf_counter()
    moto_results = [[pattern.matches_event(event) for pattern in theirs] for event in moto_events]
    moto_seconds = time.perf_counter() - started
    moto_rate = args.rules * len(moto_events) / moto_seconds

    compared = sum(len(row) for row in moto_results)
    agree = sum(
        a == b
        for ours_row, moto_row in zip(our_results, moto_results, strict=False)
        for a, b in zip(ours_row, moto_row, strict=True)
    )
    matched = sum(map(sum, our_results))
    print(f"event patterns: {args.rules} rules x {args.events:,} events ({matched:,} matches)")
    print(f"  ours  {our_rate:12,.0f} evaluations/s  ({our_seconds:.2f} s for {args.rules * args.events:,})")
    print(
        f"  moto  {moto_rate:12,.0f} evaluations/s  ({moto_seconds:.2f} s for {compared:,}; first {len(moto_events):,} events)"
    )
    print(f"  ratio {our_rate / moto_rate:.1f}x   agreement with moto {agree:,}/{compared:,}")
    print(f"  target >= 5x moto: {'MET' if our_rate >= 5 * moto_rate else 'NOT MET'}")
    return 0 if agree == compared else 1


if __name__ == "__main__":
    sys.exit(main())
