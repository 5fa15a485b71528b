"""SNS subscription filter policies: AWS's documented examples, attribute types, scopes, limits, properties."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.runtime.sns import InvalidFilterPolicyError, compile_filter_policy, filter_policy_matches

CASES = json.loads((Path(__file__).parent / "events" / "sns_filter_policies.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_documented_examples(case):
    assert filter_policy_matches(case["policy"], case["message"], case["scope"]) is case["result"]


def attributes(**values) -> dict:
    kinds = {str: "String", int: "Number", float: "Number", list: "String.Array"}
    return {
        "MessageAttributes": {
            name: {"Type": kinds[type(v)], "Value": json.dumps(v) if isinstance(v, list) else str(v)}
            for name, v in values.items()
        },
        "Message": "hello",
    }


def test_string_array_elements_can_be_numbers():
    message = attributes(sizes=[1, 5, 12])
    assert filter_policy_matches({"sizes": [{"numeric": [">", 10]}]}, message)
    assert not filter_policy_matches({"sizes": [{"numeric": [">", 20]}]}, message)


def test_number_attributes_compare_as_numbers():
    assert filter_policy_matches({"n": [5]}, attributes(n=5.0))
    assert not filter_policy_matches({"n": [{"prefix": "5"}]}, attributes(n=5))


def test_the_default_scope_ignores_the_body():
    message = {"MessageAttributes": {}, "Message": json.dumps({"kind": "a"})}
    assert not filter_policy_matches({"kind": ["a"]}, message)
    assert filter_policy_matches({"kind": ["a"]}, message, scope="MessageBody")


@pytest.mark.parametrize(
    ("policy", "scope", "problem"),
    [
        ("{not json", "MessageAttributes", "not valid JSON"),
        ({"a": {"b": ["x"]}}, "MessageAttributes", "nested policies are only allowed"),
        (
            {"a": ["x"], "b": ["x"], "c": ["x"], "d": ["x"], "e": ["x"], "f": ["x"]},
            "MessageAttributes",
            "more than 5 keys",
        ),
        (
            {"a": list(range(10)), "b": list(range(10)), "c": list(range(2))},
            "MessageAttributes",
            "too complex (200 combinations",
        ),
        ({"a": [{"wildcard": "x*"}]}, "MessageAttributes", 'Unrecognized match type "wildcard"'),
        ({"a": [{"anything-but": {"equals-ignore-case": "x"}}]}, "MessageAttributes", "anything-but in SNS"),
        ({"a": [{"numeric": [">", 10, "<", 5]}]}, "MessageAttributes", "lower bound must be less"),
        ({"a": "x"}, "MessageAttributes", "must be in an array or an object"),
        ({"a": [{"foo": 1}]}, "MessageAttributes", 'unrecognized match type "foo"'),
        ({"a": ["x"]}, "Everything", "FilterPolicyScope must be one of"),
    ],
)
def test_invalid_policies_are_refused_with_the_reason(policy, scope, problem):
    with pytest.raises(InvalidFilterPolicyError) as raised:
        compile_filter_policy(policy, scope)
    assert problem in str(raised.value)
    assert str(raised.value).startswith("Invalid parameter: FilterPolicy: ")


def test_five_keys_and_150_combinations_are_allowed():
    policy = {"a": list(range(5)), "b": list(range(5)), "c": list(range(6)), "d": ["x"], "e": ["y"]}
    assert compile_filter_policy(policy).matches(attributes(a=1, b=2, c=3, d="x", e="y"))


# -- properties ------------------------------------------------------------------------------------------------
names = st.text(alphabet="abcdefg", min_size=1, max_size=5)
values = st.one_of(st.text(max_size=8), st.integers(-1000, 1000))
messages = st.dictionaries(names, values, min_size=1, max_size=5)


@given(messages)
def test_a_message_matches_a_policy_built_from_its_own_attributes(values_by_name):
    policy = {name: [value] for name, value in values_by_name.items()}
    assert filter_policy_matches(policy, attributes(**values_by_name))


@given(messages, st.data())
def test_anything_but_a_value_never_matches_it(values_by_name, data):
    name = data.draw(st.sampled_from(sorted(values_by_name)))
    assert not filter_policy_matches(
        {name: [{"anything-but": values_by_name[name]}]}, attributes(**values_by_name)
    )


@given(messages, messages, messages)
def test_or_is_the_or_of_its_branches(values_by_name, first, second):
    left = {name: [value] for name, value in list(first.items())[:2]}
    right = {name: [value] for name, value in list(second.items())[:2]}
    message = attributes(**values_by_name)
    combined = filter_policy_matches({"$or": [left, right]}, message)
    assert combined == (filter_policy_matches(left, message) or filter_policy_matches(right, message))


@given(messages, names, values)
def test_adding_a_key_never_turns_a_miss_into_a_match(values_by_name, extra_name, extra_value):
    policy = {name: [value] for name, value in list(values_by_name.items())[:3]}
    message = attributes(**{name: "different" for name in values_by_name})
    if filter_policy_matches(policy, message) or extra_name in policy:
        return
    assert not filter_policy_matches({**policy, extra_name: [extra_value]}, message)
