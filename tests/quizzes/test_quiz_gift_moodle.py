"""GIFT as Moodle reads it. Each case is written from Moodle's GIFT documentation page
(https://docs.moodle.org/en/GIFT_format) and names its section; the rest come from what Moodle's own
importer does with the same text (qformat_gift), where the page says nothing."""

import textwrap

import pytest

from quizzes.gift import GiftError, dump_gift, parse_gift, read_gift
from quizzes.grading import grade
from quizzes.spec import Answer, Choice, Matching, Pair, ShortAnswer, SingleChoice, TrueFalse
from quizzes.textformat import convert


def gift(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def one(text: str):
    found = read_gift(gift(text))
    assert len(found.questions) == 1
    return found.questions[0], found.warnings


# --- "Format symbols": [...format...], "other parts of the question default to the format used for the
# question text" ---------------------------------------------------------------------------------------------
def test_format_tag_on_an_answer_and_its_feedback_is_read_not_shown():
    question, warnings = one(
        "::Q::What colour is the sky? {=[plain]blue # [html]right ~[plain]red # [html]<em>no</em>}"
    )
    assert [(c.text, c.feedback) for c in question.choices] == [("blue", "right"), ("red", "<em>no</em>")]
    assert warnings == []


def test_untagged_parts_take_the_format_of_a_tagged_stem():
    question, warnings = one("::Q::[html]<p>Pick</p> {=<b>yes</b>#<i>good</i> ~no}")
    assert question.choices[0].text == "yes"  # shown as plain text: the bold cannot come across
    assert question.choices[0].feedback == "<i>good</i>"  # feedback is Markdown, which keeps HTML
    assert warnings == [(1, "answer 1: <b> dropped: it is shown as plain text")]


def test_untagged_parts_of_an_untagged_stem_are_taken_as_written():
    question, warnings = one("::Q::Pick {=a *b* c ~d}")
    assert question.choices[0].text == "a *b* c"
    assert warnings == []


def test_general_feedback_with_a_format_tag():
    question, _ = one("::Q::Stem {=a ~b ####[html]Here is some general feedback!}")
    assert question.explanation == "Here is some general feedback!"


def test_plain_feedback_becomes_markdown_that_shows_the_same_characters():
    question, _ = one("::Q::Stem {=a#[plain]use *args and <br> ~b}")
    assert question.choices[0].feedback == r"use \*args and &lt;br&gt;"


def test_format_tag_on_the_left_side_of_a_matching_pair_and_none_on_the_right():
    question, _ = one("""
        ::Q::Match the activity. {
          =[html]An activity supporting asynchronous discussions. -> Forum
          =[html]A teacher asks a question and specifies a choice of multiple responses. -> Choice
          =[plain]A bank of record entries. -> [plain]Database
        }
    """)
    assert question.pairs[0] == Pair(left="An activity supporting asynchronous discussions.", right="Forum")
    assert question.pairs[2].right == "[plain]Database"  # Moodle reads the right side as plain text


def test_true_false_feedback_with_format_tags():
    question, _ = one("::Q::[plain]1+1=2 {T#[html]<b>No</b>#[markdown]**Yes**}")
    assert (question.wrong_feedback, question.right_feedback) == ("<b>No</b>", "**Yes**")


def test_numeric_feedback_with_a_format_tag():
    question, _ = one("::Q::[html]How many? {#=2#[html]<b>right</b> ~#[plain]*no*}")
    assert question.answers[0].feedback == "<b>right</b>"
    assert question.wrong_feedback == r"\*no\*"


def test_an_image_in_a_choice_is_reported_with_its_line():
    found = read_gift(
        gift(r"""
        ::Q::[html]Which icon is Lambda? {
          =<img src\="lambda.png" alt\="Lambda icon"> Lambda
          ~S3
        }
    """)
    )
    assert found.questions[0].choices[0].text == "Lambda"
    assert found.warnings == [(2, "answer 1: <img> dropped: it is shown as plain text")]


def test_short_answers_drop_their_tag_and_keep_their_text():
    question, _ = one("::Q::Two plus two? {=[html]four =[plain]4}")
    assert [answer.text for answer in question.answers] == ["four", "4"]


# --- "Options: Categories" ----------------------------------------------------------------------------------
def test_category_paths_lose_the_context_and_top():
    questions = parse_gift(
        gift("""
        $CATEGORY: $course$/top/AWS/Lambda

        ::A::One.{T}

        $CATEGORY: $system$/top

        ::B::Two.{T}

        $CATEGORY: tom/dick/harry

        ::C::Three.{T}
    """)
    )
    assert [q.category for q in questions] == ["AWS/Lambda", "", "tom/dick/harry"]


def test_export_writes_categories_as_moodle_paths():
    text = dump_gift([TrueFalse(title="A", stem="a", category="AWS/Lambda"), TrueFalse(title="B", stem="b")])
    assert "$CATEGORY: $course$/top/AWS/Lambda\n" in text
    assert "$CATEGORY: $course$/top\n" in text
    assert [q.category for q in parse_gift(text)] == ["AWS/Lambda", ""]


# --- "Options: Specifying text format" with code: whitespace is kept ------------------------------------------
def test_indentation_inside_pre_is_kept():
    question, _ = one("""
        ::Code::[html]What does this print?
        <pre>
        def f():
            return 1
        </pre>
        {=1 ~None}
    """)
    assert "def f():\n    return 1\n" in question.stem


def test_indentation_of_a_markdown_code_block_is_kept():
    question, _ = one(
        """
        ::Code::[markdown]What does this print?

        ```
        for i in range(2):
            print(i)
        ```
        {=0 1 ~2}
    """.replace("\n\n", "\n")
    )
    assert "for i in range(2):\n    print(i)\n" in question.stem


# --- Tags in comments (Moodle 3.6+), with escaped characters -------------------------------------------------
def test_a_tag_with_an_escaped_bracket_is_read():
    question, _ = one("// [tag:t\\]ag] [tag:back\\\\slash]\n::Q::Stem.{T}")
    assert question.tags == ("t]ag", "back\\slash")


def test_tags_with_brackets_are_written_escaped_and_read_back():
    question = TrueFalse(title="Q", stem="Stem.", tags=("t]ag", "a\\b"))
    text = dump_gift([question])
    assert "// [tag:t\\]ag] [tag:a\\\\b]" in text
    assert parse_gift(text) == [question]


# --- "Short answer": the * wildcard -------------------------------------------------------------------------
def test_wildcard_short_answer_gives_its_feedback_to_any_other_answer():
    question, _ = one("::Q::What is two plus two? {=four =4 =%0%*#Completely wrong}")
    assert grade(question, "five").feedback == ["Completely wrong"]
    assert grade(question, "five").score == 0
    assert grade(question, "Four").score == 1


def test_wildcard_inside_an_answer_and_an_escaped_asterisk():
    question = ShortAnswer(title="Q", stem="s", answers=[Answer("Lamb*"), Answer("a\\*b", weight=50)])
    assert grade(question, "Lambda").score == 1
    assert grade(question, "a*b").score == 0.5
    assert grade(question, "axb").score == 0


# --- Export: what Moodle reads back from our file ----------------------------------------------------------
def test_export_tags_parts_whose_format_differs_from_the_stem():
    question = SingleChoice(
        title="Q",
        stem="<p>Pick</p>",
        stem_format="html",
        explanation="**Because**",
        choices=[Choice(id="a", text="a < b", weight=100, feedback="*yes*"), Choice(id="b", text="[html]x")],
    )
    text = dump_gift([question])
    assert "=[plain]a < b#[markdown]*yes*" in text
    assert "~[plain][html]x" in text  # a text that starts like a tag keeps it
    assert "####[markdown]**Because**" in text
    assert parse_gift(text) == [question]


def test_matching_export_round_trips_with_plain_left_sides_under_an_html_stem():
    question = Matching(
        title="M", stem="<b>Match</b>", stem_format="html", pairs=[Pair("<a>", "b"), Pair("c", "[html]d")]
    )
    assert parse_gift(dump_gift([question])) == [question]


def test_errors_still_name_their_line_with_format_tags():
    with pytest.raises(GiftError) as caught:
        parse_gift("::Q::[html]Stem {=[html]a ~b}\n\n::R::Stem {=[html]a =b ~c}")
    assert caught.value.errors[0][0] == 3


# --- The conversions themselves --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "source", "target", "expected"),
    [
        ("<p>Yes <img src=x.png> H<sub>2</sub>O</p>", "html", "plain", ("Yes H2O", ["img", "sub"])),
        ("line one\nline two", "moodle", "plain", ("line one\nline two", [])),
        ("*Lambda*", "markdown", "plain", ("Lambda", ["em"])),
        ("- a\n2. b", "plain", "markdown", ("\\- a  \n2\\. b", [])),
        ("<b>a*b</b>\nc", "html", "markdown", ("<b>a\\*b</b> c", [])),
        ("<pre>x\n  y</pre>", "html", "markdown", ("<pre>x\n  y</pre>", [])),
        ("same", "plain", "plain", ("same", [])),
    ],
)
def test_convert(text, source, target, expected):
    assert convert(text, source, target) == expected


