"""Export stored questions as GIFT, Moodle XML or a QTI package (the inverse of ``services.gift_import`` and
``services.bank_import``)."""

import json

from . import questions
from .files import url_prefix, with_file_refs
from .gift import dump_gift
from .moodle_xml_export import dump_moodle_xml
from .qti_export import dump_qti
from .spec import from_dict


def export_questions(items) -> str:
    """GIFT text of the questions. GIFT cannot carry images: when some questions show imported images, a
    comment at the top says which (Moodle and our reader skip comments) and points to Moodle XML."""
    items = list(items)
    mark = url_prefix()
    pictured = [question.title for question in items if mark in json.dumps(question.spec)]
    text = dump_gift([questions.load_spec(question) for question in items])
    if pictured:
        names = "; ".join(pictured)
        note = f"// GIFT cannot carry images; these questions show some: {names}. Export Moodle XML to keep them."
        text = f"{note}\n\n{text}"
    return text


def export_moodle_xml(items) -> bytes:
    """Moodle XML of the questions, with the images they show embedded."""
    specs, files = [], {}
    for question in items:
        data, found = with_file_refs(question.spec)
        specs.append(from_dict(data))
        files.update(found)
    return dump_moodle_xml(specs, files)


def export_qti(items, *, title: str) -> bytes:
    """A QTI 1.2 package for Canvas with the questions as one quiz, images included."""
    specs, files = [], {}
    for question in items:
        data, found = with_file_refs(question.spec)
        specs.append(from_dict(data))
        files.update(found)
    return dump_qti(specs, files, title=title)
