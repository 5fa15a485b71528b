"""Moodle XML import and export (quizzes.moodle_xml, quizzes.moodle_xml_export): files written from Moodle's
documentation for every type we support (tests/quizzes/banks/moodle-docs-*.xml, each naming its section),
what Moodle's own export holds (categories, tags, hints, penalty, images, types we do not have), hostile
XML, errors with their lines, and the round trip ours -> Moodle XML -> ours."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.grading import grade
from quizzes.interchange import FILE_REF, BankError, BankFile
from quizzes.moodle_xml import read_moodle_xml
from quizzes.moodle_xml_export import dump_moodle_xml
from quizzes.spec import (
    Choice,
    Matching,
    MultipleResponse,
    Numeric,
    NumericAnswer,
    Pair,
    SingleChoice,
    TrueFalse,
)

from .test_quiz_gift import EXAMPLES, questions

BANKS = Path(__file__).parent / "banks"


def read(name: str):
    return read_moodle_xml((BANKS / name).read_bytes())


# --- Moodle's documentation, one file per type -----------------------------------------------------------
def test_multiple_choice_from_the_docs():
    bank = read("moodle-docs-multichoice.xml")
    single, multiple = bank.questions
    assert single == SingleChoice(
        title="Name of question",
        stem="What is the answer to this question?",
        stem_format="html",
        choices=[
            Choice(id="a", text="The correct answer", weight=100, feedback="Correct!"),
            Choice(id="b", text="A distractor", feedback="Ooops!"),
            Choice(id="c", text="Another distractor", feedback="Ooops!"),
        ],
    )
    assert isinstance(multiple, MultipleResponse) and multiple.scoring == "partial"
    assert [(c.text, c.weight) for c in multiple.choices] == [("2", 50), ("3", 50), ("4", -100)]
    assert multiple.choices[2].feedback == "<p>4 = 2 &times; 2</p>"
    assert bank.warnings == []


def test_true_false_from_the_docs():
    (question,) = read("moodle-docs-truefalse.xml").questions
    assert question == TrueFalse(
        title="True or false",
        stem="The sky is blue.",
        stem_format="moodle",
        answer=True,
        right_feedback="Correct!",
        wrong_feedback="Ooops!",
    )


def test_short_answer_from_the_docs_with_the_wildcard():
    (question,) = read("moodle-docs-shortanswer.xml").questions
    assert question.case_sensitive is True
    assert [(a.text, a.weight) for a in question.answers] == [
        ("The correct answer", 100),
        ("An alternative answer", 100),
        ("*", 0),
    ]
    assert grade(question, "something else").feedback == ["Completely wrong"]
    assert grade(question, "An alternative answer").score == 1


def test_numerical_from_the_docs():
    (question,) = read("moodle-docs-numerical.xml").questions
    assert question == Numeric(
        title="Numerical",
        stem="What is **23**?",
        stem_format="markdown",
        answers=[
            NumericAnswer(value=23, tolerance=0.5, feedback="Feedback"),
            NumericAnswer(value=23, tolerance=2, weight=50),
        ],
        wrong_feedback="Any other number",
    )


def test_matching_from_the_docs():
    (question,) = read("moodle-docs-matching.xml").questions
    assert question == Matching(
        title="Matching",
        stem="Match the items.",
        stem_format="html",
        pairs=[
            Pair("This is the 1st item in the 1st pair.", "This is the 2nd item in the 1st pair."),
            Pair("This is the 1st item in the 2nd pair.", "This is the 2nd item in the 2nd pair."),
        ],
        distractors=["An extra answer that matches nothing."],
    )


# --- What a Moodle export holds ---------------------------------------------------------------------------
def test_a_moodle_export_with_categories_tags_hints_penalty_and_an_image():
    bank = read("moodle-export.xml")
    icon, all_or_nothing, memory = bank.questions
    assert (icon.category, icon.tags, icon.penalty) == ("AWS/Lambda", ("lambda", "icons"), 0.3333333)
    assert icon.hints == ("<p>Greek letter.</p>", "Think of functions.")
    assert icon.choices[0].text == "Lambda"
    assert icon.explanation == "<p>The <b>λ</b> is Lambda's.</p>"
    (stored,) = bank.files.values()
    assert (stored.name, stored.content_type) == ("lambda-icon.png", "image/png")
    assert f'src="{FILE_REF}{stored.sha256}/lambda-icon.png"' in icon.stem
    assert all_or_nothing.category == "AWS/Limits"
    assert (all_or_nothing.kind, all_or_nothing.scoring) == ("multiple", "all_or_nothing")
    assert memory.answers == (NumericAnswer(value=10240),)


def test_what_cannot_come_across_is_reported_by_name_and_line():
    warnings = read("moodle-export.xml").warnings
    assert warnings == [
        (29, "question 'Lambda icon': <correctfeedback> was left out: we show per-answer feedback only"),
        (38, "question 'Lambda icon': answer 1: <strong> dropped: it is shown as plain text"),
        (
            53,
            "question 'Lambda icon': hint 2: its options (show the number correct, clear wrong) were left out",
        ),
        (62, "question 'Explain cold starts' is essay ('essay'), which we do not have: not imported"),
        (98, "question 'Memory': units were left out: answers are plain numbers"),
        (105, "question 'Formula' is calculated ('calculated'), which we do not have: not imported"),
        (
            113,
            "question 'Drag words' is drag and drop into text ('ddwtos'), which we do not have: not imported",
        ),
        (
            121,
            "question 'Cloze' is embedded answers (Cloze) ('multianswer'), which we do not have: not imported",
        ),
    ]


def test_a_file_that_is_not_an_image_is_left_out_with_a_warning():
    xml = b"""<quiz><question type="truefalse"><name><text>Q</text></name>
    <questiontext format="html"><text>See @@PLUGINFILE@@/x.svg</text>
    <file name="x.svg" path="/" encoding="base64">PHN2Zy8+</file></questiontext>
    <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
    </question></quiz>"""
    bank = read_moodle_xml(xml)
    assert bank.files == {}
    assert bank.warnings == [
        (3, "question 'Q': the file 'x.svg' is not a PNG, JPEG, GIF or WebP image and was left out")
    ]


# --- Hostile and broken files --------------------------------------------------------------------------
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz>&lol3;</quiz>"""
REFUSED_DTD = (
    "a DTD (<!DOCTYPE>) is not allowed in a question bank: entity declarations and external references "
    "(a billion laughs, a file of the server) are refused unread"
)
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>&secret;</text></name></question></quiz>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, f"line 1: {REFUSED_DTD}"),
        (EXTERNAL_ENTITY, f"line 1: {REFUSED_DTD}"),
        (b"<quiz><question></quiz>", "line 1: not well-formed XML (column 19): mismatched tag"),
        (b"<questions/>", "line 1: a Moodle XML file starts with <quiz>, not <questions>"),
    ],
)
def test_hostile_or_broken_xml_is_refused_with_a_clear_message(data, message):
    with pytest.raises(BankError) as caught:
        read_moodle_xml(data)
    assert str(caught.value) == message