# --- Our tokens for what GIFT cannot say (Moodle skips them as comment text) -----------------------------
def test_hints_and_penalty_travel_in_comment_tokens():
    question = TrueFalse(
        title="Q", stem="s", hints=("Think [again].", "Line\nbreak \\ here"), penalty=0.3333333
    )
    text = dump_gift([question])
    assert "[penalty:0.3333333] [hint:Think [again\\].] [hint:Line\\nbreak \\\\ here]" in text
    assert parse_gift(text) == [question]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("[penalty:much]", "[penalty:much]: write a number from 0 to 1"),
        ("[scoring:some]", "[scoring:some]: write all_or_nothing or partial"),
    ],
)
def test_bad_token_values_name_their_line(comment, message):
    with pytest.raises(GiftError) as caught:
        parse_gift(f"::Q::One.{{T}}\n\n// {comment}\n::R::Two.{{T}}")
    assert caught.value.errors == [(3, message)]


def test_penalty_out_of_range_is_refused():
    with pytest.raises(GiftError) as caught:
        parse_gift("// [penalty:2]\n::Q::One.{T}")
    assert caught.value.errors == [
        (2, "penalty: must be a number from 0 to 1 (the fraction a wrong try costs)")
    ]


# --- Moodle's own importer tests (question/format/gift/tests/giftformat_test.php), read by us -------------
def test_moodle_import_match_with_a_format_tag_on_every_left_side():
    question, warnings = one("""
        // question: 2  name: Moodle activities
        ::Moodle activities::[html]Match the <b>activity</b> to the description.{
            =[html]An activity supporting asynchronous discussions. -> Forum
            =[moodle]A teacher asks a question and specifies a choice of multiple responses. -> Choice
            =[plain]A bank of record entries which participants can add to. -> Database
            =[markdown]A collection of web pages that anyone can add to or edit. -> Wiki
            = -> Chat
        }
    """)
    assert question.stem == "Match the <b>activity</b> to the description."
    assert [pair.left for pair in question.pairs] == [
        "An activity supporting asynchronous discussions.",
        "A teacher asks a question and specifies a choice of multiple responses.",
        "A bank of record entries which participants can add to.",
        "A collection of web pages that anyone can add to or edit.",
    ]
    assert [pair.right for pair in question.pairs] == ["Forum", "Choice", "Database", "Wiki"]
    assert question.distractors == ("Chat",)
    assert warnings == []


