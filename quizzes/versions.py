"""Question versions for honest statistics. A question that students have answered and is then edited is a
different question for item analysis: its old answers measured the old text. Canvas splits such versions
silently; we split them and say so (the statistics page and the question editor name the versions).

``question_version_bump`` is called by every write that changes a stored question (``services.question_save``
and the content import) before it saves the new spec."""

from __future__ import annotations

from datetime import datetime
from itertools import count

from django.utils import timezone

from .models import AttemptAnswer, CheckAnswer, Question, QuestionVersion
from .spec import choice_id


def answers_to_current_version(question: Question) -> int:
    """How many quiz and knowledge-check answers the question's current version has."""
    version = question.version
    return (
        AttemptAnswer.objects.filter(question=question, question_version=version).count()
        + CheckAnswer.objects.filter(question=question, question_version=version).count()
    )


def question_version_bump(*, question: Question, new_spec: dict, now: datetime | None = None) -> bool:
    """Before ``question`` (already saved) takes ``new_spec``: when the spec changes and its current version
    has answers, keep the current version as a QuestionVersion and bump ``question.version`` (in memory; the
    caller saves the question). Returns whether a new version started. Unanswered edits stay one version."""
    if question.pk is None or question.spec == new_spec:
        return False
    answers = answers_to_current_version(question)
    if not answers:
        return False
    QuestionVersion.objects.create(
        question=question,
        number=question.version,
        title=question.title,
        spec=question.spec,
        replaced_at=now or timezone.now(),
        answers=answers,
    )
    question.version += 1
    return True


def choice_ids_kept(old_spec: dict, new_spec: dict) -> dict:
    """``new_spec`` with each choice whose text is unchanged keeping its id from ``old_spec``; new choices
    take ids no kept choice uses. Responses store choice ids, and a file format gives ids by position
    (GIFT: "a", "b", ...), so without this, moving the right answer in a content file would silently turn
    every stored answer to it into a different choice."""
    old_ids = {choice.get("text"): choice.get("id") for choice in old_spec.get("choices") or []}
    choices = new_spec.get("choices")
    if not old_ids or not choices:
        return new_spec
    kept = [old_ids.get(choice.get("text")) for choice in choices]
    used = {choice_id for choice_id in kept if choice_id}
    spare = (choice_id(index) for index in count() if choice_id(index) not in used)
    renamed = [dict(choice, id=kept_id or next(spare)) for choice, kept_id in zip(choices, kept, strict=True)]
    return dict(new_spec, choices=renamed)


__all__ = ["answers_to_current_version", "choice_ids_kept", "question_version_bump"]
