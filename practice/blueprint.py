"""The SAA-C03 exam blueprint as plain data, and the pure parts of a practice exam: how many questions each
domain gets, which questions to draw, and the estimated scaled score. No Django here.

Source: AWS Certified Solutions Architect – Associate (SAA-C03) Exam Guide (domains, weights, task
statements; 65 questions in 130 minutes; scaled score 100–1,000, passing score 720; multiple choice has one
right answer of four, multiple response two or more of five or more). AWS does not publish how raw scores map
to the scale (the scaling is equated per exam form); ``scaled_score`` below is our estimate and every page
that shows it says so.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

FULL_QUESTIONS = 65
FULL_MINUTES = 130
SECONDS_PER_QUESTION = FULL_MINUTES * 60 // FULL_QUESTIONS  # 120 s, the full exam's pace
FORMS = (65, 30, 15)  # the full exam and proportional shorter forms a student may pick
SCALE_MIN, SCALE_PASS, SCALE_MAX = 100, 720, 1000
# Our estimate of the raw share that scales to 720; AWS does not publish it.
ESTIMATED_PASS_FRACTION = 0.72


@dataclass(frozen=True)
class Domain:
    key: str
    number: int
    title: str
    weight: float
    tasks: tuple[tuple[str, str], ...]


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "secure",
        1,
        "Design Secure Architectures",
        0.30,
        (
            ("1.1", "Design secure access to AWS resources"),
            ("1.2", "Design secure workloads and applications"),
            ("1.3", "Determine appropriate data security controls"),
        ),
    ),
    Domain(
        "resilient",
        2,
        "Design Resilient Architectures",
        0.26,
        (
            ("2.1", "Design scalable and loosely coupled architectures"),
            ("2.2", "Design highly available and/or fault-tolerant architectures"),
        ),
    ),
    Domain(
        "performance",
        3,
        "Design High-Performing Architectures",
        0.24,
        (
            ("3.1", "Determine high-performing and/or scalable storage solutions"),
            ("3.2", "Design high-performing and elastic compute solutions"),
            ("3.3", "Determine high-performing database solutions"),
            ("3.4", "Determine high-performing and/or scalable network architectures"),
            ("3.5", "Determine high-performing data ingestion and transformation solutions"),
        ),
    ),
    Domain(
        "cost",
        4,
        "Design Cost-Optimized Architectures",
        0.20,
        (
            ("4.1", "Design cost-optimized storage solutions"),
            ("4.2", "Design cost-optimized compute solutions"),
            ("4.3", "Design cost-optimized database solutions"),
            ("4.4", "Design cost-optimized network architectures"),
        ),
    ),
)
DOMAIN_BY_KEY = {domain.key: domain for domain in DOMAINS}
TASKS = {task: (domain.key, title) for domain in DOMAINS for task, title in domain.tasks}


def domain_quotas(total: int) -> dict[str, int]:
    """How many of ``total`` questions each domain gets: its weight, rounded by largest remainder so the
    quotas add up to ``total`` exactly (65 -> 19, 17, 16, 13 for 19.5, 16.9, 15.6, 13)."""
    exact = {domain.key: domain.weight * total for domain in DOMAINS}
    quotas = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(
        exact, key=lambda key: (exact[key] - quotas[key], DOMAIN_BY_KEY[key].weight), reverse=True
    )
    for key in by_remainder[: total - sum(quotas.values())]:
        quotas[key] += 1
    return quotas


def draw_exam(
    pool: Mapping[str, Sequence[int]], seen: Iterable[int], total: int, rng: random.Random
) -> list[int]:
    """Question ids for an exam of ``total``: per domain its quota, unseen questions first (at random), and
    seen ones only once that domain's unseen questions run out (domain proportions come first: a domain
    short of unseen questions repeats some rather than borrow another domain's places). A domain short of questions even with the seen
    ones leaves its place to the other domains' unseen questions, so the exam still has ``total`` when the
    pool can fill it. The result is shuffled, as AWS mixes domains."""
    seen = set(seen)
    quotas = domain_quotas(total)
    chosen: list[int] = []
    spare_unseen: list[int] = []
    spare_seen: list[int] = []
    for key, quota in quotas.items():
        ids = sorted(set(pool.get(key, ())))
        unseen = [qid for qid in ids if qid not in seen]
        old = [qid for qid in ids if qid in seen]
        rng.shuffle(unseen)
        rng.shuffle(old)
        take = unseen[:quota] + old[: max(0, quota - len(unseen))]
        chosen += take
        spare_unseen += unseen[quota:]
        spare_seen += old[max(0, quota - len(unseen)) :]
    missing = total - len(chosen)
    if missing > 0:
        rng.shuffle(spare_unseen)
        rng.shuffle(spare_seen)
        chosen += (spare_unseen + spare_seen)[:missing]
    rng.shuffle(chosen)
    return chosen


def scaled_score(fraction: float) -> int:
    """Our estimate of AWS's scaled score for a raw share of right answers: piecewise linear through
    (0, 100), (ESTIMATED_PASS_FRACTION, 720) and (1, 1000), rounded. Not AWS's scaling."""
    fraction = min(1.0, max(0.0, fraction))
    if fraction <= ESTIMATED_PASS_FRACTION:
        value = SCALE_MIN + (SCALE_PASS - SCALE_MIN) * fraction / ESTIMATED_PASS_FRACTION
    else:
        value = SCALE_PASS + (SCALE_MAX - SCALE_PASS) * (fraction - ESTIMATED_PASS_FRACTION) / (
            1 - ESTIMATED_PASS_FRACTION
        )
    return round(value)


def exam_seconds(total: int) -> int:
    """The time for a form of ``total`` questions, at the full exam's pace (130 minutes for 65)."""
    return total * SECONDS_PER_QUESTION


def question_domain(tags: Iterable[str]) -> tuple[str | None, str | None]:
    """The domain key and task statement a pool question is tagged with (``domain:secure``, ``task:1.2``)."""
    domain = task = None
    for tag in tags:
        if tag.startswith("domain:"):
            domain = tag.removeprefix("domain:")
        elif tag.startswith("task:"):
            task = tag.removeprefix("task:")
    return domain, task


def tagged(tags: Iterable[str], prefix: str) -> str | None:
    """The value of the first ``prefix:value`` tag (``lesson:sqs`` -> ``sqs``), or None."""
    for tag in tags:
        if tag.startswith(f"{prefix}:"):
            return tag.removeprefix(f"{prefix}:")
    return None
