"""JSONPath as ASL uses it, payload templates, ResultPath, and every Choice operator."""

import random

import pytest

from labs.runtime.stepfunctions.choice import COMPARISONS, compile_rule, string_matches
from labs.runtime.stepfunctions.paths import (
    NoMatchError,
    PathSyntaxError,
    TemplateError,
    compile_path,
    compile_template,
    set_path,
)

DATA = {
    "store": {
        "book": [
            {"title": "A", "price": 8, "isbn": "1"},
            {"title": "B", "price": 12},
            {"title": "C", "price": 22, "isbn": "3"},
        ],
        "name with space": "x",
    },
    "n": 0,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.n", 0),
        ("$.store.book[0].title", "A"),
        ("$['store']['name with space']", "x"),
        ("$.store.book[-1].title", "C"),
        ("$.store.book[*].title", ["A", "B", "C"]),
        ("$.store.book[0:2].price", [8, 12]),
        ("$.store.book[::2].title", ["A", "C"]),
        ("$.store.book[0,2].title", ["A", "C"]),
        ("$..price", [8, 12, 22]),
        ("$.store.book[?(@.price < 10)].title", ["A"]),
        ("$.store.book[?(@.isbn)].title", ["A", "C"]),
        ("$.store.book[?(@.price > 10 && @.isbn)].title", ["C"]),
        ("$.store.book[?(@.title == 'B' || @.price == 8)].title", ["A", "B"]),
    ],
)
def test_paths_select_what_jayway_selects(path, expected):
    assert compile_path(path).value(DATA) == expected


def test_definite_path_that_matches_nothing_raises_and_indefinite_gives_empty_list():
    with pytest.raises(NoMatchError):
        compile_path("$.store.missing").value(DATA)
    with pytest.raises(NoMatchError):
        compile_path("$.store.book[7]").value(DATA)
    assert compile_path("$.store.book[*].missing").value(DATA) == []


def test_roots_context_and_variables():
    assert compile_path("$$.Execution.Id").root == "context"
    variable = compile_path("$order.items[0]")
    assert (variable.root, variable.variable, variable.definite) == ("variable", "order", True)
    assert compile_path("$.a.b").normalized() == "$['a']['b']"


@pytest.mark.parametrize("bad", ["store", "$.a[", "$.a[1:2:0]", "$.a[x]", "$..", "$.a[?(price)]"])
def test_malformed_paths_are_syntax_errors(bad):
    with pytest.raises(PathSyntaxError):
        compile_path(bad)


def test_set_path_creates_objects_and_refuses_non_objects():
    assert set_path({"a": 1}, compile_path("$.b.c"), 2) == {"a": 1, "b": {"c": 2}}
    assert set_path({"a": 1}, compile_path("$"), 5) == 5
    original = {"a": {"x": 1}}
    assert set_path(original, compile_path("$.a.y"), 2) == {"a": {"x": 1, "y": 2}}
    assert original == {"a": {"x": 1}}  # the input is never changed in place
    with pytest.raises(NoMatchError):
        set_path({"a": 1}, compile_path("$.a.b"), 2)
    with pytest.raises(NoMatchError):
        set_path([1, 2], compile_path("$.a"), 2)


def _lookup(data):
    return lambda path: path.value(data)


def test_templates_copy_constants_and_resolve_dollar_keys_and_intrinsics():
    render = compile_template(
        {
            "fixed": {"nested": [1, "two"]},
            "name.$": "$.user.name",
            "greeting.$": "States.Format('Hello, {}!', $.user.name)",
            "all.$": "$.items[*].id",
        }
    )
    data = {"user": {"name": "Ana"}, "items": [{"id": 1}, {"id": 2}]}
    assert render(_lookup(data), random.Random(0)) == {
        "fixed": {"nested": [1, "two"]},
        "name": "Ana",
        "greeting": "Hello, Ana!",
        "all": [1, 2],
    }
    with pytest.raises(TemplateError) as caught:
        render(_lookup({"user": {}}), random.Random(0))
    assert (caught.value.field, caught.value.path) == ("name.$", "$.user.name")


def test_an_intrinsic_path_that_finds_nothing_names_its_field_and_its_whole_path():
    render = compile_template({"n.$": "States.Format('{} items', States.MathAdd($.counts.total, 1))"})
    assert render(_lookup({"counts": {"total": 2}}), random.Random(0)) == {"n": "3 items"}
    with pytest.raises(TemplateError) as caught:
        render(_lookup({"counts": {}}), random.Random(0))
    assert (caught.value.field, caught.value.path) == ("n.$", "$.counts.total")

    def variables_only(path):  # a variable that is not set: the lookup names only the variable
        raise NoMatchError(f"${path.variable}")

    with pytest.raises(TemplateError) as caught:
        compile_template({"v.$": "States.Array($order.id)"})(variables_only, random.Random(0))
    assert (caught.value.field, caught.value.path) == ("v.$", "$order.id")


