"""Writing a quiz as an IMS QTI 1.2 package in the shape Canvas exports and imports (a ZIP with
``imsmanifest.xml``, ``<id>/<id>.xml`` holding ``<questestinterop>``, ``<id>/assessment_meta.xml`` and the
images under ``web_resources/``): ``dump_qti(questions, files, title=...) -> bytes``.

Canvas reads each item's ``question_type`` (``multiple_choice_question``, ``multiple_answers_question``,
``true_false_question``, ``short_answer_question``, ``numerical_question``, ``matching_question``), the
texts as HTML, the right answers from ``<resprocessing>`` and feedback from ``<itemfeedback>``. What
Canvas has no place for (partial weights, a Markdown source, hints, penalty, category, tags) travels in
one more metadata field, ``serverless_learning_spec`` (the question's JSON), which Canvas skips and our
reader uses when it agrees with the item, so a round trip through our own export keeps every field.
No maintained Python library writes Canvas's QTI dialect from data (text2qti compiles its own text
format), so the XML is written here with ElementTree, which escapes every text.
"""

from __future__ import annotations

import html
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Mapping

import markdown

from .interchange import FILE_REF_PATTERN, BankFile
from .spec import Matching, MultipleResponse, Numeric, QuestionSpec, ShortAnswer, SingleChoice, TrueFalse

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
SPEC_FIELD = "serverless_learning_spec"
FILEBASE = "$IMS-CC-FILEBASE$/"
QUESTION_TYPES = {
    SingleChoice: "multiple_choice_question",
    MultipleResponse: "multiple_answers_question",
    TrueFalse: "true_false_question",
    ShortAnswer: "short_answer_question",
    Numeric: "numerical_question",
    Matching: "matching_question",
}


def to_html(text: str, text_format: str) -> str:
    """A text part as the HTML Canvas shows."""
    if not text:
        return ""
    if text_format == "html":
        return text
    if text_format == "markdown":
        return markdown.markdown(text, extensions=["fenced_code", "tables"])
    escaped = html.escape(text) if text_format == "plain" else text
    return escaped.replace("\n", "<br>\n")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


class _Item:
    def __init__(
        self, section: ET.Element, question: QuestionSpec, index: int, files: Mapping[str, BankFile]
    ):
        self.question, self.files, self.used = question, files, {}
        self.ident = f"q{index}"
        self.item = ET.SubElement(section, "item", ident=self.ident, title=question.title)
        self.feedback: list[tuple[str, str]] = []

    def html(self, text: str, text_format: str) -> str:
        def to_filebase(match) -> str:
            stored = self.files.get(match.group(1))
            if stored is None:
                return match.group(0)
            self.used[stored.sha256] = stored
            return FILEBASE + stored.name

        return FILE_REF_PATTERN.sub(to_filebase, to_html(text, text_format))

    def material(self, parent: ET.Element, text: str, text_format: str = "plain") -> None:
        material = ET.SubElement(parent, "material")
        ET.SubElement(material, "mattext", texttype="text/html").text = self.html(text, text_format)

    def metadata(self, answer_ids: list[str]) -> None:
        fields = {
            "question_type": QUESTION_TYPES[type(self.question)],
            "points_possible": "1",
            "original_answer_ids": ",".join(answer_ids),
            "assessment_question_identifierref": f"{self.ident}_ref",
            SPEC_FIELD: json.dumps(self.question.to_dict(), ensure_ascii=False, sort_keys=True),
        }
        qtimetadata = ET.SubElement(ET.SubElement(self.item, "itemmetadata"), "qtimetadata")
        for label, entry in fields.items():
            field = ET.SubElement(qtimetadata, "qtimetadatafield")
            ET.SubElement(field, "fieldlabel").text = label
            ET.SubElement(field, "fieldentry").text = entry

    def condition(
        self, processing: ET.Element, tests: list[ET.Element], score: str | None, feedback: str = ""
    ):
        condition = ET.SubElement(processing, "respcondition", attrib={"continue": "No" if score else "Yes"})
        variables = ET.SubElement(condition, "conditionvar")
        for test in tests:
            variables.append(test)
        if score is not None:
            ET.SubElement(
                condition, "setvar", action="Set" if score == "100" else "Add", varname="SCORE"
            ).text = score
        if feedback:
            ET.SubElement(condition, "displayfeedback", feedbacktype="Response", linkrefid=feedback)

    def add_feedback(self, ident: str, text: str) -> str:
        if text:
            self.feedback.append((ident, text))
            return ident
        return ""

    def finish(self) -> None:
        for ident, text in self.feedback:
            flow = ET.SubElement(ET.SubElement(self.item, "itemfeedback", ident=ident), "flow_mat")
            self.material(flow, text, "markdown")


