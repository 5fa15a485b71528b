"""The bridge between stored questions and the pure quiz core (``spec``, ``grading``): load a question's spec,
grade a response, and build what a student may see before answering (never the answer)."""

from __future__ import annotations

import random

from . import grading, spec
from .models import Question


def load_spec(question: Question):
    return spec.from_dict(question.spec)


def grade_response(question: Question, response):
    """Grade on the server. Raises grading.ResponseError for a response the question cannot take."""
    return grading.grade(load_spec(question), response)


def public_view(question: Question, *, choice_order: list[str] | None = None) -> dict:
    """The question as a student may see it before answering: stem, choices (in ``choice_order`` when given),
    matching sides. No correctness, weights, feedback or explanation."""
    view = load_spec(question).public_dict()
    if choice_order and view.get("choices"):
        by_id = {choice["id"]: choice for choice in view["choices"]}
        view["choices"] = [by_id[choice_id] for choice_id in choice_order if choice_id in by_id]
    return view


def shuffled_choice_ids(question: Question, rng: random.Random) -> list[str]:
    ids = [choice["id"] for choice in load_spec(question).public_dict().get("choices", [])]
    rng.shuffle(ids)
    return ids


def answer_feedback(question: Question, response) -> dict:
    """What the feedback after an answer names: for a multiple-response question one line per chosen choice
    (its text, whether it is a right one, its feedback), so "Yes." and "No: …" say which choice they are
    about; and whether the question gives partial credit, so a partial score is worth showing."""
    question_spec = load_spec(question)
    partial = isinstance(question_spec, spec.Matching) or (
        isinstance(question_spec, spec.MultipleResponse) and question_spec.scoring == "partial"
    )
    choices = []
    if isinstance(question_spec, spec.MultipleResponse) and isinstance(response, list | tuple):
        chosen = set(response)
        choices = [
            {"text": choice.text, "right": choice.weight > 0, "feedback": choice.feedback}
            for choice in question_spec.choices
            if choice.id in chosen
        ]
    return {"choices": choices, "partial_credit": partial}
