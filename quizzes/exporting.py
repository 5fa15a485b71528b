"""Export stored questions as GIFT (the inverse of ``services.gift_import``)."""

from . import questions
from .gift import dump_gift


def export_questions(items) -> str:
    return dump_gift([questions.load_spec(question) for question in items])
