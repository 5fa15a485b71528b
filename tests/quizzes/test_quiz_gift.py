"""Moodle GIFT import and export (quizzes.gift): every construct, every error with its line, the
export/import round trip (examples and generated questions), and the GIFT files shipped in the content."""

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.facts import course_facts, resolve_tags
from quizzes.gift import GiftError, dump_gift, parse_gift, read_gift
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
    choice_id,
    normalize_answer,
)

CONTENT_DIR = Path(__file__).resolve().parents[2] / "courses" / "content"
GIFT_FILES = sorted(CONTENT_DIR.rglob("*.gift"))


def gift(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def parse_one(text: str):
    questions = parse_gift(gift(text))
    assert len(questions) == 1
    return questions[0]


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(GiftError) as caught:
        parse_gift(gift(text))
    return caught.value.errors


# --- Constructs -------------------------------------------------------------------------------------------
def test_single_choice_with_title_feedback_weights_and_general_feedback():
    question = parse_one("""
        ::Max memory::What is Lambda's maximum memory?{
          =10,240 MB#Right: raised in 2020.
          ~3,008 MB#The old limit.
          ~%50%10 GB#Close.
          ~%-100%1 TB
          ####Lambda went from 3,008 MB to 10,240 MB in December 2020.
        }
    """)
    assert question == SingleChoice(
        title="Max memory",
        stem="What is Lambda's maximum memory?",
        stem_format="markdown",
        explanation="Lambda went from 3,008 MB to 10,240 MB in December 2020.",
        choices=[
            Choice(id="a", text="10,240 MB", weight=100, feedback="Right: raised in 2020."),
            Choice(id="b", text="3,008 MB", weight=0, feedback="The old limit."),
            Choice(id="c", text="10 GB", weight=50, feedback="Close."),
            Choice(id="d", text="1 TB", weight=-100),
        ],
    )


def test_answers_on_one_line():
    question = parse_one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert [(c.id, c.text, c.weight) for c in question.choices] == [
        ("a", "Grant", 0),
        ("b", "Jefferson", 0),
        ("c", "no one", 100),
    ]


def test_multiple_response_when_weights_are_on_tilde_answers_and_no_equals():
    question = parse_one("Which are serverless?{~%50%Lambda#Yes ~%50%DynamoDB ~%-100%EC2#No ~EBS}")
    assert question == MultipleResponse(
        title="Which are serverless?",
        stem="Which are serverless?",
        scoring="partial",
        choices=[
            Choice(id="a", text="Lambda", weight=50, feedback="Yes"),
            Choice(id="b", text="DynamoDB", weight=50),
            Choice(id="c", text="EC2", weight=-100, feedback="No"),
            Choice(id="d", text="EBS", weight=0),
        ],
    )


def test_decimal_weights():
    question = parse_one("Pick.{~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}")
    assert [c.weight for c in question.choices] == [33.33333, 33.33333, 33.33333, 0]


def test_all_or_nothing_scoring_from_a_comment_token():
    question = parse_one("""
        // [scoring:all_or_nothing]
        Which?{~%50%a ~%50%b ~c}
    """)
    assert question.scoring == "all_or_nothing"


@pytest.mark.parametrize(
    ("block", "answer", "wrong", "right"),
    [
        ("{T}", True, "", ""),
        ("{TRUE}", True, "", ""),
        ("{F}", False, "", ""),
        ("{FALSE}", False, "", ""),
        ("{true}", True, "", ""),
        ("{ T }", True, "", ""),
        ("{T#No, it is.}", True, "No, it is.", ""),
        ("{FALSE#It is not.#Right, it is not.}", False, "It is not.", "Right, it is not."),
        ("{T##Right.}", True, "", "Right."),
    ],
)
def test_true_false_with_optional_wrong_and_right_feedback(block, answer, wrong, right):
    question = parse_one(f"::TF::Lambda is serverless.{block}")
    assert question == TrueFalse(
        title="TF", stem="Lambda is serverless.", answer=answer, wrong_feedback=wrong, right_feedback=right
    )


def test_true_false_with_general_feedback():
    question = parse_one("::TF::Lambda is serverless.{T#No.#Yes.####No servers to manage.}")
    assert (question.wrong_feedback, question.right_feedback, question.explanation) == (
        "No.",
        "Yes.",
        "No servers to manage.",
    )


def test_short_answer_with_several_answers_weights_and_feedback():
    question = parse_one(
        "::Queues::Which service offers queues?{=SQS =Simple Queue Service#Full name. =%50%queue}"
    )
    assert question == ShortAnswer(
        title="Queues",
        stem="Which service offers queues?",
        case_sensitive=False,
        answers=[
            Answer(text="SQS"),
            Answer(text="Simple Queue Service", feedback="Full name."),
            Answer(text="queue", weight=50),
        ],
    )


def test_short_answer_case_sensitive_from_a_comment_token():
    assert parse_one("// [case:sensitive]\nName it.{=SQS}").case_sensitive is True


@pytest.mark.parametrize(
    ("block", "answers"),
    [
        ("{#10240}", [NumericAnswer(value=10240)]),
        ("{#10240:0.1}", [NumericAnswer(value=10240, tolerance=0.1)]),
        ("{#-2.5:0.5#Feedback.}", [NumericAnswer(value=-2.5, tolerance=0.5, feedback="Feedback.")]),
        ("{#1e3:10}", [NumericAnswer(value=1000, tolerance=10)]),
        ("{#4..6}", [NumericAnswer(minimum=4, maximum=6)]),
        ("{#-6..-4}", [NumericAnswer(minimum=-6, maximum=-4)]),
        ("{#1.5..2.5}", [NumericAnswer(minimum=1.5, maximum=2.5)]),
        ("{#=10240}", [NumericAnswer(value=10240)]),
        ("{# =%100%5:0 =%50%4..6}", [NumericAnswer(value=5), NumericAnswer(minimum=4, maximum=6, weight=50)]),
        (
            "{#\n=1822:0#Right.\n=%50%1822:2#Close.\n}",
            [
                NumericAnswer(value=1822, feedback="Right."),
                NumericAnswer(value=1822, tolerance=2, weight=50, feedback="Close."),
            ],
        ),
    ],
)
def test_numeric_forms(block, answers):
    question = parse_one(f"::N::How much?{block}")
    assert question == Numeric(title="N", stem="How much?", answers=answers)


def test_numeric_feedback_for_any_other_number():
    question = parse_one("::N::How much?{#=5 =%50%4..6 ~#Not even close.####Five.}")
    assert question.wrong_feedback == "Not even close."
    assert question.explanation == "Five."
    assert len(question.answers) == 2


def test_matching_with_a_distractor():
    question = parse_one("""
        ::Match::Match each service with what it does.{
          =Lambda -> compute
          =S3->storage
          =SQS -> queues
          = -> networking
        }
    """)
    assert question == Matching(
        title="Match",
        stem="Match each service with what it does.",
        pairs=[
            Pair(left="Lambda", right="compute"),
            Pair(left="S3", right="storage"),
            Pair(left="SQS", right="queues"),
        ],
        distractors=["networking"],
    )


def test_matching_with_two_pairs_is_accepted():
    assert len(parse_one("Match.{=a -> 1 =b -> 2}").pairs) == 2


def test_category_applies_to_the_questions_that_follow():
    questions = parse_gift(
        gift("""
        ::Q1::Before.{T}

        $CATEGORY: $course$/top/Lambda

        ::Q2::After.{T}

        $CATEGORY: Step Functions
        ::Q3::In the same block as the category.{F}
    """)
    )
    assert [(q.title, q.category) for q in questions] == [
        ("Q1", ""),
        ("Q2", "Lambda"),
        ("Q3", "Step Functions"),
    ]


def test_comments_are_whole_lines_only():
    questions = parse_gift(
        gift("""
        // A comment before the first question.
        ::Q1::See https://aws.amazon.com/lambda/ for limits.{
        // a comment inside the answers
          =yes
          ~no
        }
        // a comment block on its own

        ::Q2:: Fine.{T}
    """)
    )
    assert [q.title for q in questions] == ["Q1", "Q2"]
    assert questions[0].stem == "See https://aws.amazon.com/lambda/ for limits."
    assert [c.text for c in questions[0].choices] == ["yes", "no"]


def test_tags_from_comments_as_moodle_writes_them():
    question = parse_one("// [id:Q7] [tag:lambda] [tag:limits] [tag:lambda]\n::Q::Stem.{T}")
    assert question.tags == ("lambda", "limits")


@pytest.mark.parametrize("tag", ["markdown", "moodle", "html", "plain"])
def test_format_tags(tag):
    question = parse_one(f"::Q::[{tag}]Some *text*.{{T}}")
    assert (question.stem_format, question.stem) == (tag, "Some *text*.")


def test_untagged_text_is_markdown_and_an_unknown_tag_is_text():
    assert parse_one("::Q::Text.{T}").stem_format == "markdown"
    assert parse_one("::Q::[link](https://example.com) text.{T}").stem == "[link](https://example.com) text."


def test_escapes_in_every_text():
    question = parse_one(r"""
        ::Q\: \{1\}::Escapes\: \~ \= \# \{ \} and a\nline break, a \\ backslash.{
          =a \= b \-> c#fb \~ \#1
          ~x\:y
          ####Why\: \{\}
        }
    """)
    assert question.title == "Q: {1}"
    assert question.stem == "Escapes: ~ = # { } and a\nline break, a \\ backslash."
    assert (question.choices[0].text, question.choices[0].feedback) == ("a = b \\-> c", "fb ~ #1")
    assert question.choices[1].text == "x:y"
    assert question.explanation == "Why: {}"


def test_other_backslashes_stay_as_written():
    assert parse_one(r"::Q::Use \d+ and \(x\).{T}").stem == r"Use \d+ and \(x\)."


def test_dash_escape_writes_a_literal_arrow_in_answers():
    assert parse_one(r"Type it.{=a-\>b}").answers[0].text == "a->b"


def test_multi_line_question_lines_are_joined_as_written():
    # Moodle keeps each line as written (only the question's ends are trimmed), so indentation survives.
    question = parse_one("""
        ::Q::First line
           second line
        {=yes ~no}
    """)
    assert question.stem == "First line\n   second line"


def test_missing_word_question_shows_a_blank():
    question = parse_one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question.stem == "Grant is _____ in Grant's tomb."
    assert question.kind == "single"


def test_untitled_question_is_named_after_its_stem():
    assert parse_one("What is   the maximum\nmemory?{#10240}").title == "What is the maximum memory?"
    long = parse_one("x" * 200 + "{T}").title
    assert len(long) == 80 and long.endswith("…")


def test_blank_lines_separate_questions_and_windows_line_ends_and_bom_are_read():
    text = "\ufeff::A::One.{T}\r\n\r\n\r\n::B::Two.{F}\r\n   \r\n::C::Three.{=x}\r\n"
    assert [q.title for q in parse_gift(text)] == ["A", "B", "C"]


def test_empty_text_has_no_questions():
    assert parse_gift("") == []
    assert parse_gift("// only a comment\n\n$CATEGORY: x\n") == []


# --- Errors, with their lines -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("::Q::First\nsecond {T", 2, "the answer block '{' is not closed"),
        ("::Q Stem.{T}", 1, "the title is not closed"),
        ("::Q::Stem }{T}", 1, "'}' without a '{'"),
        ("::Q::Stem {=a {b} ~c}", 1, "'{' inside an answer block"),
        ("::Q::Stem {T} and {F}", 1, "a question has one answer block"),
        ("::Q::Stem\n{\n=a\n~%abc%b\n}", 4, "bad weight %abc%"),
        ("::Q::Stem {#ten}", 1, "'ten' is not a number"),
        ("::Q::Stem\n{#\n=5\n=%50%4..six\n}", 4, "'six' is not a number"),
        ("::Q::Stem {#*}", 1, "'*' is not a number"),
        ("::Q::Stem {#5 ~nope}", 1, "after '~' a numeric question takes only #feedback"),
        ("::Q::Stem {#}", 1, "a numeric question needs an answer"),
        ("::Q::Stem {Paris}", 1, "short answers (or T/F for true/false) start with =; found 'Paris'"),
        ("::Q::Stem {a =b ~c}", 1, "answers start with = or ~; found 'a'"),
        ("::Q::Stem {=a -> 1 =b -> 2 =c}", 1, "a matching pair is written 'left -> right'; found 'c'"),
        ("::Q::Stem {=a -> 1#fb =b -> 2}", 1, "matching pairs take no feedback"),
        ("::Q::Stem {T#a#b#c}", 1, "true/false takes at most two feedbacks"),
        ("::Q::Stem {~a ~b}", 1, "no right answer: mark it with = (single choice) or give weights"),
        ("::Q::Stem {=a =b ~c}", 1, "more than one answer marked ="),
        (
            "// [scoring:all_or_nothing]\n::Q::Stem {T}",
            1,
            "[scoring:all_or_nothing] does not apply to a truefalse",
        ),
        ("// [scoring:most]\n::Q::Stem {~%100%a ~b}", 1, "[scoring:most]: write all_or_nothing or partial"),
        ("// [case:upper]\n::Q::Stem {=a}", 1, "[case:upper]: write sensitive or insensitive"),
    ],
)
def test_structural_errors_name_the_line(text, line, message):
    errors = errors_of(text)
    assert len(errors) == 1
    assert errors[0][0] == line
    assert message in errors[0][1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("::Q::Stem {~%40%a ~%40%b ~c}", "choices: the positive weights must add up to 100%, not 80%"),
        ("::Q::Stem {=a ~}", "choices[1].text: must not be empty"),
        ("::Q::Stem {~%100%a}", "choices: needs at least two choices"),
        ("::Q::Stem {~%50%a ~%60%b ~%-110%c}", "choices[2].weight: must be between -100 and 100 (percent)"),
        ("::Q::Stem {#5:-1}", "answers[0].tolerance: must not be negative"),
        ("::Q::Stem {#6..4}", "answers[0].minimum: must not be greater than the maximum"),
        ("::Q::Stem {#=%50%5}", "answers: at least one answer must earn full marks (100%)"),
        ("::Q::Stem {= =b}", "answers[0].text: must not be empty"),
        ("::Q::Stem {=a -> 1}", "pairs: needs at least two pairs"),
        ("::Q::Stem {=a -> 1 =a -> 2}", "pairs[1].left: the left side 'a' appears twice"),
        ("::Q::Stem {=a -> 1 =b -> }", "pairs[1].right: must not be empty"),
        ("::::{T}", "stem: must not be empty"),
    ],
)
def test_validation_errors_are_reported_with_the_question_line(text, message):
    errors = errors_of("// comment\n\n" + text)
    assert (3, message) in errors