def test_moodle_import_multichoice_with_tags_on_answers_and_feedback():
    question, _ = one("""
        // multiple choice with specified feedback for right and wrong answers
        ::Q2:: What's between orange and green in the spectrum?
        {
            =yellow # right; good!
            ~red # [html]wrong, it's yellow
            ~[plain]blue # wrong, it's yellow
        }
    """)
    assert [(c.text, c.weight, c.feedback) for c in question.choices] == [
        ("yellow", 100, "right; good!"),
        ("red", 0, "wrong, it's yellow"),
        ("blue", 0, "wrong, it's yellow"),
    ]


def test_moodle_import_multichoice_multi_with_a_tag_after_the_weight():
    question, _ = one("""
        ::colours:: What's between orange and green in the spectrum?
        {
            ~%50%yellow # right; good!
            ~%-100%red # [html]wrong
            ~%50%off-beige # right; good!
            ~%-100%[plain]blue # wrong
        }
    """)
    assert [(c.text, c.weight, c.feedback) for c in question.choices] == [
        ("yellow", 50, "right; good!"),
        ("red", -100, "wrong"),
        ("off-beige", 50, "right; good!"),
        ("blue", -100, "wrong"),
    ]


def test_moodle_import_shortanswer_with_the_wildcard_and_tagged_general_feedback():
    question, _ = one("""
        // question: 666  name: Shortanswer
        ::Shortanswer::Which is the best animal?{
            =Frog#Good!
            =%50%Cat#What is it with Moodlers and cats?
            =%0%*#Completely wrong
            ####[html]Here is some general feedback!
        }
    """)
    assert [(a.text, a.weight) for a in question.answers] == [("Frog", 100), ("Cat", 50), ("*", 0)]
    assert question.explanation == "Here is some general feedback!"
    assert grade(question, "Dog").feedback == ["Completely wrong"]


