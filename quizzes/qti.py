"""Reading QTI 1.2 as Canvas exports it (a quiz's "Export quiz" ZIP, a course export's QTI files, or
one ``<questestinterop>`` XML file): ``read_qti(data) -> Bank``.

Items are read by their ``question_type`` metadata (or, in a course export's Common Cartridge QTI, their
``cc_profile``): multiple choice, multiple answers (Canvas's partial
credit: each right choice earns an equal share, each wrong one costs as much), true/false, short answer
(fill in the blank), numerical (exact with a margin, or a range) and matching. Texts are HTML: the stem
stays HTML, choices become plain text and feedback Markdown (``quizzes.textformat``), with warnings for
what cannot be shown. Canvas's neutral comments are the general feedback; its "correct" and "incorrect"
comments have no place here and are reported. Essays, file uploads, formula, fill-in-multiple-blanks,
dropdowns and text-only items are reported by file, line and title, and not imported. An item we
exported carries ``serverless_learning_spec`` (see ``quizzes.qti_export``); when it agrees with the item,
it is used, so every field comes back.

A ZIP is checked before it is opened further: at most ``MAX_ENTRIES`` entries and ``MAX_UNPACKED_BYTES``
unpacked, so a ZIP bomb is refused; each XML file goes through ``quizzes.moodle_xml.parse_xml``
(defusedxml: no DTD, no entities).
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import replace
from posixpath import normpath
from urllib.parse import unquote

from .interchange import FILE_REF_PATTERN, Bank, BankError, BankFile, image_type, safe_file_name
from .moodle_xml import MAX_XML_BYTES, parse_xml
from .qti_export import SPEC_FIELD
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
    SpecError,
    TrueFalse,
    choice_id,
    from_dict,
)
from .textformat import PLAIN_PARTS, RICH_PARTS, convert

MAX_ENTRIES = 2000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
UNSUPPORTED = {
    "essay_question": "an essay",
    "file_upload_question": "a file upload",
    "calculated_question": "a formula question",
    "fill_in_multiple_blanks_question": "fill in multiple blanks",
    "multiple_dropdowns_question": "multiple dropdowns",
    "text_only_question": "text only (no answer)",
}
# A Canvas course export holds its quizzes as IMS Common Cartridge QTI, whose items name their type this way.
CC_PROFILES = {
    "cc.multiple_choice.v0p1": "multiple_choice_question",
    "cc.multiple_response.v0p1": "multiple_answers_question",
    "cc.true_false.v0p1": "true_false_question",
    "cc.fib.v0p1": "short_answer_question",
    "cc.essay.v0p1": "essay_question",
}
_IMG_SOURCE = re.compile(r"""(src=["'])\$IMS-CC-FILEBASE\$/([^"'?]+)(\?[^"']*)?(["'])""")


def _where(path: str) -> str:
    """A message's prefix naming the file inside a package (nothing for a single XML file)."""
    return f"{path}: " if path else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root: ET.Element) -> ET.Element:
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def _unzip(data: bytes) -> dict[str, bytes]:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BankError(0, "the file is not a ZIP package (nor QTI XML)") from None
    entries = package.infolist()
    if len(entries) > MAX_ENTRIES:
        raise BankError(0, f"the package holds {len(entries)} files; the limit is {MAX_ENTRIES}")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        raise BankError(
            0,
            f"the package unpacks to {unpacked // 1024 // 1024} MB; the limit is {MAX_UNPACKED_BYTES // 1024 // 1024} MB",
        )
    contents = {}
    for entry in entries:
        if entry.is_dir():
            continue
        try:  # zipfile stops at the size the directory declares and checks the CRC
            content = package.read(entry)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise BankError(0, f"{entry.filename}: the package is damaged ({exc})") from None
        contents[normpath(entry.filename).lstrip("/")] = content
    return contents


def _qti_paths(contents: dict[str, bytes]) -> list[str]:
    """The QTI files of a package, as its manifest lists them, else every XML file holding QTI."""
    paths = []
    if "imsmanifest.xml" in contents:
        manifest = _strip_namespaces(parse_xml(contents["imsmanifest.xml"]))
        for resource in manifest.iter("resource"):
            if resource.get("type", "").startswith("imsqti_xmlv1p2"):
                paths.extend(normpath(f.get("href", "")) for f in resource.iter("file") if f.get("href"))
    if not paths:
        paths = sorted(name for name, content in contents.items() if b"<questestinterop" in content[:4096])
    return [path for path in paths if path in contents]