def test_single_choice_needs_one_right_answer():
    # "=a" alone is a short answer; with "~" it is a choice question, and then = must appear once at 100%.
    assert errors_of("::Q::Stem {=%50%a ~b}") == [
        (1, "choices: exactly one choice must be correct (at 100%); found 0")
    ]


def test_every_error_is_collected_and_nothing_is_returned():
    text = gift("""
        ::Good::Fine.{T}

        ::Essay::Write.{}

        // comment
        ::Bad weights::Pick.{
          ~%40%a
          ~%40%b
        }

        ::Worse weights::Pick.{~%70%a ~b}

        Description only.

        ::Also good::Fine.{F}
    """)
    with pytest.raises(GiftError) as caught:
        parse_gift(text)
    error = caught.value
    assert error.errors == [
        (6, "choices: the positive weights must add up to 100%, not 80%"),
        (11, "choices: the positive weights must add up to 100%, not 70%"),
    ]
    assert (error.line, error.message) == (6, "choices: the positive weights must add up to 100%, not 80%")
    assert (
        str(error)
        == "line 6: choices: the positive weights must add up to 100%, not 80% (and 1 more problems)"
    )


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (
            "::Q::Essay here.{}",
            (1, "'Q' is an essay ({} with no answers), which we do not have: not imported"),
        ),
        (
            "::Q::Essay.\n{####general feedback}",
            (2, "'Q' is an essay ({} with no answers), which we do not have: not imported"),
        ),
        (
            "Just a description.",
            (
                1,
                "'Just a description.' is a description (no answer block), which we do not have: not imported",
            ),
        ),
    ],
)
def test_essays_and_descriptions_are_reported_and_not_imported(text, warning):
    found = read_gift(f"::Kept::Fine.{{T}}\n\n{text}")
    assert [q.title for q in found.questions] == ["Kept"]
    assert found.warnings == [(warning[0] + 2, warning[1])]


