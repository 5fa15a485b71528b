"""Item analysis, as Moodle's quiz statistics: per question, the facility index, the discrimination index,
the number of attempts and the share of students who picked each choice; per quiz, Cronbach's alpha.

Definitions (``analyse`` below, pure and testable without a database):

- an *attempt* is a mapping item -> marks earned; every item has a maximum mark (``max_marks``, 1 for quiz
  questions, a check's points for lab checks);
- **facility** of an item: the mean of its marks over the attempts that contain it, as a fraction of its
  maximum (0 = nobody, 1 = everybody got it);
- **discrimination** of an item: Pearson's correlation, over the attempts that contain it, between the item's
  marks and the *rest of the test* (the attempt's total minus this item), so an item is not correlated with
  itself. ``None`` when undefined: fewer than two attempts, or no variance in either series;
- **Cronbach's alpha**: k/(k-1) * (1 - sum of the items' variances / variance of the totals), with
  population variances, over attempts that all contain the same k >= 2 items. ``None`` when undefined:
  attempts drew different questions, fewer than two items or attempts, or the totals have no variance.

An item is ``(question_id, version)`` for quizzes (quizzes/versions.py: an answered question that is edited
starts a new version, and the versions are analysed apart) and a check id for labs.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

# When an item is flagged on the authoring pages (Moodle colours similar ranges).
FACILITY_LOW = 0.1  # almost nobody gets it: wrong key, or too hard
FACILITY_HIGH = 0.9  # almost everybody gets it: tells students apart poorly
DISCRIMINATION_LOW = 0.2  # below this the item hardly separates strong from weak students


@dataclass(frozen=True)
class ItemStatistics:
    item: Hashable
    n: int
    facility: float | None
    discrimination: float | None

    @property
    def flags(self) -> list[str]:
        """Why an instructor should look at this item, in words; empty when nothing stands out."""
        found = []
        if self.facility is not None and self.facility <= FACILITY_LOW:
            found.append("facility near 0: almost nobody gets it (check the key)")
        if self.facility is not None and self.facility >= FACILITY_HIGH:
            found.append("facility near 1: almost everybody gets it")
        if self.discrimination is not None and self.discrimination < 0:
            found.append("negative discrimination: weaker students do better on it")
        elif self.discrimination is not None and self.discrimination < DISCRIMINATION_LOW:
            found.append("low discrimination")
        return found


@dataclass(frozen=True)
class Analysis:
    attempts: int
    cronbach_alpha: float | None
    items: dict[Hashable, ItemStatistics] = field(default_factory=dict)


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    """Population variance (divides by n)."""
    centre = mean(values)
    return math.fsum((value - centre) ** 2 for value in values) / len(values)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation of two equally long series; None with fewer than two pairs or no variance."""
    if len(xs) != len(ys):
        raise ValueError("series of different lengths")
    if len(xs) < 2:
        return None
    mean_x, mean_y = mean(xs), mean(ys)
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    syy = math.fsum((y - mean_y) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def cronbach_alpha(attempts: Sequence[Mapping[Hashable, float]]) -> float | None:
    """Cronbach's alpha over attempts that hold the same items; None where undefined (module docstring)."""
    if len(attempts) < 2:
        return None
    items = set(attempts[0])
    if len(items) < 2 or any(set(attempt) != items for attempt in attempts):
        return None
    k = len(items)
    totals = [math.fsum(attempt.values()) for attempt in attempts]
    total_variance = variance(totals)
    if total_variance <= 1e-12:
        return None
    item_variances = math.fsum(variance([attempt[item] for attempt in attempts]) for item in items)
    return k / (k - 1) * (1 - item_variances / total_variance)


def analyse(
    attempts: Sequence[Mapping[Hashable, float]], max_marks: Mapping[Hashable, float] | None = None
) -> Analysis:
    """Item statistics of ``attempts`` (each a mapping item -> marks earned; an item missing from an attempt
    was not in it). ``max_marks`` gives each item's maximum (default 1)."""
    max_marks = max_marks or {}
    by_item: dict[Hashable, tuple[list[float], list[float]]] = {}
    for attempt in attempts:
        total = math.fsum(attempt.values())
        for item, marks in attempt.items():
            own, rest = by_item.setdefault(item, ([], []))
            own.append(marks)
            rest.append(total - marks)
    items = {}
    for item, (own, rest) in by_item.items():
        maximum = max_marks.get(item, 1.0)
        items[item] = ItemStatistics(
            item=item,
            n=len(own),
            facility=mean(own) / maximum if maximum else None,
            discrimination=pearson(own, rest),
        )
    return Analysis(attempts=len(attempts), cronbach_alpha=cronbach_alpha(attempts), items=items)


def choice_shares(responses: Sequence[object], choice_ids: Sequence[str]) -> dict[str, float]:
    """Per choice id, the share of ``responses`` that picked it (a response is a choice id, a list of them,
    a bool for true/false, or None when unanswered). Shares of a multiple-response question can add up to
    more than 1."""
    if not responses:
        return {choice: 0.0 for choice in choice_ids}
    counts = dict.fromkeys(choice_ids, 0)
    for response in responses:
        picked = response if isinstance(response, list) else [response]
        for choice in set(map(_choice_key, picked)):
            if choice in counts:
                counts[choice] += 1
    return {choice: count / len(responses) for choice, count in counts.items()}


def _choice_key(response: object) -> object:
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, str) and response.strip().lower() in {"true", "false"}:
        return response.strip().lower()
    return response


__all__ = [
    "Analysis",
    "ItemStatistics",
    "analyse",
    "choice_shares",
    "cronbach_alpha",
    "pearson",
    "variance",
]