class _Reader:
    def __init__(self, bank: Bank, contents: dict[str, bytes], path: str):
        self.bank, self.contents, self.path = bank, contents, path

    def warn(self, element: ET.Element | None, message: str) -> None:
        self.bank.warnings.append((getattr(element, "line", 0), _where(self.path) + message))

    def html(self, element: ET.Element | None) -> str:
        mattext = element.find(".//mattext") if element is not None else None
        text = (mattext.text or "").strip() if mattext is not None else ""
        return _IMG_SOURCE.sub(self._image, text)

    def _image(self, match) -> str:
        name = unquote(match.group(2))
        for candidate in (f"web_resources/{name}", name):
            data = self.contents.get(normpath(candidate))
            if data is not None and image_type(data):
                stored = BankFile(name=safe_file_name(name), content_type=image_type(data), data=data)
                self.bank.files[stored.sha256] = stored
                return f"{match.group(1)}{stored.ref}{match.group(4)}"
        self.bank.warnings.append(
            (0, _where(self.path) + f"the image {name!r} is missing or not a PNG, JPEG, GIF or WebP")
        )
        return match.group(0)

    def part(self, element: ET.Element | None, target: str, what: str, title: str) -> str:
        text, lost = convert(self.html(element), "html", target)
        if lost:
            elements = ", ".join(f"<{name}>" for name in lost)
            kept = "plain text" if target == PLAIN_PARTS else target
            self.warn(element, f"question {title!r}: {what}: {elements} dropped: it is shown as {kept}")
        return text


def _metadata(item: ET.Element) -> dict[str, str]:
    return {
        (field.findtext("fieldlabel") or "").strip(): (field.findtext("fieldentry") or "").strip()
        for field in item.iter("qtimetadatafield")
    }


def _conditions(item: ET.Element) -> list[tuple[ET.Element, float | None, str | None]]:
    """Each respcondition with the score it sets (None: none) and the feedback it shows."""
    found = []
    for condition in item.iter("respcondition"):
        setvar = condition.find("setvar")
        try:
            score = float((setvar.text or "").strip()) if setvar is not None else None
        except ValueError:  # a score that is not a number scores nothing; the question's checks say so
            score = None
        shown = condition.find("displayfeedback")
        found.append((condition, score, shown.get("linkrefid") if shown is not None else None))
    return found


def _equals(condition: ET.Element) -> list[str]:
    """The values a condition requires (``<varequal>``), leaving out those under ``<not>``."""
    denied = {(t.text or "").strip() for n in condition.iter("not") for t in n.iter("varequal")}
    return [value for t in condition.iter("varequal") if (value := (t.text or "").strip()) not in denied]


def _read_item(reader: _Reader, item: ET.Element, category: str) -> QuestionSpec | None:
    meta = _metadata(item)
    kind = meta.get("question_type") or CC_PROFILES.get(
        meta.get("cc_profile", ""), meta.get("cc_profile", "")
    )
    title = (item.get("title") or "").strip()[:200] or f"question at line {getattr(item, 'line', 0)}"
    readers = {
        "multiple_choice_question": _read_choices,
        "true_false_question": _read_truefalse,
        "multiple_answers_question": _read_choices,
        "short_answer_question": _read_short,
        "numerical_question": _read_numeric,
        "matching_question": _read_matching,
    }
    if kind not in readers:
        label = UNSUPPORTED.get(kind, f"of type {kind or 'unknown'!r}")
        reader.warn(item, f"question {title!r} is {label}, which we do not have: not imported")
        return None
    feedback = {
        fb.get("ident", ""): reader.part(fb, RICH_PARTS, f"feedback {fb.get('ident')!r}", title)
        for fb in item.iter("itemfeedback")
    }
    for ident in ("correct_fb", "general_incorrect_fb"):
        if feedback.get(ident) and not (kind == "numerical_question" and ident == "general_incorrect_fb"):
            reader.warn(item, f"question {title!r}: the {ident.split('_')[-2]} comment was left out")
    common = {
        "title": title,
        "stem": reader.html(item.find("presentation")),
        "stem_format": "html",
        "explanation": feedback.get("general_fb", ""),
        "category": category,
    }
    spec = readers[kind](reader, item, common, feedback)
    return _ours_if_it_agrees(reader, meta.get(SPEC_FIELD), spec)