def test_gift_error_can_be_raised_with_a_line_and_message():
    error = GiftError(1, "the file contains no questions")
    assert (error.line, error.message, error.errors) == (
        1,
        "the file contains no questions",
        [(1, "the file contains no questions")],
    )
    assert str(error) == "line 1: the file contains no questions"


def test_a_blank_line_inside_an_answer_block_is_reported():
    errors = errors_of("""
        ::Q::Stem {
          =a

          ~b
        }
    """)
    assert errors[0] == (1, "the answer block '{' is not closed with '}' before the blank line")


# --- Export ---------------------------------------------------------------------------------------------------------
EXAMPLES = [
    SingleChoice(
        title="Max memory",
        stem="What is Lambda's **maximum** memory?\n\nPick one.",
        explanation="Raised in 2020: see `MemorySize`.",
        category="AWS/Lambda",
        tags=["lambda", "limits"],
        choices=[
            Choice(id="a", text="10,240 MB", weight=100, feedback="Right: since 2020."),
            Choice(id="b", text="3,008 MB", feedback="The old limit."),
            Choice(id="c", text="%50 of it", weight=0),
            Choice(id="d", text="10 GB", weight=50),
        ],
    ),
    MultipleResponse(
        title="Serverless",
        stem="Which are serverless?",
        scoring="all_or_nothing",
        category="AWS/Lambda",
        choices=[
            Choice(id="a", text="Lambda", weight=50),
            Choice(id="b", text="S3 = storage", weight=50),
            Choice(id="c", text="EC2 ~ servers", weight=-100, feedback="#1 mistake"),
        ],
    ),
    TrueFalse(
        title="TF", stem="Lambda is {serverless}.", answer=False, right_feedback="Right.", stem_format="html"
    ),
    TrueFalse(
        title="TF2", stem="Plain.", answer=True, wrong_feedback="Wrong: it is.", explanation="Because."
    ),
    ShortAnswer(
        title="Short",
        stem="Name it: the queue service.",
        case_sensitive=True,
        answers=[Answer(text="SQS"), Answer(text="a -> b", weight=50, feedback="Odd.")],
    ),
    Numeric(
        title="Numbers",
        stem="How much?",
        wrong_feedback="No.",
        explanation="Five.",
        answers=[
            NumericAnswer(value=5, feedback="Yes."),
            NumericAnswer(value=5, tolerance=0.5, weight=75),
            NumericAnswer(minimum=-1.5, maximum=10.25, weight=10),
            NumericAnswer(value=1e-07),
        ],
    ),
    Matching(
        title="Match: services",
        stem="Match.",
        pairs=[Pair(left="Lambda", right="compute -> run"), Pair(left="S3 #1", right="storage")],
        distractors=["networking"],
        explanation="See the glossary.",
    ),
]


