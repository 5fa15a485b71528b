"""QTI 1.2 for Canvas (quizzes.qti_export, quizzes.qti): a package in the shape Canvas exports, read as Canvas
means it (tests/quizzes/banks/canvas-quiz.xml); our export read back with every field; our export read as
Canvas reads it (without our metadata); hostile packages."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.interchange import FILE_REF, BankError, BankFile
from quizzes.qti import read_qti
from quizzes.qti_export import dump_qti
from quizzes.spec import (
    Answer,
    Choice,
    Matching,
    MultipleResponse,
    Numeric,
    NumericAnswer,
    Pair,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)

from .test_quiz_gift import EXAMPLES, questions

BANKS = Path(__file__).parent / "banks"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def canvas_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("imsmanifest.xml", (BANKS / "canvas-imsmanifest.xml").read_bytes())
        package.writestr("g1234/g1234.xml", (BANKS / "canvas-quiz.xml").read_bytes())
        package.writestr("g1234/assessment_meta.xml", b"<quiz/>")
        package.writestr("web_resources/Uploaded Media/lambda.png", PNG)
    return buffer.getvalue()


def test_canvas_export_is_read_for_every_type_we_have():
    bank = read_qti(canvas_package())
    compute, cold, sources, queue, memory, match = bank.questions
    image = BankFile(name="lambda.png", content_type="image/png", data=PNG)
    assert bank.files == {image.sha256: image}
    assert compute == SingleChoice(
        title="Compute",
        stem=f'<div><p>Which service runs code without servers? <img src="{FILE_REF}{image.sha256}/lambda.png" alt="lambda.png"></p></div>',
        stem_format="html",
        explanation="<p>Lambda is serverless compute.</p>",
        category="Serverless basics",
        choices=[
            Choice(id="a", text="Lambda", weight=100),
            Choice(id="b", text="EC2", feedback="EC2 runs servers."),
        ],
    )
    assert (cold.answer, cold.wrong_feedback, cold.right_feedback) == (
        False,
        "Only when no environment is warm.",
        "",
    )
    assert isinstance(sources, MultipleResponse)
    assert [(c.text, c.weight) for c in sources.choices] == [("SQS", 50), ("SNS", 50), ("A floppy disk", -50)]
    assert [a.text for a in queue.answers] == ["SQS", "Simple Queue Service"]
    assert memory.answers == (
        NumericAnswer(value=10240, tolerance=10),
        NumericAnswer(minimum=10, maximum=10.5),
    )
    assert match.pairs == (Pair("Lambda", "compute"), Pair("S3", "storage"))
    assert match.distractors == ("networking",)


def test_canvas_export_warnings_name_file_line_and_question():
    assert read_qti(canvas_package()).warnings == [
        (9, "g1234/g1234.xml: question 'Compute': the correct comment was left out"),
        (24, "g1234/g1234.xml: question 'Compute': choice '1002': <em> dropped: it is shown as plain text"),
        (181, "g1234/g1234.xml: question 'Explain' is an essay, which we do not have: not imported"),
    ]


def test_a_single_qti_xml_file_is_read_too():
    bank = read_qti((BANKS / "canvas-quiz.xml").read_bytes())
    assert len(bank.questions) == 6
    assert any("the image 'Uploaded Media/lambda.png' is missing" in message for _, message in bank.warnings)


def test_round_trip_through_our_package_keeps_every_field():
    image = BankFile(name="d.png", content_type="image/png", data=PNG)
    pictured = TrueFalse(
        title="Pic", stem=f"![d]({image.ref})", hints=("h",), penalty=0.5, category="C", tags=("t",)
    )
    examples = [*EXAMPLES, pictured]
    bank = read_qti(dump_qti(examples, {image.sha256: image}, title="Quiz"))
    assert bank.questions == examples
    assert bank.files == {image.sha256: image}
    assert bank.warnings == []


def _as_canvas_sees_it(package: bytes) -> bytes:
    """Our package without our metadata field: what Canvas keeps when it exports the quiz again."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith(".xml"):
                data = re.sub(
                    rb"<qtimetadatafield>\s*<fieldlabel>serverless_learning_spec</fieldlabel>.*?</qtimetadatafield>",
                    b"",
                    data,
                    flags=re.S,
                )
            out.writestr(name, data)
    return buffer.getvalue()


def test_our_package_read_as_canvas_reads_it():
    ours = [
        SingleChoice(
            title="S", stem="Pick **one**", choices=[Choice("a", "x < y", 100, "Yes"), Choice("b", "y")]
        ),
        MultipleResponse(
            title="M",
            stem="Pick",
            choices=[Choice("a", "1", 50), Choice("b", "2", 50), Choice("c", "3", -50)],
        ),
        TrueFalse(title="T", stem="True?", answer=False, right_feedback="Right", wrong_feedback="Wrong"),
        ShortAnswer(title="A", stem="Say", answers=[Answer("SQS")]),
        Numeric(
            title="N",
            stem="How many",
            answers=[NumericAnswer(value=5, tolerance=0.5), NumericAnswer(minimum=1, maximum=2)],
        ),
        Matching(title="Ma", stem="Match", pairs=[Pair("a", "1"), Pair("b", "2")], distractors=["3"]),
    ]
    bank = read_qti(_as_canvas_sees_it(dump_qti(ours, title="Quiz")))
    seen = {question.title: question for question in bank.questions}
    assert seen["S"].stem == "<p>Pick <strong>one</strong></p>"
    assert [(c.text, c.weight, c.feedback) for c in seen["S"].choices] == [
        ("x < y", 100, "<p>Yes</p>"),
        ("y", 0, ""),
    ]
    assert [c.weight for c in seen["M"].choices] == [50, 50, -50]
    assert (seen["T"].answer, seen["T"].right_feedback, seen["T"].wrong_feedback) == (
        False,
        "<p>Right</p>",
        "<p>Wrong</p>",
    )
    assert [a.text for a in seen["A"].answers] == ["SQS"]
    assert seen["N"].answers == (NumericAnswer(value=5, tolerance=0.5), NumericAnswer(minimum=1, maximum=2))
    assert (seen["Ma"].pairs, seen["Ma"].distractors) == ((Pair("a", "1"), Pair("b", "2")), ("3",))


