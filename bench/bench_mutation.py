"""Mutation testing of every lab's grader: each lab's solution is mutated (labs/grading/mutation.py) and
every mutant graded as a submission. Prints one row per lab (killed / survived / equivalent / crashed,
the score and the time it took) and each survivor's diff; exits 1 when a non-equivalent mutant survived or
crashed. Takes minutes: not part of the test suite.

    .venv/bin/python bench/bench_mutation.py [--seed N] [--count N] [SLUG ...]   (or: make mutate)
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.grading import grade, load_catalog  # noqa: E402
from labs.grading.mutation import DEFAULT_COUNT, DEFAULT_SEED, mutate_lab  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="Only these labs (default: the whole catalog).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    options = parser.parse_args()
    labs = [lab for lab in load_catalog() if not options.slugs or lab.slug in options.slugs]
    rows, gaps = [], []
    for lab in labs:
        started = time.perf_counter()
        report = mutate_lab(lab, grade, seed=options.seed, count=options.count or None)
        figures = report.as_dict()
        rows.append((lab.slug, figures, time.perf_counter() - started))
        gaps += [(lab.slug, r) for r in report.results if r["status"] in ("survived", "crashed")]
        print(f"{lab.slug}: {figures['killed']}/{figures['mutants']} killed", flush=True)
    print(f"\nseed {options.seed}, count {options.count}")
    print("| lab | mutants (of) | killed | survived | equivalent | crashed | score | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for slug, f, seconds in rows:
        print(
            f"| {slug} | {f['mutants']} ({f['candidates']}) | {f['killed']} | {f['survived']} | "
            f"{f['equivalent']} | {f['crashed']} | {f['score']:.0%} | {seconds:.0f} |"
        )
    for slug, result in gaps:
        print(f"\n{result['status'].upper()} {slug}: {result['id']}\n  {result.get('message', '')}")
        print(result["diff"])
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