def test_export_writes_readable_gift():
    text = dump_gift(EXAMPLES[:2])
    # Answers are indented with a tab, as Moodle writes them ("|" marks one here). Choices are plain
    # text here, and Moodle reads an untagged answer in the stem's format: so they say [plain].
    assert text == gift(r"""
        $CATEGORY: $course$/top/AWS/Lambda

        // [tag:lambda] [tag:limits]
        ::Max memory::[markdown]What is Lambda's **maximum** memory?\n\nPick one. {
        |=[plain]10,240 MB#Right\: since 2020.
        |~[plain]3,008 MB#The old limit.
        |~[plain]%50 of it
        |~%50%[plain]10 GB
        |####Raised in 2020\: see `MemorySize`.
        }

        // [scoring:all_or_nothing]
        ::Serverless::[markdown]Which are serverless? {
        |~%50%[plain]Lambda
        |~%50%[plain]S3 \= storage
        |~%-100%[plain]EC2 \~ servers#\#1 mistake
        }
    """).replace("|", "\t")


def test_export_then_import_gives_the_same_questions():
    text = dump_gift(EXAMPLES)
    assert parse_gift(text) == EXAMPLES
    assert dump_gift(parse_gift(text)) == text


def test_export_resets_the_category_when_it_changes_back_to_none():
    questions = [TrueFalse(title="A", stem="a", category="X"), TrueFalse(title="B", stem="b")]
    assert [q.category for q in parse_gift(dump_gift(questions))] == ["X", ""]


