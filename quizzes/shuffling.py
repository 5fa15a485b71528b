"""The order a student sees a question's choices in. Plain functions over the public view's choice dicts.

Moodle shuffles choices by default ("Shuffle within questions"), so students cannot learn "the first one is
right"; an author pins a choice such as "All of the above" so it keeps its place. Orders are stored per
attempt (``Attempt.choice_orders``) or derived from a stable seed (knowledge checks), so a reload, an
autosave or the review shows the same order. Responses are always choice ids, never positions, so grading,
review, item analysis and exports never depend on the order shown.

Where choices are shuffled (``Quiz.shuffle_choices``, on by default):
- graded quizzes: per attempt, stored with the attempt;
- practice exams: per exam attempt, always;
- knowledge checks: per student and question (seeded), the same on every visit;
- live polls: never. The projected screen and every phone show the same order, so a class can talk about
  "the second answer"; Kahoot does the same.
"""

from __future__ import annotations

import random


def shuffled_ids(choices: list[dict], rng: random.Random) -> list[str]:
    """The choice ids in a random order in which every pinned choice (``"pinned": True``) keeps its
    position in the source; the others are shuffled among the remaining places."""
    loose = [choice["id"] for choice in choices if not choice.get("pinned")]
    rng.shuffle(loose)
    shuffled = iter(loose)
    return [choice["id"] if choice.get("pinned") else next(shuffled) for choice in choices]


def seeded_rng(*parts: object) -> random.Random:
    """A random source that gives the same sequence for the same parts, in every process (string seeds
    are hashed with SHA-512 by ``random.seed``, not with Python's per-process ``hash``)."""
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311 (not security-sensitive)


def ordered(choices: list[dict], order: list[str] | None) -> list[dict]:
    """``choices`` in ``order`` (a list of their ids). Choices the order does not know (added to the
    question after the order was drawn) follow in source order; ids that no longer exist are skipped."""
    if not order:
        return list(choices)
    by_id = {choice["id"]: choice for choice in choices}
    listed = [by_id[choice_id] for choice_id in order if choice_id in by_id]
    known = set(order)
    return listed + [choice for choice in choices if choice["id"] not in known]


__all__ = ["ordered", "seeded_rng", "shuffled_ids"]