# -- Choice rules ---------------------------------------------------------------------------------------------
CHOICE_CASES = [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "abd", False),
    ("StringEquals", 1, "1", False),  # wrong type: false, not an error
    ("StringLessThan", "abc", "abd", True),
    ("StringGreaterThan", "b", "a", True),
    ("StringLessThanEquals", "a", "a", True),
    ("StringGreaterThanEquals", "a", "b", False),
    ("NumericEquals", 3, 3.0, True),
    ("NumericEquals", "3", 3, False),
    ("NumericLessThan", 2, 3, True),
    ("NumericGreaterThan", 2, 3, False),
    ("NumericLessThanEquals", 3, 3, True),
    ("NumericGreaterThanEquals", 2.5, 3, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", 1, True, False),
    ("TimestampEquals", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", True),
    ("TimestampLessThan", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", True),
    ("TimestampGreaterThan", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", False),
    ("TimestampLessThanEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", True),
    ("TimestampGreaterThanEquals", "2024-01-03T00:00:00.5Z", "2024-01-03T00:00:00Z", True),
    ("TimestampEquals", "2024-01-01t00:00:00z", "2024-01-01T00:00:00Z", False),  # lowercase: not a timestamp
]


@pytest.mark.parametrize(("operator", "value", "operand", "expected"), CHOICE_CASES)
def test_every_comparison_operator(operator, value, operand, expected):
    rule = compile_rule({"Variable": "$.v", operator: operand})
    assert rule(_lookup({"v": value})) is expected
    path_rule = compile_rule({"Variable": "$.v", f"{operator}Path": "$.other"})
    assert path_rule(_lookup({"v": value, "other": operand})) is expected


def test_the_table_covers_every_operator_aws_documents():
    kinds = {name for name in COMPARISONS if not name.endswith("Path")}
    assert len(kinds) == 5 + 5 + 1 + 5  # String, Numeric, Boolean, Timestamp relations
    assert {operator for operator, *_ in CHOICE_CASES} == kinds


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("IsNull", None, True),
        ("IsNull", 0, False),
        ("IsNumeric", 1.5, True),
        ("IsNumeric", True, False),
        ("IsString", "x", True),
        ("IsBoolean", False, True),
        ("IsTimestamp", "2024-02-29T10:00:00Z", True),
        ("IsTimestamp", "yesterday", False),
    ],
)
def test_type_tests(operator, value, expected):
    assert compile_rule({"Variable": "$.v", operator: True})(_lookup({"v": value})) is expected
    assert compile_rule({"Variable": "$.v", operator: False})(_lookup({"v": value})) is (not expected)


def test_is_present_is_the_only_operator_that_accepts_a_missing_variable():
    assert compile_rule({"Variable": "$.v", "IsPresent": False})(_lookup({})) is True
    assert compile_rule({"Variable": "$.v", "IsPresent": True})(_lookup({"v": None})) is True
    with pytest.raises(LookupError):
        compile_rule({"Variable": "$.v", "IsNull": True})(_lookup({}))
    with pytest.raises(LookupError):
        compile_rule({"Variable": "$.v", "NumericEqualsPath": "$.w"})(_lookup({"v": 1}))


def test_and_or_not_nest():
    rule = compile_rule(
        {
            "And": [
                {"Variable": "$.a", "NumericGreaterThan": 1},
                {
                    "Or": [
                        {"Variable": "$.b", "StringEquals": "x"},
                        {"Not": {"Variable": "$.c", "IsPresent": True}},
                    ]
                },
            ]
        }
    )
    assert rule(_lookup({"a": 2, "b": "x", "c": 1})) is True
    assert rule(_lookup({"a": 2, "b": "y"})) is True
    assert rule(_lookup({"a": 2, "b": "y", "c": 1})) is False
    assert rule(_lookup({"a": 0, "b": "x"})) is False


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("log-2024.txt", "log-*.txt", True),
        ("log.txt", "*.csv", False),
        ("a*b", "a\\*b", True),
        ("axb", "a\\*b", False),
        ("a\\b", "a\\\\b", True),
        ("anything", "*", True),
        ("", "*", True),
    ],
)
def test_string_matches(value, pattern, expected):
    assert string_matches(value, pattern) is expected