def test_our_metadata_is_ignored_when_the_item_says_something_else():
    package = dump_qti(
        [SingleChoice(title="S", stem="s", choices=[Choice("a", "x", 100), Choice("b", "y")])], title="Q"
    )
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in source.namelist():
            out.writestr(name, source.read(name).replace(b">y</mattext>", b">z</mattext>"))
    (question,) = read_qti(buffer.getvalue()).questions
    assert [c.text for c in question.choices] == ["x", "z"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("big.xml", b"\0" * (60 * 1024 * 1024))
    with pytest.raises(BankError) as caught:
        read_qti(buffer.getvalue())
    assert str(caught.value) == "the package unpacks to 60 MB; the limit is 50 MB"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04broken", "the file is not a ZIP package (nor QTI XML)"),
        (b"<questestinterop><!DOCTYPE x></questestinterop>", "line 1: not well-formed XML"),
        (b"<quiz/>", "no QTI quiz or question bank in the package (no <questestinterop>)"),
    ],
)
def test_broken_packages_are_refused_with_a_clear_message(data, message):
    with pytest.raises(BankError) as caught:
        read_qti(data)
    assert message in str(caught.value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions, min_size=1, max_size=4))
def test_property_our_package_reads_back_equal(generated):
    assert read_qti(dump_qti(generated, title="Quiz")).questions == generated


def test_a_package_with_too_many_files_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for i in range(2001):
            package.writestr(f"f{i}.txt", b"")
    with pytest.raises(BankError) as caught:
        read_qti(buffer.getvalue())
    assert str(caught.value) == "the package holds 2001 files; the limit is 2000"


def test_a_package_that_lies_about_a_size_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("quiz.xml", (BANKS / "canvas-quiz.xml").read_bytes())
    data = bytearray(buffer.getvalue())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # "100 bytes unpacked"
    with pytest.raises(BankError) as caught:
        read_qti(bytes(data))
    assert str(caught.value).startswith("quiz.xml: the package is damaged")


def test_a_numeric_answer_that_is_not_a_number_is_reported():
    xml = (
        (BANKS / "canvas-quiz.xml")
        .read_bytes()
        .replace(
            b'<vargte respident="response1">10.0</vargte>', b'<vargte respident="response1">ten</vargte>'
        )
    )
    bank = read_qti(xml)
    assert any(
        "question 'Memory': an answer that is not a number was left out" in message
        for _, message in bank.warnings
    )


def test_a_score_that_is_not_a_number_leaves_the_question_without_a_right_answer():
    xml = (
        (BANKS / "canvas-quiz.xml")
        .read_bytes()
        .replace(
            b'<setvar action="Set" varname="SCORE">100</setvar>\n            <displayfeedback feedbacktype="Response" linkrefid="correct_fb"/>',
            b'<setvar action="Set" varname="SCORE">lots</setvar>',
        )
    )
    with pytest.raises(BankError) as caught:
        read_qti(xml)
    assert caught.value.errors == [
        (9, "question 'Compute': choices: exactly one choice must be correct (at 100%); found 0")
    ]


def test_common_cartridge_items_of_a_course_export_are_read_by_their_profile():
    xml = b"""<questestinterop xmlns="http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_qtiasiv1p2p1_v1p0.xsd">
  <assessment ident="a1" title="Week 1">
    <section ident="root_section">
      <item ident="i1" title="Limits">
        <itemmetadata><qtimetadata>
          <qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>cc.true_false.v0p1</fieldentry></qtimetadatafield>
        </qtimetadata></itemmetadata>
        <presentation>
          <material><mattext texttype="text/html">Lambda runs for at most 15 minutes.</mattext></material>
          <response_lid ident="response1" rcardinality="Single"><render_choice>
            <response_label ident="t"><material><mattext>True</mattext></material></response_label>
            <response_label ident="f"><material><mattext>False</mattext></material></response_label>
          </render_choice></response_lid>
        </presentation>
        <resprocessing>
          <respcondition continue="No"><conditionvar><varequal respident="response1">t</varequal></conditionvar>
            <setvar action="Set" varname="SCORE">100</setvar></respcondition>
        </resprocessing>
      </item>
      <item ident="i2" title="Essay">
        <itemmetadata><qtimetadata>
          <qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>cc.essay.v0p1</fieldentry></qtimetadatafield>
        </qtimetadata></itemmetadata>
      </item>
    </section>
  </assessment>
</questestinterop>"""
    bank = read_qti(xml)
    (question,) = bank.questions
    assert (question.kind, question.answer, question.category) == ("truefalse", True, "Week 1")
    assert bank.warnings == [(20, "question 'Essay' is an essay, which we do not have: not imported")]