def _comparable(spec: QuestionSpec):
    """What a student is shown besides the stem, with whitespace runs as one space (HTML shows them so)."""

    def tidy(value):
        if isinstance(value, str):
            return " ".join(value.split())
        if isinstance(value, list):
            return [tidy(item) for item in value]
        if isinstance(value, dict):
            return {key: tidy(item) for key, item in value.items()}
        return value

    return tidy(
        {key: value for key, value in spec.public_dict().items() if key not in {"stem", "stem_format"}}
    )


def _ours_if_it_agrees(reader: _Reader, raw: str | None, spec: QuestionSpec) -> QuestionSpec:
    """Our own export's full spec, when the item still says the same (kind, texts, right answers)."""
    if not raw:
        return spec
    try:
        ours = from_dict(json.loads(raw))
    except (ValueError, SpecError):
        return spec
    agrees = _comparable(ours) == _comparable(spec) and ours.correct_ids() == spec.correct_ids()
    if ours.kind == spec.kind and agrees:
        if reader.bank.files:  # the images our spec names are the ones in the package
            wanted = {m.group(1) for m in FILE_REF_PATTERN.finditer(raw)}
            if not wanted <= set(reader.bank.files):
                return spec
        return ours
    return spec


def _labels(reader: _Reader, response: ET.Element, title: str) -> list[tuple[str, str]]:
    return [
        (label.get("ident", ""), reader.part(label, PLAIN_PARTS, f"choice {label.get('ident')!r}", title))
        for label in response.iter("response_label")
    ]


