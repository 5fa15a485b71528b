"""Scoring every kind of question (quizzes.grading), and the question specs it scores (quizzes.spec):
validation, the JSON form, and what a student may see before answering."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from quizzes.grading import Grade, ResponseError, grade, parse_number
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
    SpecError,
    TrueFalse,
    choice_id,
    from_dict,
)

ROOT = Path(__file__).resolve().parents[2]


def single(**changes):
    values = {
        "title": "Max memory",
        "stem": "What is Lambda's maximum memory?",
        "explanation": "Raised from 3,008 MB in 2020.",
        "choices": [
            Choice(id="a", text="10,240 MB", weight=100, feedback="Right."),
            Choice(id="b", text="3,008 MB", weight=0, feedback="The old limit."),
            Choice(id="c", text="10 GB", weight=50, feedback="Close: 10,240 MB."),
            Choice(id="d", text="1 TB", weight=-100),
        ],
    }
    return SingleChoice(**{**values, **changes})


def multiple(scoring="partial", **changes):
    values = {
        "title": "Serverless services",
        "stem": "Which are serverless?",
        "scoring": scoring,
        "choices": [
            Choice(id="a", text="Lambda", weight=50, feedback="Yes, functions."),
            Choice(id="b", text="DynamoDB", weight=50),
            Choice(id="c", text="EC2", weight=-100, feedback="You manage the servers."),
            Choice(id="d", text="Amazon Linux", weight=0),
        ],
    }
    return MultipleResponse(**{**values, **changes})


def short(**changes):
    values = {
        "title": "Queues",
        "stem": "Which service offers queues?",
        "answers": [
            Answer(text="SQS", feedback="Simple Queue Service."),
            Answer(text="Simple Queue Service"),
            Answer(text="queue", weight=25, feedback="Which service?"),
        ],
    }
    return ShortAnswer(**{**values, **changes})


def numeric(*answers, **changes):
    return Numeric(
        title="Memory",
        stem="Maximum memory in MB?",
        answers=answers or [NumericAnswer(value=10240, tolerance=0.1)],
        **changes,
    )


def matching(**changes):
    values = {
        "title": "Match",
        "stem": "Match each service with what it does.",
        "pairs": [
            Pair(left="Lambda", right="compute"),
            Pair(left="S3", right="storage"),
            Pair(left="SQS", right="queues"),
        ],
        "distractors": ["networking"],
    }
    return Matching(**{**values, **changes})


# --- Single choice ------------------------------------------------------------------------------------------
def test_single_choice_right_answer_earns_full_marks_with_its_feedback_and_the_explanation():
    result = grade(single(), "a")
    assert result == Grade(
        score=1.0, correct=True, feedback=["Right."], explanation="Raised from 3,008 MB in 2020."
    )


def test_single_choice_wrong_answer_scores_zero():
    result = grade(single(), "b")
    assert (result.score, result.correct, result.feedback) == (0.0, False, ["The old limit."])


def test_single_choice_partial_weight_gives_partial_credit():
    result = grade(single(), "c")
    assert (result.score, result.correct) == (0.5, False)


def test_single_choice_negative_weight_is_floored_at_zero_and_empty_feedback_is_left_out():
    assert grade(single(), "d") == Grade(
        score=0.0, correct=False, feedback=[], explanation=single().explanation
    )


@pytest.mark.parametrize("response", ["z", "A", ""])
def test_single_choice_unknown_choice_is_refused(response):
    with pytest.raises(ResponseError, match=f"choice '{response}' is not in this question"):
        grade(single(), response)


@pytest.mark.parametrize("response", [None, ["a"], 1, {"a": 1}])
def test_single_choice_refuses_a_response_of_the_wrong_shape(response):
    with pytest.raises(ResponseError):
        grade(single(), response)


# --- True / false ---------------------------------------------------------------------------------------------
def truefalse(answer=True):
    return TrueFalse(
        title="TF",
        stem="Lambda bills per millisecond.",
        answer=answer,
        right_feedback="Yes, since 2020.",
        wrong_feedback="It does, since 2020.",
    )


@pytest.mark.parametrize("response", ["true", "TRUE", " True ", True])
def test_truefalse_right_answer_in_any_accepted_form(response):
    assert grade(truefalse(), response) == Grade(1.0, True, ["Yes, since 2020."], "")


@pytest.mark.parametrize("response", ["false", False])
def test_truefalse_wrong_answer_shows_the_wrong_feedback(response):
    assert grade(truefalse(), response) == Grade(0.0, False, ["It does, since 2020."], "")


def test_truefalse_when_the_statement_is_false():
    assert grade(truefalse(answer=False), "false").correct
    assert not grade(truefalse(answer=False), True).correct


@pytest.mark.parametrize("response", ["yes", "t", 1, 0, None, ["true"]])
def test_truefalse_refuses_anything_but_true_or_false(response):
    with pytest.raises(ResponseError, match="is not in this question"):
        grade(truefalse(), response)


# --- Multiple response ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "score"),
    [
        (["a", "b"], 1.0),
        (["b", "a"], 1.0),
        (["a"], 0.5),
        (["a", "d"], 0.5),  # a 0% choice costs nothing
        (["a", "c"], 0.0),  # 50 - 100 is floored at 0
        (["a", "b", "c"], 0.0),
        (["d"], 0.0),
        ([], 0.0),
        (["a", "a"], 0.5),  # a repeated id counts once
    ],
)
def test_multiple_response_partial_credit_adds_the_chosen_weights(response, score):
    result = grade(multiple(), response)
    assert result.score == score
    assert result.correct is (score == 1.0)


def test_multiple_response_partial_credit_is_capped_at_full_marks():
    spec = multiple(choices=[Choice(id="a", text="x", weight=100), Choice(id="b", text="y", weight=50)])
    assert grade(spec, ["a", "b"]).score == 1.0


def test_multiple_response_thirds_add_up_to_full_marks():
    spec = multiple(choices=[Choice(id=i, text=i, weight=33.333) for i in "abc"] + [Choice(id="d", text="d")])
    assert spec.problems() == []
    assert grade(spec, ["a", "b", "c"]) == Grade(1.0, True, [], "")
    assert grade(spec, ["a"]).score == pytest.approx(1 / 3)


def test_multiple_response_feedback_of_every_chosen_choice_in_question_order():
    assert grade(multiple(), ["c", "a"]).feedback == ["Yes, functions.", "You manage the servers."]


@pytest.mark.parametrize(
    ("response", "score"), [(["a", "b"], 1.0), (["a"], 0.0), (["a", "b", "d"], 0.0), ([], 0.0)]
)
def test_multiple_response_all_or_nothing_needs_exactly_the_right_set(response, score):
    result = grade(multiple("all_or_nothing"), response)
    assert (result.score, result.correct) == (score, score == 1.0)


def test_multiple_response_unknown_choice_is_refused():
    with pytest.raises(ResponseError, match="choice 'z' is not in this question"):
        grade(multiple(), ["a", "z"])


@pytest.mark.parametrize("response", ["a", None, [1], {"a": True}])
def test_multiple_response_refuses_a_response_that_is_not_a_list_of_ids(response):
    with pytest.raises(ResponseError):
        grade(multiple(), response)


# --- Short answer ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "response", ["SQS", "sqs", "  Sqs ", "simple   queue\tservice", "SIMPLE QUEUE SERVICE"]
)
def test_short_answer_is_case_and_whitespace_insensitive_by_default(response):
    assert grade(short(), response).correct


def test_short_answer_gives_the_feedback_of_the_matched_answer():
    assert grade(short(), "sqs").feedback == ["Simple Queue Service."]


def test_short_answer_partial_weight():
    assert grade(short(), "Queue") == Grade(0.25, False, ["Which service?"], "")


def test_short_answer_no_match_scores_zero():
    assert grade(short(), "SNS") == Grade(0.0, False, [], "")
    assert grade(short(), "") == Grade(0.0, False, [], "")


def test_short_answer_case_sensitive_when_asked():
    spec = short(case_sensitive=True)
    assert grade(spec, "SQS").correct
    assert not grade(spec, "sqs").correct


def test_short_answer_refuses_the_same_answer_twice():
    spec = short(answers=[Answer(text="lambda", weight=50), Answer(text="Lambda")], case_sensitive=False)
    assert spec.problems() == [("answers[1].text", "the answer 'Lambda' is given twice")]


@pytest.mark.parametrize("response", [None, 5, ["SQS"]])
def test_short_answer_refuses_what_is_not_text(response):
    with pytest.raises(ResponseError, match="text"):
        grade(short(), response)


# --- Numeric --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "response", ["10240", "10240.1", "10239.9", 10240, 10240.1, 10239.9, " 10240.05 ", "1.02401e4"]
)
def test_numeric_tolerance_ends_are_included(response):
    assert grade(numeric(), response).correct


@pytest.mark.parametrize("response", ["10240.11", "10239.89", 10240.100001, "-10240", "0"])
def test_numeric_outside_the_tolerance_is_wrong(response):
    assert grade(numeric(), response).score == 0.0


def test_numeric_small_tolerance_is_float_safe():
    spec = numeric(NumericAnswer(value=0.3, tolerance=0.1))
    assert grade(spec, 0.1 + 0.1).correct  # 0.2 exactly at the lower end
    assert grade(spec, "0.4").correct
    assert not grade(spec, "0.40000001").correct


def test_numeric_zero_tolerance_means_exactly_the_value():
    spec = numeric(NumericAnswer(value=15))
    assert grade(spec, "15").correct and grade(spec, "15.000").correct and grade(spec, 15.0).correct
    assert not grade(spec, "15.0001").correct


@pytest.mark.parametrize(
    ("response", "correct"), [("4", True), ("6", True), ("5.5", True), ("3.999", False), ("6.01", False)]
)
def test_numeric_range_includes_both_ends(response, correct):
    assert grade(numeric(NumericAnswer(minimum=4, maximum=6)), response).correct is correct


def test_numeric_partial_credit_by_weight_and_the_best_match_counts():
    spec = numeric(
        NumericAnswer(value=5, feedback="Exactly."),
        NumericAnswer(minimum=4, maximum=6, weight=50, feedback="Close."),
        wrong_feedback="No.",
    )
    assert grade(spec, "5") == Grade(1.0, True, ["Exactly."], "")
    assert grade(spec, "4.5") == Grade(0.5, False, ["Close."], "")
    assert grade(spec, "7") == Grade(0.0, False, ["No."], "")


def test_numeric_negative_values():
    spec = numeric(NumericAnswer(minimum=-10, maximum=-5))
    assert grade(spec, "-7").correct and not grade(spec, "7").correct


@pytest.mark.parametrize(
    "response",
    ["abc", "", "nan", "inf", "1,5", "1_000", "0x10", True, None, float("nan"), float("inf"), [1]]
    + ["10,24", "1,0000", "1000,000", ",100", "100,", "1,000 000", "1.000,5", "10  240"],
)
def test_numeric_refuses_what_is_not_a_number(response):
    with pytest.raises(ResponseError):
        grade(numeric(), response)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("10,240", "10240"),
        ("10 240", "10240"),
        ("10\u2009240", "10240"),
        ("10\u202f240", "10240"),
        ("1\u00a0000\u00a0000", "1000000"),
        ("-1,234,567.25", "-1234567.25"),
        ("1,000e3", "1000e3"),
    ],
)
def test_parse_number_takes_thousands_separators(typed, number):
    assert parse_number(typed) == Decimal(number)
    assert grade(numeric(NumericAnswer(value=float(number))), typed).correct


def test_parse_number_keeps_what_was_typed():
    assert str(parse_number(" -3.50 ")) == "-3.50"
    assert parse_number(10240.1) == parse_number("10240.1")
    with pytest.raises(ResponseError, match="'abc' is not a number"):
        parse_number("abc")


# --- Matching -------------------------------------------------------------------------------------------------
def test_matching_all_pairs_right():
    response = {"Lambda": "compute", "S3": "storage", "SQS": "queues"}
    assert grade(matching(), response) == Grade(1.0, True, [], "")


def test_matching_scores_the_fraction_of_pairs_right():
    assert grade(matching(), {"Lambda": "compute", "S3": "queues", "SQS": "storage"}).score == pytest.approx(
        1 / 3
    )
    assert grade(matching(), {"Lambda": "compute", "S3": "networking"}).score == pytest.approx(1 / 3)


def test_matching_unanswered_items_count_as_wrong():
    assert grade(matching(), {}).score == 0.0


def test_matching_unknown_left_or_right_is_refused():
    with pytest.raises(ResponseError, match="'EC2' is not an item"):
        grade(matching(), {"EC2": "compute"})
    with pytest.raises(ResponseError, match="'servers' is not an answer"):
        grade(matching(), {"Lambda": "servers"})
    with pytest.raises(ResponseError):
        grade(matching(), ["compute"])


def test_grade_refuses_what_is_not_a_question():
    with pytest.raises(TypeError):
        grade({"kind": "single"}, "a")


# --- Specs: validation -----------------------------------------------------------------------------------------
def fields_of(spec):
    return [name for name, _ in spec.problems()]


def test_valid_specs_have_no_problems():
    for spec in (
        single(),
        multiple(),
        multiple("all_or_nothing"),
        truefalse(),
        short(),
        numeric(),
        matching(),
    ):
        assert spec.problems() == []
        spec.validate()


def test_validate_raises_the_first_problem_with_its_field_and_lists_all():
    spec = single(title="", stem=" ")
    with pytest.raises(SpecError) as caught:
        spec.validate()
    assert (caught.value.field, caught.value.message) == ("title", "must not be empty")
    assert caught.value.errors == [("title", "must not be empty"), ("stem", "must not be empty")]
    assert str(caught.value) == "title: must not be empty"


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (
            single(choices=[Choice(id="a", text="x", weight=100), Choice(id="b", text="y", weight=100)]),
            "choices",
            "exactly one choice must be correct (at 100%); found 2",
        ),
        (
            single(choices=[Choice(id="a", text="x"), Choice(id="b", text="y", weight=50)]),
            "choices",
            "exactly one choice must be correct (at 100%); found 0",
        ),
        (single(choices=[Choice(id="a", text="x", weight=100)]), "choices", "needs at least two choices"),
        (
            single(choices=[Choice(id="a", text=" ", weight=100), Choice(id="b", text="y")]),
            "choices[0].text",
            "must not be empty",
        ),
        (
            single(choices=[Choice(id="a", text="x", weight=100), Choice(id="a", text="y")]),
            "choices[1].id",
            "id 'a' is used twice",
        ),
        (
            single(choices=[Choice(id="a", text="x", weight=100), Choice(id="b", text="y", weight=-150)]),
            "choices[1].weight",
            "must be between -100 and 100 (percent)",
        ),
        (single(stem_format="rst"), "stem_format", "must be one of markdown, moodle, html, plain"),
        (single(title="x" * 201), "title", "must be at most 200 characters"),
        (single(title="two\nlines"), "title", "must be a single line"),
        (single(tags=["ok", " spaced "]), "tags[1]", "must be non-empty text without surrounding spaces"),
        (
            multiple(choices=[Choice(id="a", text="x"), Choice(id="b", text="y", weight=-50)]),
            "choices",
            "at least one choice must be correct (a positive weight)",
        ),
        (
            multiple(choices=[Choice(id="a", text="x", weight=50), Choice(id="b", text="y", weight=40)]),
            "choices",
            "the positive weights must add up to 100%, not 90%",
        ),
        (multiple(scoring="most"), "scoring", "must be one of all_or_nothing, partial"),
        (TrueFalse(title="t", stem="s", answer="yes"), "answer", "must be true or false"),
        (short(answers=[]), "answers", "needs at least one accepted answer"),
        (short(answers=[Answer(text="")]), "answers[0].text", "must not be empty"),
        (
            short(answers=[Answer(text="x", weight=50)]),
            "answers",
            "at least one answer must earn full marks (100%)",
        ),
        (
            short(answers=[Answer(text="x"), Answer(text="y", weight=-10)]),
            "answers[1].weight",
            "must be between 0 and 100 (percent)",
        ),
        (numeric(NumericAnswer(value=5, tolerance=-1)), "answers[0].tolerance", "must not be negative"),
        (
            numeric(NumericAnswer(minimum=6, maximum=4)),
            "answers[0].minimum",
            "must not be greater than the maximum",
        ),
        (numeric(NumericAnswer(minimum=6)), "answers[0].maximum", "must be a number"),
        (numeric(NumericAnswer(value=float("inf"))), "answers[0].value", "must be a number"),
        (numeric(NumericAnswer(value=None)), "answers[0].value", "must be a number"),
        (
            numeric(NumericAnswer(value=5, weight=50)),
            "answers",
            "at least one answer must earn full marks (100%)",
        ),
        (Numeric(title="t", stem="s"), "answers", "needs at least one answer"),
        (matching(pairs=[Pair(left="a", right="b")]), "pairs", "needs at least two pairs"),
        (
            matching(pairs=[Pair(left="a", right="b"), Pair(left="", right="c")]),
            "pairs[1].left",
            "must not be empty",
        ),
        (
            matching(pairs=[Pair(left="a", right="b"), Pair(left="c", right=" ")]),
            "pairs[1].right",
            "must not be empty",
        ),
        (
            matching(pairs=[Pair(left="a", right="b"), Pair(left="a", right="c")]),
            "pairs[1].left",
            "the left side 'a' appears twice",
        ),
        (matching(distractors=[""]), "distractors[0]", "must not be empty"),
    ],
)
def test_validation_rules_name_the_field(spec, field, message):
    assert (field, message) in spec.problems()


def test_multiple_response_all_or_nothing_still_needs_weights_that_add_up():
    spec = multiple(
        "all_or_nothing", choices=[Choice(id="a", text="x", weight=100), Choice(id="b", text="y")]
    )
    assert spec.problems() == []


# --- Specs: JSON form and public view ---------------------------------------------------------------------------
ALL_SPECS = [
    single(),
    multiple(),
    multiple("all_or_nothing"),
    truefalse(),
    short(),
    short(case_sensitive=True),
    numeric(),
    numeric(NumericAnswer(minimum=4, maximum=6, weight=100, feedback="ok"), wrong_feedback="no"),
    matching(),
    single(category="AWS/Lambda", tags=["lambda", "limits"], stem_format="html"),
]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=[f"{s.kind}-{i}" for i, s in enumerate(ALL_SPECS)])
def test_to_dict_round_trips_exactly_through_json(spec):
    data = spec.to_dict()
    assert data["kind"] == spec.kind
    stored = json.loads(json.dumps(data))
    assert stored == data
    assert from_dict(stored) == spec
    assert from_dict(stored).to_dict() == data


def test_to_dict_shape():
    data = single(tags=["t"]).to_dict()
    assert data == {
        "kind": "single",
        "title": "Max memory",
        "stem": "What is Lambda's maximum memory?",
        "stem_format": "markdown",
        "explanation": "Raised from 3,008 MB in 2020.",
        "category": "",
        "tags": ["t"],
        "hints": [],
        "penalty": 0,
        "choices": [
            {"id": "a", "text": "10,240 MB", "weight": 100, "feedback": "Right."},
            {"id": "b", "text": "3,008 MB", "weight": 0, "feedback": "The old limit."},
            {"id": "c", "text": "10 GB", "weight": 50, "feedback": "Close: 10,240 MB."},
            {"id": "d", "text": "1 TB", "weight": -100, "feedback": ""},
        ],
    }


def test_from_dict_fills_defaults_and_lists_become_tuples():
    spec = from_dict({"kind": "truefalse", "title": "t", "stem": "s", "answer": False, "tags": ["x"]})
    assert spec == TrueFalse(title="t", stem="s", answer=False, tags=("x",))
    assert spec.stem_format == "markdown"


def test_integral_numbers_are_stored_as_integers():
    spec = numeric(NumericAnswer(value=10240.0, tolerance=0.5, weight=100.0))
    assert spec.to_dict()["answers"][0] == {
        "value": 10240,
        "tolerance": 0.5,
        "minimum": None,
        "maximum": None,
        "weight": 100,
        "feedback": "",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "essay"}, "kind"),
        ({}, "kind"),
        ([], "spec"),
        ({"kind": "single", "colour": "red"}, "colour"),
        ({"kind": "single", "choices": "a"}, "choices"),
        ({"kind": "single", "choices": ["a"]}, "choices[0]"),
        ({"kind": "single", "choices": [{"text": "x"}]}, "choices[0].id"),
        ({"kind": "single", "choices": [{"id": "a", "text": "x", "right": True}]}, "choices[0].right"),
        ({"kind": "matching", "pairs": [{"left": "a"}]}, "pairs[0].right"),
        ({"kind": "short", "tags": "lambda"}, "tags"),
    ],
)
def test_from_dict_refuses_malformed_data_naming_the_field(data, field):
    with pytest.raises(SpecError) as caught:
        from_dict(data)
    assert caught.value.field == field


def test_public_dict_never_holds_answers_weights_feedback_or_explanation():
    for spec in ALL_SPECS:
        public = json.dumps(spec.public_dict())
        for secret in (
            "weight",
            "feedback",
            "explanation",
            "answer",
            "correct",
            "Right.",
            "Raised from",
            "10240",
            "Simple Queue Service",
            "pairs",
            "Max memory",
        ):
            assert secret not in public, (spec.kind, secret)


def test_public_dict_per_kind():
    assert single().public_dict() == {
        "kind": "single",
        "stem": "What is Lambda's maximum memory?",
        "stem_format": "markdown",
        "choices": [
            {"id": "a", "text": "10,240 MB"},
            {"id": "b", "text": "3,008 MB"},
            {"id": "c", "text": "10 GB"},
            {"id": "d", "text": "1 TB"},
        ],
    }
    assert truefalse(answer=False).public_dict()["choices"] == [
        {"id": "true", "text": "True"},
        {"id": "false", "text": "False"},
    ]
    assert set(short().public_dict()) == {"kind", "stem", "stem_format"}
    assert set(numeric().public_dict()) == {"kind", "stem", "stem_format"}


def test_public_matching_rights_are_sorted_so_their_order_reveals_nothing():
    public = matching().public_dict()
    assert public["lefts"] == ["Lambda", "S3", "SQS"]
    assert public["rights"] == ["compute", "networking", "queues", "storage"]


def test_correct_ids_and_solution_text():
    assert single().correct_ids() == ["a"] and single().solution_text() == "10,240 MB"
    assert multiple().correct_ids() == ["a", "b"] and multiple().solution_text() == "Lambda; DynamoDB"
    assert truefalse(answer=False).correct_ids() == ["false"] and truefalse().solution_text() == "True"
    assert short().correct_ids() == [] and short().solution_text() == "SQS or Simple Queue Service"
    assert numeric().solution_text() == "10240 ± 0.1"
    assert numeric(NumericAnswer(minimum=4, maximum=6)).solution_text() == "4 to 6"
    assert numeric(NumericAnswer(value=2.5)).solution_text() == "2.5"
    assert matching().solution_text() == "Lambda → compute; S3 → storage; SQS → queues"


def test_specs_are_frozen_and_hashable():
    spec = single()
    with pytest.raises(AttributeError):
        spec.stem = "changed"
    assert hash(spec) == hash(single())


def test_choice_ids_follow_spreadsheet_columns():
    assert [choice_id(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["a", "b", "z", "aa", "ab", "az", "ba"]


def test_the_pure_quiz_modules_do_not_import_django():
    code = (
        "import sys, quizzes.spec, quizzes.grading, quizzes.gift; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
