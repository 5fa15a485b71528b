"""Reading Moodle XML (https://docs.moodle.org/en/Moodle_XML_format): ``read_moodle_xml(data) -> Bank``.

Read: categories (``$course$/top/AWS/Lambda`` becomes ``AWS/Lambda``, as in GIFT), name, question text and
its format, general feedback, penalty, hints, tags, and per type:

- ``multichoice`` (``<single>true`` single choice, otherwise multiple response with partial credit) and
  ``multichoiceset`` (the All-or-Nothing plugin: multiple response, all or nothing);
- ``truefalse``, ``shortanswer`` (``<usecase>``), ``numerical`` (value and tolerance; ``*`` is the
  feedback for any other number), ``matching`` (a subquestion without text is a distractor).

Each part is kept in the format it is shown in (``quizzes.textformat``), with a warning for what cannot
be shown (an image in a choice). Images come from base64 ``<file>`` elements and ``@@PLUGINFILE@@/name``
references; only PNG, JPEG, GIF and WebP are kept. Settings we have no place for (combined feedback,
units, hint options) are reported as warnings; essay, calculated, drag-and-drop, cloze and every other
type are reported by name and line and not imported.

The XML is parsed by ``defusedxml``: no DTD, no entity declarations (a billion laughs, an external entity
are refused with a clear message), and at most ``MAX_XML_BYTES``. Every problem in the questions we do
import is collected with its line and raised together in one BankError; then nothing is imported.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import quote

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from .gift import category_from_path
from .interchange import Bank, BankError, BankFile, image_type, safe_file_name
from .spec import (
    Answer,
    Choice,
    Matching,
    MultipleResponse,
    Numeric,
    NumericAnswer,
    Pair,
    QuestionSpec,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    choice_id,
)
from .textformat import PLAIN_PARTS, RICH_PARTS, convert

MAX_XML_BYTES = 20 * 1024 * 1024
FORMATS_IN = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown"}
UNSUPPORTED = {
    "essay": "essay",
    "calculated": "calculated",
    "calculatedsimple": "calculated (simple)",
    "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "gapselect": "select missing words",
    "multianswer": "embedded answers (Cloze)",
    "cloze": "embedded answers (Cloze)",
    "description": "description (no answer)",
    "randomsamatch": "random short-answer matching",
    "random": "random question",
}
PLUGINFILE = "@@PLUGINFILE@@/"


class _LineParser(DefusedXMLParser):
    """defusedxml's parser (no DTD, no entities, no external references) that notes each element's line."""

    def _start(self, *args):
        element = super()._start(*args)
        element.line = self.parser.CurrentLineNumber
        return element


def parse_xml(data: bytes, *, limit: int = MAX_XML_BYTES) -> ET.Element:
    """The root element of ``data``, each element with its ``line``. Raises BankError saying why a file
    is refused: too large, a DTD, an entity (billion laughs, external entity), or malformed XML."""
    if len(data) > limit:
        size, most = len(data) / 1024 / 1024, limit / 1024 / 1024
        raise BankError(0, f"the file is {size:.1f} MB; the limit is {most:.0f} MB")
    parser = _LineParser(forbid_dtd=True)
    try:
        parser.feed(data)
        return parser.close()
    except DTDForbidden:
        raise BankError(
            1,
            "a DTD (<!DOCTYPE>) is not allowed in a question bank: entity declarations and external "
            "references (a billion laughs, a file of the server) are refused unread",
        ) from None
    except DefusedXmlException as exc:  # entities or external references outside a DTD
        raise BankError(1, f"refused unread: {exc}") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise BankError(
            line, f"not well-formed XML (column {column + 1}): {str(exc).split(':')[0]}"
        ) from None


class _Problem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _line(element: ET.Element | None) -> int:
    return getattr(element, "line", 0)


def _child_text(element: ET.Element | None, path: str, default: str = "") -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "") if found is not None else default


class _Question:
    """One ``<question>``: text parts read with their formats and files, warnings collected."""

    def __init__(self, element: ET.Element, bank: Bank, name: str):
        self.element, self.bank, self.name = element, bank, name
        self.line = _line(element)

    def warn(self, element: ET.Element | None, message: str) -> None:
        self.bank.warnings.append((_line(element) or self.line, f"question {self.name!r}: {message}"))

    def raw(self, element: ET.Element | None, default_format: str = "html") -> tuple[str, str]:
        """A text element's ``<text>`` with its images resolved, and its format (ours)."""
        if element is None:
            return "", default_format
        text_format = FORMATS_IN.get(element.get("format", ""), default_format)
        text = _child_text(element, "text")
        for file_element in element.findall("file"):
            text = self._file(file_element, text)
        return text.strip(), text_format

    def _file(self, element: ET.Element, text: str) -> str:
        name = element.get("name", "")
        folder = element.get("path", "/").strip("/")
        full = f"{folder}/{name}" if folder else name
        try:
            data = base64.b64decode((element.text or "").strip().encode("ascii"), validate=False)
        except (binascii.Error, UnicodeEncodeError):
            self.warn(element, f"the file {name!r} is not valid base64 and was left out")
            return text
        content_type = image_type(data)
        if content_type is None:
            self.warn(element, f"the file {name!r} is not a PNG, JPEG, GIF or WebP image and was left out")
            return text
        stored = BankFile(name=safe_file_name(name), content_type=content_type, data=data)
        self.bank.files[stored.sha256] = stored
        for reference in {PLUGINFILE + full, PLUGINFILE + quote(full)}:
            text = text.replace(reference, stored.ref)
        return text

    def part(self, element: ET.Element | None, target: str, what: str, default_format: str) -> str:
        text, text_format = self.raw(element, default_format)
        converted, lost = convert(text, text_format, target)
        if lost:
            kept = "plain text" if target == PLAIN_PARTS else target
            elements = ", ".join(f"<{name}>" for name in lost)
            self.warn(element, f"{what}: {elements} dropped: it is shown as {kept}")
        return converted

    def feedback(self, element: ET.Element | None, what: str) -> str:
        return self.part(element, RICH_PARTS, what, "html")

    def fraction(self, element: ET.Element) -> float:
        raw = element.get("fraction", "0")
        try:
            value = float(raw)
        except ValueError:
            raise _Problem(_line(element), f"fraction={raw!r} is not a number") from None
        return int(value) if value.is_integer() else value


