"""The bridge between stored questions and the pure quiz core (``spec``, ``grading``): load a question's spec,
grade a response, and build what a student may see before answering (never the answer)."""

from __future__ import annotations

import random

from . import grading, shuffling, spec
from .models import Question, Quiz


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
        view["choices"] = shuffling.ordered(view["choices"], choice_order)
    return view


def shuffled_choice_ids(question: Question, rng: random.Random) -> list[str]:
    """A shuffled order of the question's choices (pinned ones in place); [] for kinds without choices.
    True/false keeps True before False: swapping them only confuses."""
    if question.kind not in {Question.Kind.SINGLE, Question.Kind.MULTIPLE}:
        return []
    return shuffling.shuffled_ids(load_spec(question).public_dict()["choices"], rng)


def check_view(question: Question, *, quiz: Quiz, user) -> dict:
    """The public view of a knowledge-check question for ``user``: when the check shuffles choices, in an
    order seeded by check, student and question, so every visit and every retry shows the same order."""
    if not quiz.shuffle_choices or user is None or not user.is_authenticated:
        return public_view(question)
    rng = shuffling.seeded_rng("check", quiz.id, user.id, question.id)
    return public_view(question, choice_order=shuffled_choice_ids(question, rng))


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