def test_moodle_import_numerical_short_form_with_other_feedback():
    question, _ = one("::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}")
    assert question.answers[0].value == 3 and question.answers[0].tolerance == 2
    assert question.wrong_feedback == "Completely wrong"


def test_moodle_import_pre_content_keeps_its_indentation():
    question, _ = one("""
        ::Q001::[html]<p>What would running the test method print?</p>
        <pre>
            public void test() \\{
                method1();
            \\}
        </pre>
        {=nothing ~method1}
    """)
    assert question.stem == (
        "<p>What would running the test method print?</p>\n<pre>\n    public void test() {\n"
        "        method1();\n    }\n</pre>"
    )


@pytest.mark.parametrize(
    ("gift_text", "check"),
    [
        # What Moodle's exporter writes (the expected texts of its export tests), read back by us.
        (
            "::Q8::What's between orange and green in the spectrum?{\n\t=yellow#right; good!\n"
            "\t~red#[html]wrong, it's yellow\n\t~[plain]blue#wrong, it's yellow\n}\n",
            lambda q: [c.text for c in q.choices] == ["yellow", "red", "blue"],
        ),
        (
            "::Q5::What is a number from 1 to 5?{#\n\t=%100%3:2#\n\t~#Completely wrong\n}\n",
            lambda q: q.answers[0].tolerance == 2 and q.wrong_feedback == "Completely wrong",
        ),
        (
            "::Q1::42 is the Absolute Answer to everything.{TRUE#[html]42 is the Ultimate Answer."
            "#You gave the right answer.}\n",
            lambda q: (q.answer, q.wrong_feedback) == (True, "42 is the Ultimate Answer."),
        ),
        (
            "::Moodle activities::[html]Match the <b>activity</b> to the description.{\n"
            '\t=<div class\\="frog">An activity supporting asynchronous discussions.</div> -> Forum\n'
            "\t=[plain]A bank of record entries which participants can add to. -> Database\n\t= -> Chat\n}\n",
            lambda q: q.pairs[0] == Pair("An activity supporting asynchronous discussions.", "Forum"),
        ),
    ],
)
def test_moodle_exports_read_back(gift_text, check):
    (question,) = parse_gift(gift_text)
    assert check(question)
