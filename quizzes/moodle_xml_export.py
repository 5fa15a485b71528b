"""Writing Moodle XML: ``dump_moodle_xml(questions, files)``, which Moodle's importer and
``quizzes.moodle_xml.read_moodle_xml`` both read back as the same questions.

Each text part says its format (``html``, ``moodle_auto_format``, ``plain_text``, ``markdown``); images
referenced as ``@@FILE@@/<sha256>/<name>`` are embedded as base64 ``<file>`` elements and referenced as
``@@PLUGINFILE@@/<name>``, as Moodle writes them. A multiple-response question scored all or nothing is
written as ``multichoiceset`` (Moodle's All-or-Nothing plugin), the only Moodle type that scores so.
A numeric range ``min..max`` is written as its middle ± half its width (Moodle has no ranges; it reads
GIFT's ``{#1..5}`` the same way), so it comes back in that form.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from .interchange import FILE_REF_PATTERN, BankFile
from .spec import Matching, MultipleResponse, Numeric, QuestionSpec, ShortAnswer, SingleChoice, TrueFalse
from .textformat import PLAIN_PARTS, RICH_PARTS

FORMATS_OUT = {"html": "html", "moodle": "moodle_auto_format", "plain": "plain_text", "markdown": "markdown"}
CATEGORY_PREFIX = "$course$/top"


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


class _Writer:
    def __init__(self, files: Mapping[str, BankFile]):
        self.files = files

    def text(self, parent: ET.Element, tag: str, text: str, text_format: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, tag)
        if text_format is not None:
            element.set("format", FORMATS_OUT[text_format])
        embedded: dict[str, BankFile] = {}

        def to_pluginfile(match) -> str:
            stored = self.files.get(match.group(1))
            if stored is None:
                return match.group(0)
            embedded[stored.name] = stored
            return f"@@PLUGINFILE@@/{stored.name}"

        ET.SubElement(element, "text").text = FILE_REF_PATTERN.sub(to_pluginfile, text)
        for stored in embedded.values():
            file_element = ET.SubElement(element, "file", name=stored.name, path="/", encoding="base64")
            file_element.text = base64.b64encode(stored.data).decode("ascii")
        return element

    def answer(self, parent: ET.Element, fraction: float, text: str, text_format: str, feedback: str):
        answer = self.text(parent, "answer", text, text_format)
        answer.set("fraction", _number(fraction))
        self.text(answer, "feedback", feedback, RICH_PARTS)
        return answer

    def question(self, quiz: ET.Element, question: QuestionSpec) -> None:
        kind = _moodle_type(question)
        element = ET.SubElement(quiz, "question", type=kind)
        name = ET.SubElement(element, "name")
        ET.SubElement(name, "text").text = question.title
        self.text(element, "questiontext", question.stem, question.stem_format)
        self.text(element, "generalfeedback", question.explanation, RICH_PARTS)
        ET.SubElement(element, "defaultgrade").text = "1"
        ET.SubElement(element, "penalty").text = _number(question.penalty)
        ET.SubElement(element, "hidden").text = "0"
        self.kind_parts(element, question)
        for hint in question.hints:
            self.text(element, "hint", hint, RICH_PARTS)
        if question.tags:
            tags = ET.SubElement(element, "tags")
            for tag in question.tags:
                ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag

    def kind_parts(self, element: ET.Element, question: QuestionSpec) -> None:
        if isinstance(question, SingleChoice | MultipleResponse):
            if element.get("type") == "multichoice":
                ET.SubElement(element, "single").text = (
                    "true" if isinstance(question, SingleChoice) else "false"
                )
            # Moodle cannot pin one choice, only stop shuffling the question: a pinned "All of the above"
            # stays in place there by keeping every choice in the author's order.
            pinned = any(choice.pinned for choice in question.choices)
            ET.SubElement(element, "shuffleanswers").text = "false" if pinned else "true"
            ET.SubElement(element, "answernumbering").text = "abc"
            for choice in question.choices:
                self.answer(element, choice.weight, choice.text, PLAIN_PARTS, choice.feedback)
        elif isinstance(question, TrueFalse):
            for value in (True, False):
                right = value == question.answer
                feedback = question.right_feedback if right else question.wrong_feedback
                self.answer(element, 100 if right else 0, "true" if value else "false", "moodle", feedback)
        elif isinstance(question, ShortAnswer):
            ET.SubElement(element, "usecase").text = "1" if question.case_sensitive else "0"
            for answer in question.answers:
                self.answer(element, answer.weight, answer.text, "moodle", answer.feedback)
        elif isinstance(question, Numeric):
            for answer in question.answers:
                if answer.is_range:
                    value = (answer.minimum + answer.maximum) / 2
                    tolerance = (answer.maximum - answer.minimum) / 2
                else:
                    value, tolerance = answer.value, answer.tolerance
                written = self.answer(element, answer.weight, _number(value), "moodle", answer.feedback)
                ET.SubElement(written, "tolerance").text = _number(tolerance)
            if question.wrong_feedback:
                self.answer(element, 0, "*", "moodle", question.wrong_feedback)
        elif isinstance(question, Matching):
            ET.SubElement(element, "shuffleanswers").text = "true"
            sides = [(pair.left, pair.right) for pair in question.pairs]
            for left, right in sides + [("", distractor) for distractor in question.distractors]:
                sub = self.text(element, "subquestion", left, PLAIN_PARTS)
                ET.SubElement(ET.SubElement(sub, "answer"), "text").text = right


def _moodle_type(question: QuestionSpec) -> str:
    if isinstance(question, MultipleResponse) and question.scoring == "all_or_nothing":
        return "multichoiceset"
    types = {
        SingleChoice: "multichoice",
        MultipleResponse: "multichoice",
        TrueFalse: "truefalse",
        ShortAnswer: "shortanswer",
        Numeric: "numerical",
        Matching: "matching",
    }
    if type(question) not in types:
        raise TypeError(f"not a question spec: {type(question).__name__}")
    return types[type(question)]


def dump_moodle_xml(questions: Iterable[QuestionSpec], files: Mapping[str, BankFile] | None = None) -> bytes:
    """A Moodle XML file (UTF-8 bytes) of ``questions``; ``files`` (by sha256) are the images their
    texts reference, embedded where they are used. Raises TypeError for what is not a question spec."""
    quiz = ET.Element("quiz")
    writer, category = _Writer(files or {}), None
    for question in questions:
        if not isinstance(question, QuestionSpec):
            raise TypeError(f"not a question spec: {type(question).__name__}")
        if question.category != category and (category is not None or question.category):
            element = ET.SubElement(quiz, "question", type="category")
            path = f"{CATEGORY_PREFIX}/{question.category}" if question.category else CATEGORY_PREFIX
            ET.SubElement(ET.SubElement(element, "category"), "text").text = path
        category = question.category
        writer.question(quiz, question)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


__all__ = ["dump_moodle_xml"]