def test_export_of_nothing_is_empty():
    assert dump_gift([]) == ""


def test_export_refuses_what_is_not_a_question():
    with pytest.raises((TypeError, AttributeError)):
        dump_gift([{"kind": "single"}])


# --- Property: any valid question survives export and import -----------------------------------------------------
ALPHABET = "abcXYZ019 .,?!'\"()*_%-<>[]/\\~=#{}:$\n\té€✓"
texts = st.text(ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
lines = texts.map(lambda text: " ".join(text.split())).filter(bool)
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
tolerances = st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.integers(0, 1000)
feedbacks = st.just("") | texts


@st.composite
def commons(draw):
    return {
        "title": draw(lines.map(lambda text: text[:200])),
        "stem": draw(texts),
        "stem_format": draw(st.sampled_from(["markdown", "moodle", "html", "plain"])),
        "explanation": draw(feedbacks),
        "category": draw(st.just("") | lines),
        "tags": draw(
            st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=3, unique=True)
        ),
        "hints": draw(st.lists(texts, max_size=2)),
        "penalty": draw(st.sampled_from([0, 0.1, 0.3333333, 1])),
    }


def choices_with(weights, draw):
    weights = draw(st.permutations(weights))
    return [
        Choice(id=choice_id(i), text=draw(texts), weight=weight, feedback=draw(feedbacks))
        for i, weight in enumerate(weights)
    ]