def _read_choices(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> QuestionSpec:
    """The choice question of ``item``; a label with rshuffle="No" (QTI 1.2) is a pinned choice."""
    spec = _read_choice_weights(reader, item, common, feedback)
    response = item.find(".//response_lid")
    labels = list(response.iter("response_label")) if response is not None else []
    fixed = {i for i, label in enumerate(labels) if label.get("rshuffle", "").lower() == "no"}
    if not fixed:
        return spec
    return replace(spec, choices=[replace(c, pinned=i in fixed) for i, c in enumerate(spec.choices)])


def _read_choice_weights(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> QuestionSpec:
    response = item.find(".//response_lid")
    labels = _labels(reader, response, common["title"]) if response is not None else []
    scored = [(condition, score) for condition, score, _ in _conditions(item) if score]
    if response is not None and response.get("rcardinality") == "Multiple":
        right = set(_equals(scored[0][0])) if scored else set()
        share = round(100 / len(right), 2) if right else 0
        choices = [
            Choice(
                id=choice_id(i),
                text=text,
                weight=share if ident in right else -share,
                feedback=feedback.get(f"{ident}_fb", ""),
            )
            for i, (ident, text) in enumerate(labels)
        ]
        if right and abs(share * len(right) - 100) > 0:  # thirds: give the rounding to the first right one
            first = next(i for i, (ident, _) in enumerate(labels) if ident in right)
            choices[first] = Choice(
                **{**choices[first].to_dict(), "weight": round(100 - share * (len(right) - 1), 2)}
            )
        return MultipleResponse(**common, choices=choices, scoring="partial")
    right = {value for condition, score in scored if score >= 100 for value in _equals(condition)}
    choices = [
        Choice(
            id=choice_id(i),
            text=text,
            weight=100 if ident in right else 0,
            feedback=feedback.get(f"{ident}_fb", ""),
        )
        for i, (ident, text) in enumerate(labels)
    ]
    return SingleChoice(**common, choices=choices)


def _read_truefalse(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> TrueFalse:
    response = item.find(".//response_lid")
    labels = (
        {ident: text.strip().lower() for ident, text in _labels(reader, response, common["title"])}
        if response is not None
        else {}
    )
    right = {
        value
        for condition, score, _ in _conditions(item)
        if score and score >= 100
        for value in _equals(condition)
    }
    true_ident = next((ident for ident, text in labels.items() if text == "true"), "")
    answer = true_ident in right
    right_ident = next((ident for ident in labels if ident in right), "")
    wrong_ident = next((ident for ident in labels if ident not in right), "")
    return TrueFalse(
        **common,
        answer=answer,
        right_feedback=feedback.get(f"{right_ident}_fb", ""),
        wrong_feedback=feedback.get(f"{wrong_ident}_fb", ""),
    )


def _read_short(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> ShortAnswer:
    answers: dict[str, Answer] = {}
    by_text = {}
    for condition, score, link in _conditions(item):
        for value in _equals(condition):
            if link and link != "correct_fb":
                by_text[value] = feedback.get(link, "")
            if score and score >= 100 and value not in answers:
                answers[value] = Answer(text=value)
    return ShortAnswer(
        **common, answers=[Answer(text=text, feedback=by_text.get(text, "")) for text in answers]
    )


def _float(text: str | None) -> float:
    value = float((text or "").strip())
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _read_numeric(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> Numeric:
    answers, wrong_feedback = [], ""
    for condition, score, link in _conditions(item):
        if condition.find(".//other") is not None:
            wrong_feedback = feedback.get(link or "", "") or wrong_feedback
            continue
        if not score or score < 100:
            continue
        low, high, exact = (
            condition.find(".//vargte"),
            condition.find(".//varlte"),
            condition.find(".//varequal"),
        )
        text = feedback.get(link or "", "") if link != "correct_fb" else ""
        try:
            if exact is not None:
                value = _float(exact.text)
                tolerance = value - _float(low.text) if low is not None else 0
                answers.append(NumericAnswer(value=value, tolerance=abs(tolerance), feedback=text))
            elif low is not None and high is not None:
                answers.append(
                    NumericAnswer(minimum=_float(low.text), maximum=_float(high.text), feedback=text)
                )
        except ValueError:
            reader.warn(
                condition, f"question {common['title']!r}: an answer that is not a number was left out"
            )
    return Numeric(**common, answers=answers, wrong_feedback=wrong_feedback)


def _read_matching(reader: _Reader, item: ET.Element, common: dict, feedback: dict) -> Matching:
    right_of: dict[str, str] = {}
    for condition, _, _ in _conditions(item):
        for test in condition.iter("varequal"):
            right_of[test.get("respident", "")] = (test.text or "").strip()
    pairs, texts = [], {}
    for response in item.iter("response_lid"):
        left = reader.part(response.find("material"), PLAIN_PARTS, "a left side", common["title"])
        for ident, text in _labels(reader, response, common["title"]):
            texts[ident] = text
        pairs.append(Pair(left=left, right=texts.get(right_of.get(response.get("ident", ""), ""), "")))
    used = {pair.right for pair in pairs}
    distractors = sorted({text for text in texts.values() if text not in used})
    return Matching(**common, pairs=pairs, distractors=distractors)


def read_qti(data: bytes, *, limit: int = MAX_XML_BYTES) -> Bank:
    """Every supported item of a QTI package (ZIP) or QTI XML file, validated. Raises BankError listing
    every problem with its file and line; then nothing is returned."""
    if len(data) > limit:
        raise BankError(
            0, f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {limit // 1024 // 1024} MB"
        )
    contents = _unzip(data) if data.startswith(b"PK\x03\x04") else {"": data}
    paths = _qti_paths(contents)
    if not paths:
        raise BankError(0, "no QTI quiz or question bank in the package (no <questestinterop>)")
    bank, errors = Bank(), []
    for path in paths:
        try:
            root = _strip_namespaces(parse_xml(contents[path]))
        except BankError as exc:
            raise BankError(exc.line, _where(path) + exc.message) from None
        reader = _Reader(bank, contents, path)
        for holder in root.iter():
            if holder.tag not in {"assessment", "objectbank"}:
                continue
            category = (holder.get("title") or "").strip().replace("\n", " ")
            for item in holder.iter("item"):
                spec = _read_item(reader, item, category)
                if spec is None:
                    continue
                line = getattr(item, "line", 0)
                errors.extend(
                    (line, _where(path) + f"question {spec.title!r}: {field}: {message}")
                    for field, message in spec.problems()
                )
                bank.questions.append(spec)
                bank.lines.append(line)
    if errors:
        raise BankError(*errors[0], errors=errors)
    return bank


__all__ = ["MAX_ENTRIES", "MAX_UNPACKED_BYTES", "read_qti"]