def test_entities_are_refused_even_where_a_dtd_would_be_allowed():
    from quizzes.moodle_xml import _LineParser

    parser = _LineParser(forbid_dtd=False)
    with pytest.raises(ValueError, match="EntitiesForbidden"):
        parser.feed(BILLION_LAUGHS)
        parser.close()


def test_a_50_mb_file_is_refused_before_it_is_parsed():
    data = b"<quiz>" + b" " * (50 * 1024 * 1024) + b"</quiz>"
    with pytest.raises(BankError) as caught:
        read_moodle_xml(data)
    assert str(caught.value) == "the file is 50.0 MB; the limit is 20 MB"


def test_every_problem_is_reported_with_its_line_and_nothing_is_returned():
    xml = b"""<quiz>
  <question type="multichoice"><name><text>No right answer</text></name>
    <questiontext><text>Pick</text></questiontext>
    <answer fraction="0"><text>a</text></answer><answer fraction="0"><text>b</text></answer>
  </question>
  <question type="shortanswer"><name><text>Bad fraction</text></name>
    <questiontext><text>Type</text></questiontext>
    <answer fraction="lots"><text>a</text></answer>
  </question>
</quiz>"""
    with pytest.raises(BankError) as caught:
        read_moodle_xml(xml)
    assert caught.value.errors == [
        (2, "question 'No right answer': choices: exactly one choice must be correct (at 100%); found 0"),
        (8, "question 'Bad fraction': fraction='lots' is not a number"),
    ]


# --- Round trip: ours -> Moodle XML -> ours -------------------------------------------------------------
def _ranges_as_moodle_keeps_them(question):
    """Moodle has no numeric ranges: min..max is written as its middle ± half its width."""
    if not isinstance(question, Numeric):
        return question
    answers = [
        NumericAnswer(
            value=(a.minimum + a.maximum) / 2,
            tolerance=(a.maximum - a.minimum) / 2,
            weight=a.weight,
            feedback=a.feedback,
        )
        if a.is_range
        else a
        for a in question.answers
    ]
    fields = {name: value for name, value in question.to_dict().items() if name not in {"kind", "answers"}}
    return Numeric(**fields, answers=answers)