@st.composite
def single_choices(draw):
    others = draw(st.lists(st.sampled_from([0, 0, 50, 25, -100, 33.333, -12.5]), min_size=1, max_size=4))
    return SingleChoice(**draw(commons()), choices=choices_with([100, *others], draw))


@st.composite
def multiple_responses(draw):
    right = draw(st.sampled_from([[100], [50, 50], [33.333, 33.333, 33.334], [25, 75], [12.5] * 8]))
    others = draw(
        st.lists(st.sampled_from([0, -100, -50, -33.333]), min_size=0 if len(right) > 1 else 1, max_size=3)
    )
    return MultipleResponse(
        **draw(commons()),
        choices=choices_with([*right, *others], draw),
        scoring=draw(st.sampled_from(["partial", "all_or_nothing"])),
    )


@st.composite
def true_falses(draw):
    return TrueFalse(
        **draw(commons()),
        answer=draw(st.booleans()),
        right_feedback=draw(feedbacks),
        wrong_feedback=draw(feedbacks),
    )


@st.composite
def short_answers(draw):
    case_sensitive = draw(st.booleans())
    weights = [100, *draw(st.lists(st.sampled_from([100, 50, 0, 12.5]), max_size=3))]
    answer_texts = draw(
        st.lists(
            texts,
            min_size=len(weights),
            max_size=len(weights),
            unique_by=lambda text: normalize_answer(text, case_sensitive=case_sensitive),
        )
    )
    return ShortAnswer(
        **draw(commons()),
        case_sensitive=case_sensitive,
        answers=[
            Answer(text=text, weight=weight, feedback=draw(feedbacks))
            for text, weight in zip(answer_texts, weights, strict=True)
        ],
    )