def _common(question: _Question, category: str) -> dict:
    element = question.element
    stem, stem_format = question.raw(element.find("questiontext"))
    penalty_text = _child_text(element, "penalty", "0").strip() or "0"
    try:
        penalty = float(penalty_text)
    except ValueError:
        raise _Problem(_line(element.find("penalty")), f"penalty {penalty_text!r} is not a number") from None
    hints = []
    for i, hint in enumerate(element.findall("hint"), start=1):
        hints.append(question.feedback(hint, f"hint {i}"))
        if hint.find("shownumcorrect") is not None or hint.find("clearwrong") is not None:
            question.warn(hint, f"hint {i}: its options (show the number correct, clear wrong) were left out")
    idnumber = _child_text(element, "idnumber").strip()
    if idnumber:
        question.warn(element.find("idnumber"), f"its ID number {idnumber!r} was left out")
    grade = _child_text(element, "defaultgrade", "1").strip() or "1"
    if grade.replace(".", "", 1).isdigit() and float(grade) != 1:
        question.warn(
            element.find("defaultgrade"),
            f"its default mark {grade} was left out: every question counts the same here",
        )
    for name in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        if _child_text(element, f"{name}/text").strip():
            question.warn(element.find(name), f"<{name}> was left out: we show per-answer feedback only")
    return {
        "title": question.name[:200],
        "stem": stem,
        "stem_format": stem_format,
        "explanation": question.feedback(element.find("generalfeedback"), "general feedback"),
        "category": category,
        "tags": list(dict.fromkeys(t.strip() for t in _texts(element, "tags/tag") if t.strip())),
        "hints": hints,
        "penalty": int(penalty) if penalty.is_integer() else penalty,
    }


def _texts(element: ET.Element, path: str) -> list[str]:
    return [_child_text(found, "text") for found in element.findall(path)]


def _multichoice(question: _Question, common: dict) -> QuestionSpec:
    # Moodle's "Shuffle the choices?" is per question (https://docs.moodle.org/en/Multiple_Choice_question_type);
    # "no" keeps the author's order, which here is every choice pinned.
    fixed = _child_text(question.element, "shuffleanswers", "true").strip().lower() in {"false", "0"}
    choices = []
    for i, answer in enumerate(question.element.findall("answer")):
        choices.append(
            Choice(
                id=choice_id(i),
                text=question.part(answer, PLAIN_PARTS, f"answer {i + 1}", "html"),
                weight=question.fraction(answer),
                feedback=question.feedback(answer.find("feedback"), f"answer {i + 1}, feedback"),
                pinned=fixed,
            )
        )
    kind = question.element.get("type")
    if kind == "multichoiceset":
        return MultipleResponse(**common, choices=choices, scoring="all_or_nothing")
    if _child_text(question.element, "single", "true").strip().lower() in {"true", "1"}:
        return SingleChoice(**common, choices=choices)
    return MultipleResponse(**common, choices=choices, scoring="partial")