def test_round_trip_keeps_every_field_of_the_examples():
    with_hints = TrueFalse(title="H", stem="s", hints=("one", "two **2**"), penalty=0.1, tags=("a]b",))
    examples = [*EXAMPLES, with_hints]
    assert read_moodle_xml(dump_moodle_xml(examples)).questions == [
        _ranges_as_moodle_keeps_them(q) for q in examples
    ]


def test_round_trip_embeds_and_reads_back_images():
    image = BankFile(name="diagram.png", content_type="image/png", data=b"\x89PNG\r\n\x1a\nrest")
    question = SingleChoice(
        title="Pic",
        stem=f'<p><img src="{image.ref}" alt="d"></p>',
        stem_format="html",
        explanation=f"![d]({image.ref})",
        choices=[Choice(id="a", text="x", weight=100), Choice(id="b", text="y")],
    )
    xml = dump_moodle_xml([question], {image.sha256: image})
    assert b'&lt;img src="@@PLUGINFILE@@/diagram.png"' in xml
    assert b"![d](@@PLUGINFILE@@/diagram.png)" in xml
    assert b'<file name="diagram.png" path="/" encoding="base64">' in xml
    bank = read_moodle_xml(xml)
    assert bank.questions == [question]
    assert bank.files == {image.sha256: image}


def test_export_refuses_what_is_not_a_question():
    with pytest.raises(TypeError):
        dump_moodle_xml([{"kind": "single"}])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions, min_size=1, max_size=4))
def test_property_export_then_import_gives_equal_specs(generated):
    assert read_moodle_xml(dump_moodle_xml(generated)).questions == [
        _ranges_as_moodle_keeps_them(q) for q in generated
    ]


def _question(body: str, kind: str = "numerical") -> bytes:
    return f"""<quiz>
<question type="{kind}"><name><text>Q</text></name><questiontext><text>s</text></questiontext>
{body}
</question></quiz>""".encode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            _question("<penalty>a third</penalty><answer fraction='100'><text>1</text></answer>"),
            (3, "question 'Q': penalty 'a third' is not a number"),
        ),
        (
            _question("<answer fraction='100'><text>ten</text></answer>"),
            (3, "question 'Q': the answer 'ten' is not a number"),
        ),
        (
            _question("<answer fraction='100'><text>1</text><tolerance>x</tolerance></answer>"),
            (3, "question 'Q': tolerance 'x' is not a number"),
        ),
        (
            _question("<answer fraction='100'><text>yes</text></answer>", "truefalse"),
            (3, "question 'Q': a true/false answer is 'true' or 'false', not 'yes'"),
        ),
    ],
)
def test_bad_values_name_their_question_and_line(data, error):
    with pytest.raises(BankError) as caught:
        read_moodle_xml(data)
    assert caught.value.errors == [error]


def test_a_wildcard_numeric_answer_with_marks_is_reported():
    bank = read_moodle_xml(
        _question(
            "<answer fraction='100'><text>1</text></answer><answer fraction='50'><text>*</text></answer>"
        )
    )
    assert bank.warnings == [
        (3, "question 'Q': the '*' answer earned marks; here any other number earns none")
    ]


def test_a_file_that_is_not_base64_is_left_out_with_a_warning():
    xml = _question(
        "<answer fraction='100'><text>true</text></answer><answer fraction='0'><text>false</text></answer>"
        "<generalfeedback><text>x</text><file name='a.png' encoding='base64'>abc</file></generalfeedback>",
        "truefalse",
    )
    assert read_moodle_xml(xml).warnings == [
        (3, "question 'Q': the file 'a.png' is not valid base64 and was left out")
    ]


def test_a_category_path_longer_than_we_store_is_an_error_with_the_line():
    path = "$course$/top/" + "/".join(["a-long-category-name"] * 12)
    xml = f"""<quiz><question type="category"><category><text>{path}</text></category></question>
<question type="truefalse"><name><text>Q</text></name><questiontext><text>s</text></questiontext>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question></quiz>"""
    with pytest.raises(BankError) as caught:
        read_moodle_xml(xml.encode())
    assert caught.value.errors == [(2, "question 'Q': category: must be at most 200 characters")]
