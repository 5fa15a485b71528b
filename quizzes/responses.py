"""Turn a submitted form into a response the grader takes, per question kind. Shapes (see quizzes.grading):
single / truefalse -> choice id; multiple -> list of choice ids; short / numeric -> text;
matching -> {left: right}. A missing answer is ``None`` (the view asks the student to answer)."""

from __future__ import annotations

from django.http import QueryDict


def response_from_post(kind: str, data: QueryDict, view: dict):
    if kind in {"single", "truefalse"}:
        value = data.get("response", "").strip()
        return value or None
    if kind == "multiple":
        values = [value for value in data.getlist("response") if value]
        return values or None
    if kind in {"short", "numeric"}:
        value = data.get("response", "").strip()[:500]
        return value or None
    if kind == "matching":
        pairs = {}
        for index, left in enumerate(view.get("lefts", [])):
            right = data.get(f"match-{index}", "").strip()
            if right:
                pairs[left] = right
        return pairs or None
    raise ValueError(f"unknown question kind {kind!r}")