def _test(tag: str, respident: str, value: str) -> ET.Element:
    element = ET.Element(tag, respident=respident)
    element.text = value
    return element


def _processing(item: _Item) -> ET.Element:
    processing = ET.SubElement(item.item, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    if item.question.explanation:
        other = ET.Element("other")
        item.condition(processing, [other], None, item.add_feedback("general_fb", item.question.explanation))
    return processing


def _choices(
    item: _Item,
    presentation: ET.Element,
    choices: list[tuple[str, str]],
    cardinality: str,
    pinned=frozenset(),
) -> None:
    response = ET.SubElement(presentation, "response_lid", ident="response1", rcardinality=cardinality)
    render = ET.SubElement(response, "render_choice")
    for ident, text in choices:
        # QTI 1.2 marks a label that must not move when the choices are shuffled with rshuffle="No".
        label = ET.SubElement(
            render, "response_label", ident=ident, **({"rshuffle": "No"} if ident in pinned else {})
        )
        item.material(label, text)


def _write_item(item: _Item) -> None:
    question = item.question
    presentation = ET.SubElement(item.item, "presentation")
    item.material(presentation, question.stem, question.stem_format)
    if isinstance(question, TrueFalse):
        labels = [("true", "True"), ("false", "False")]
        item.metadata([ident for ident, _ in labels])
        _choices(item, presentation, labels, "Single")
        processing = _processing(item)
        right = "true" if question.answer else "false"
        for ident, _ in labels:
            text = question.right_feedback if ident == right else question.wrong_feedback
            score = "100" if ident == right else None
            item.condition(
                processing,
                [_test("varequal", "response1", ident)],
                score,
                item.add_feedback(f"{ident}_fb", text),
            )
    elif isinstance(question, SingleChoice | MultipleResponse):
        single = isinstance(question, SingleChoice)
        item.metadata([choice.id for choice in question.choices])
        _choices(
            item,
            presentation,
            [(c.id, c.text) for c in question.choices],
            "Single" if single else "Multiple",
            pinned={c.id for c in question.choices if c.pinned},
        )
        processing = _processing(item)
        for choice in question.choices:
            link = item.add_feedback(f"{choice.id}_fb", choice.feedback)
            if link:
                item.condition(processing, [_test("varequal", "response1", choice.id)], None, link)
        if single:
            right = next(c.id for c in question.choices if c.weight == 100)
            item.condition(processing, [_test("varequal", "response1", right)], "100")
        else:
            both = ET.Element("and")
            for choice in question.choices:
                test = _test("varequal", "response1", choice.id)
                if choice.weight > 0:
                    both.append(test)
                else:
                    ET.SubElement(both, "not").append(test)
            item.condition(processing, [both], "100")
    elif isinstance(question, ShortAnswer):
        item.metadata([f"a{i}" for i, _ in enumerate(question.answers)])
        response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
        ET.SubElement(ET.SubElement(response, "render_fib"), "response_label", ident="answer1", rshuffle="No")
        processing = _processing(item)
        for i, answer in enumerate(question.answers):
            link = item.add_feedback(f"a{i}_fb", answer.feedback)
            if link:
                item.condition(processing, [_test("varequal", "response1", answer.text)], None, link)
        right = [_test("varequal", "response1", a.text) for a in question.answers if a.weight == 100]
        item.condition(processing, right, "100")
    elif isinstance(question, Numeric):
        _write_numeric(item, presentation)
    elif isinstance(question, Matching):
        _write_matching(item, presentation)
    item.finish()


def _write_numeric(item: _Item, presentation: ET.Element) -> None:
    question = item.question
    item.metadata([f"a{i}" for i, _ in enumerate(question.answers)])
    response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    ET.SubElement(ET.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = _processing(item)
    for i, answer in enumerate(question.answers):
        if answer.weight != 100:
            continue  # Canvas gives full marks or none: partial answers travel in the spec field only
        if answer.is_range:
            tests = [
                _test("vargte", "response1", _number(answer.minimum)),
                _test("varlte", "response1", _number(answer.maximum)),
            ]
        else:
            either = ET.Element("or")
            either.append(_test("varequal", "response1", _number(answer.value)))
            both = ET.SubElement(either, "and")
            both.append(_test("vargte", "response1", _number(answer.value - answer.tolerance)))
            both.append(_test("varlte", "response1", _number(answer.value + answer.tolerance)))
            tests = [either]
        item.condition(processing, tests, "100", item.add_feedback(f"a{i}_fb", answer.feedback))
    if question.wrong_feedback:
        item.condition(
            processing,
            [ET.Element("other")],
            None,
            item.add_feedback("general_incorrect_fb", question.wrong_feedback),
        )


def _write_matching(item: _Item, presentation: ET.Element) -> None:
    question = item.question
    rights = question.rights()
    right_ids = {right: f"r{i}" for i, right in enumerate(rights)}
    item.metadata([f"m{i}" for i, _ in enumerate(question.pairs)])
    for i, pair in enumerate(question.pairs):
        response = ET.SubElement(presentation, "response_lid", ident=f"response_m{i}")
        item.material(response, pair.left)
        render = ET.SubElement(response, "render_choice")
        for right in rights:
            item.material(ET.SubElement(render, "response_label", ident=right_ids[right]), right)
    processing = _processing(item)
    share = _number(round(100 / len(question.pairs), 4)) if question.pairs else "0"
    for i, pair in enumerate(question.pairs):
        item.condition(processing, [_test("varequal", f"response_m{i}", right_ids[pair.right])], share)


def _manifest(ident: str, title: str, files: Iterable[BankFile]) -> bytes:
    manifest = ET.Element(
        "manifest", identifier=f"{ident}_manifest", xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
    )
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    quiz = ET.SubElement(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
    ET.SubElement(quiz, "file", href=f"{ident}/{ident}.xml")
    ET.SubElement(quiz, "dependency", identifierref=f"{ident}_meta")
    meta = ET.SubElement(
        resources,
        "resource",
        identifier=f"{ident}_meta",
        type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
        href=f"{ident}/assessment_meta.xml",
    )
    ET.SubElement(meta, "file", href=f"{ident}/assessment_meta.xml")
    for stored in files:
        path = f"web_resources/{stored.name}"
        resource = ET.SubElement(
            resources, "resource", identifier=f"file_{stored.sha256[:16]}", type="webcontent", href=path
        )
        ET.SubElement(resource, "file", href=path)
    ET.indent(manifest)
    return ET.tostring(manifest, encoding="utf-8", xml_declaration=True)


def _assessment_meta(ident: str, title: str) -> bytes:
    quiz = ET.Element("quiz", identifier=ident, xmlns="http://canvas.instructure.com/xsd/cccv1p0")
    ET.SubElement(quiz, "title").text = title
    ET.SubElement(quiz, "description").text = ""
    ET.SubElement(quiz, "quiz_type").text = "assignment"
    ET.SubElement(quiz, "points_possible").text = "1"
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True)


def dump_qti(
    questions: Iterable[QuestionSpec], files: Mapping[str, BankFile] | None = None, *, title: str
) -> bytes:
    """A QTI 1.2 package (ZIP bytes) with ``questions`` as one Canvas quiz named ``title``. Raises
    TypeError for what is not a question spec."""
    ident = "serverless_learning_quiz"
    root = ET.Element("questestinterop", xmlns=QTI_NS)
    section = ET.SubElement(
        ET.SubElement(root, "assessment", ident=ident, title=title), "section", ident="root_section"
    )
    used: dict[str, BankFile] = {}
    for index, question in enumerate(questions, start=1):
        if type(question) not in QUESTION_TYPES:
            raise TypeError(f"not a question spec: {type(question).__name__}")
        item = _Item(section, question, index, files or {})
        _write_item(item)
        used.update(item.used)
    ET.indent(root)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("imsmanifest.xml", _manifest(ident, title, used.values()))
        package.writestr(f"{ident}/{ident}.xml", ET.tostring(root, encoding="utf-8", xml_declaration=True))
        package.writestr(f"{ident}/assessment_meta.xml", _assessment_meta(ident, title))
        for stored in used.values():
            package.writestr(f"web_resources/{stored.name}", stored.data)
    return buffer.getvalue()


__all__ = ["SPEC_FIELD", "dump_qti", "to_html"]