@st.composite
def numeric_answers(draw, weight):
    if draw(st.booleans()):
        low, high = sorted([draw(numbers), draw(numbers)])
        return NumericAnswer(minimum=low, maximum=high, weight=weight, feedback=draw(feedbacks))
    return NumericAnswer(
        value=draw(numbers), tolerance=draw(tolerances), weight=weight, feedback=draw(feedbacks)
    )


@st.composite
def numerics(draw):
    weights = [100, *draw(st.lists(st.sampled_from([100, 50, 0, 33.3]), max_size=3))]
    return Numeric(
        **draw(commons()),
        answers=[draw(numeric_answers(weight)) for weight in weights],
        wrong_feedback=draw(feedbacks),
    )


@st.composite
def matchings(draw):
    lefts = draw(st.lists(texts.filter(lambda text: "->" not in text), min_size=2, max_size=5, unique=True))
    return Matching(
        **draw(commons()),
        pairs=[Pair(left=left, right=draw(texts)) for left in lefts],
        distractors=draw(st.lists(texts, max_size=2)),
    )


questions = st.one_of(
    single_choices(), multiple_responses(), true_falses(), short_answers(), numerics(), matchings()
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions, min_size=1, max_size=4))
def test_property_export_then_import_gives_equal_specs(generated):
    for question in generated:
        assert question.problems() == []
    text = dump_gift(generated)
    assert parse_gift(text) == generated
    assert dump_gift(parse_gift(text)) == text


GIFT_PIECES = st.sampled_from(
    [
        *"~=#{}:\\%->[]/_\n \tTFab01.$",
        "::",
        "->",
        "..",
        "####",
        "//",
        "\n\n",
        "$CATEGORY:",
        "[tag:x]",
        "%50%",
        "%-100%",
        "{#",
        "TRUE",
        "\\n",
        "[scoring:all_or_nothing]",
        "[case:sensitive]",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(GIFT_PIECES, max_size=40).map("".join))
def test_property_any_text_parses_or_raises_gift_error_with_lines(text):
    try:
        parsed = parse_gift(text)
    except GiftError as error:
        assert error.errors
        assert all(1 <= line <= text.count("\n") + 1 for line, _ in error.errors)
        return
    assert parse_gift(dump_gift(parsed)) == parsed


# --- The GIFT files shipped with the courses ---------------------------------------------------------------------
@pytest.mark.parametrize("path", GIFT_FILES, ids=[str(path.relative_to(CONTENT_DIR)) for path in GIFT_FILES])
def test_every_content_gift_file_parses(path):
    # As import_course does: fact tags are replaced from the course's facts.yaml before GIFT is parsed.
    text = resolve_tags(path.read_text(encoding="utf-8"), course_facts(path.parent.parent), path)
    try:
        found = read_gift(text)
    except GiftError as error:
        pytest.fail(
            f"{path.relative_to(CONTENT_DIR)}:\n"
            + "\n".join(f"  line {line}: {message}" for line, message in error.errors)
        )
    questions = found.questions
    assert questions, "a GIFT file with no questions"
    assert found.warnings == [], "our own content must say exactly what it shows"
    assert parse_gift(dump_gift(questions)) == questions