def _truefalse(question: _Question, common: dict) -> TrueFalse:
    by_value: dict[bool, tuple[float, str]] = {}
    for answer in question.element.findall("answer"):
        value = _child_text(answer, "text").strip().lower()
        if value not in {"true", "false"}:
            raise _Problem(_line(answer), f"a true/false answer is 'true' or 'false', not {value!r}")
        feedback = question.feedback(answer.find("feedback"), f"the answer {value!r}, feedback")
        by_value[value == "true"] = (question.fraction(answer), feedback)
    if set(by_value) != {True, False}:
        raise _Problem(question.line, "a true/false question needs a 'true' and a 'false' answer")
    right = by_value[True][0] >= by_value[False][0]
    return TrueFalse(
        **common, answer=right, right_feedback=by_value[right][1], wrong_feedback=by_value[not right][1]
    )


def _shortanswer(question: _Question, common: dict) -> ShortAnswer:
    answers = [
        Answer(
            text=_child_text(answer, "text").strip(),
            weight=question.fraction(answer),
            feedback=question.feedback(answer.find("feedback"), f"answer {i}, feedback"),
        )
        for i, answer in enumerate(question.element.findall("answer"), start=1)
    ]
    case = _child_text(question.element, "usecase", "0").strip() == "1"
    return ShortAnswer(**common, answers=answers, case_sensitive=case)


def _number(question: _Question, element: ET.Element | None, raw: str, what: str) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        raise _Problem(_line(element) or question.line, f"{what} {raw.strip()!r} is not a number") from None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _numerical(question: _Question, common: dict) -> Numeric:
    answers, wrong_feedback = [], ""
    for i, answer in enumerate(question.element.findall("answer"), start=1):
        feedback = question.feedback(answer.find("feedback"), f"answer {i}, feedback")
        text = _child_text(answer, "text").strip()
        if text == "*":  # Moodle's "any other answer"
            wrong_feedback = feedback
            if question.fraction(answer):
                question.warn(answer, "the '*' answer earned marks; here any other number earns none")
            continue
        answers.append(
            NumericAnswer(
                value=_number(question, answer, text, "the answer"),
                tolerance=abs(
                    _number(question, answer, _child_text(answer, "tolerance", "0") or "0", "tolerance")
                ),
                weight=question.fraction(answer),
                feedback=feedback,
            )
        )
    if question.element.find("units/unit") is not None:
        question.warn(question.element.find("units"), "units were left out: answers are plain numbers")
    return Numeric(**common, answers=answers, wrong_feedback=wrong_feedback)


def _matching(question: _Question, common: dict) -> Matching:
    pairs, distractors = [], []
    for i, sub in enumerate(question.element.findall("subquestion"), start=1):
        left = question.part(sub, PLAIN_PARTS, f"subquestion {i}", "html")
        right = _child_text(sub, "answer/text").strip()
        if left:
            pairs.append(Pair(left=left, right=right))
        else:
            distractors.append(right)
    return Matching(**common, pairs=pairs, distractors=distractors)


READERS: dict[str, Callable[[_Question, dict], QuestionSpec]] = {
    "multichoice": _multichoice,
    "multichoiceset": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
}


def read_moodle_xml(data: bytes, *, limit: int = MAX_XML_BYTES) -> Bank:
    """Every supported question of a Moodle XML file, validated. Raises BankError listing every problem
    with its line; then nothing is returned."""
    root = parse_xml(data, limit=limit)
    if root.tag != "quiz":
        raise BankError(_line(root), f"a Moodle XML file starts with <quiz>, not <{root.tag}>")
    bank, errors, category = Bank(), [], ""
    for element in root:
        if element.tag != "question":
            continue
        kind = element.get("type", "")
        if kind == "category":
            category = category_from_path(_child_text(element, "category/text"))
            continue
        name = (
            _child_text(element, "name/text").strip().replace("\n", " ")
            or f"question at line {_line(element)}"
        )
        if kind not in READERS:
            label = UNSUPPORTED.get(kind, "an unknown type")
            bank.warnings.append(
                (
                    _line(element),
                    f"question {name!r} is {label} ({kind!r}), which we do not have: not imported",
                )
            )
            continue
        question = _Question(element, bank, name)
        try:
            spec = READERS[kind](question, _common(question, category))
        except _Problem as problem:
            errors.append((problem.line, f"question {name!r}: {problem.message}"))
            continue
        errors.extend(
            (question.line, f"question {name!r}: {field}: {message}") for field, message in spec.problems()
        )
        bank.questions.append(spec)
        bank.lines.append(question.line)
    if errors:
        raise BankError(*errors[0], errors=errors)
    bank.warnings.sort(key=lambda warning: warning[0])
    return bank


__all__ = ["MAX_XML_BYTES", "UNSUPPORTED", "parse_xml", "read_moodle_xml"]
