"""EventBridge event patterns: AWS's documented examples, each operator, validation errors, properties, CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.runtime.eventbridge import InvalidEventPatternError, compile_pattern, matches

CASES = json.loads((Path(__file__).parent / "events" / "eventbridge_patterns.json").read_text())
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_documented_examples(case):
    assert matches(case["pattern"], case["event"]) is case["result"]


EVENT = {
    "source": "com.example.orders",
    "detail-type": "OrderPlaced",
    "detail": {
        "order_id": "o-42",
        "total": 129.5,
        "country": "DE",
        "express": True,
        "coupon": None,
        "client_ip": "192.168.10.20",
        "tags": ["gift", "priority"],
        "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
        "path": "s3://bucket/uploads/photo.PNG",
    },
}


@pytest.mark.parametrize(
    ("detail_pattern", "expected"),
    [
        ({"country": ["DE", "FR"]}, True),
        ({"country": ["FR"]}, False),
        ({"express": [True]}, True),
        ({"express": [False]}, False),
        ({"coupon": [None]}, True),
        ({"total": [129.5]}, True),
        ({"total": [{"numeric": [">=", 100, "<", 130]}]}, True),
        ({"total": [{"numeric": ["<", 100]}]}, False),
        ({"country": [{"numeric": [">", 0]}]}, False),  # numeric never matches a string
        ({"order_id": [{"prefix": "o-"}]}, True),
        ({"order_id": [{"suffix": "42"}]}, True),
        ({"path": [{"suffix": ".png"}]}, False),
        ({"path": [{"suffix": {"equals-ignore-case": ".png"}}]}, True),
        ({"country": [{"equals-ignore-case": "de"}]}, True),
        ({"path": [{"wildcard": "s3://bucket/*/*.PNG"}]}, True),
        ({"path": [{"wildcard": "s3://other/*"}]}, False),
        ({"country": [{"anything-but": "FR"}]}, True),
        ({"country": [{"anything-but": ["DE", "FR"]}]}, False),
        ({"country": [{"anything-but": {"prefix": "D"}}]}, False),
        ({"client_ip": [{"cidr": "192.168.0.0/16"}]}, True),
        ({"client_ip": [{"cidr": "10.0.0.0/8"}]}, False),
        ({"tags": ["priority"]}, True),  # an array in the event: any element
        ({"tags": [{"anything-but": "gift"}]}, True),  # "priority" is not "gift"
        ({"lines": {"sku": ["B-2"]}}, True),
        ({"lines": {"qty": [{"numeric": [">", 5]}]}}, False),
        ({"missing": [{"exists": False}]}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"country": [{"exists": False}]}, False),
        ({"lines": [{"exists": True}]}, False),  # an array of objects holds no leaf values
        ({"missing": [{"anything-but": "x"}]}, False),  # anything-but needs the field
        ({"missing": ["x", {"exists": False}]}, True),
        ({"$or": [{"country": ["FR"]}, {"total": [{"numeric": [">", 100]}]}]}, True),
        ({"$or": [{"country": ["FR"]}, {"total": [{"numeric": [">", 200]}]}]}, False),
    ],
)
def test_each_operator(detail_pattern, expected):
    assert matches({"detail": detail_pattern}, EVENT) is expected


def test_keys_are_anded_and_nested_objects_descend():
    assert matches({"source": ["com.example.orders"], "detail": {"country": ["DE"]}}, EVENT)
    assert not matches({"source": ["com.example.orders"], "detail": {"country": ["FR"]}}, EVENT)
    assert not matches({"detail": {"country": {"code": ["DE"]}}}, EVENT)  # a leaf where the pattern nests


def test_ipv6_cidr():
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"})
    assert not matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"})
    assert not matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "not an address"})


def test_escaped_wildcard_star_is_literal():
    assert matches({"name": [{"wildcard": "a\\*b"}]}, {"name": "a*b"})
    assert not matches({"name": [{"wildcard": "a\\*b"}]}, {"name": "axxb"})


@pytest.mark.parametrize(
    ("pattern", "problem", "path"),
    [
        ("not json", "not valid JSON", "$"),
        ([1], "must be a JSON object", "$"),
        ({}, "empty object", "$"),
        ({"source": "aws.s3"}, "must be in an array or an object", "$.source"),
        ({"source": []}, "empty arrays are not allowed", "$.source"),
        ({"a": [{"foo": 1}]}, 'unrecognized match type "foo"', "$.a[0].foo"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, "exactly one operator", "$.a[0]"),
        ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string", "$.a[0].prefix"),
        ({"a": [{"numeric": [">", "x"]}]}, "numeric bounds must be numbers", "$.a[0].numeric[1]"),
        ({"a": [{"numeric": [">", 5, "<", 1]}]}, "lower bound must be less", "$.a[0].numeric"),
        ({"a": [{"numeric": [">", 1, ">", 2]}]}, "two lower bounds", "$.a[0].numeric[2]"),
        ({"a": [{"numeric": ["~", 1]}]}, 'unrecognized numeric range operator "~"', "$.a[0].numeric[0]"),
        ({"a": [{"numeric": [">", 2e9]}]}, "between -1e9 and 1e9", "$.a[0].numeric[1]"),
        ({"a": [{"numeric": [">"]}]}, "one or two comparisons", "$.a[0].numeric"),
        ({"a": [{"exists": "yes"}]}, "either true or false", "$.a[0].exists"),
        ({"a": [{"cidr": "10.0.0.0/33"}]}, "not a valid CIDR", "$.a[0].cidr"),
        ({"a": [{"wildcard": "a**b"}]}, "consecutive wildcard", "$.a[0].wildcard"),
        ({"a": [{"anything-but": ["x", 1]}]}, "all strings or all numbers", "$.a[0].anything-but"),
        ({"a": [{"anything-but": []}]}, "must not be empty", "$.a[0].anything-but"),
        (
            {"a": [{"anything-but": {"numeric": [">", 1]}}]},
            "unsupported anything-but operator",
            "$.a[0].anything-but.numeric",
        ),
        ({"$or": []}, "non-empty array of patterns", "$.$or"),
        ({"$or": ["x"]}, "must be an object", "$.$or[0]"),
    ],
)
def test_invalid_patterns_say_what_and_where(pattern, problem, path):
    with pytest.raises(InvalidEventPatternError) as raised:
        compile_pattern(pattern if not isinstance(pattern, list) else json.dumps(pattern))
    assert problem in str(raised.value) and raised.value.path == path
    assert str(raised.value).startswith("Event pattern is not valid. Reason: ")


# -- properties ------------------------------------------------------------------------------------------------
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-1000, 1000),
    st.booleans(),
    st.none(),
    st.floats(-1e6, 1e6, allow_nan=False),
)
keys = st.text(alphabet="abcdefgh-", min_size=1, max_size=6).filter(lambda k: k != "$or")
flat_events = st.dictionaries(keys, scalars, min_size=1, max_size=6)


@given(flat_events)
def test_an_event_matches_a_pattern_built_from_its_own_values(event):
    pattern = {key: [value] for key, value in event.items()}
    assert matches(pattern, event)


@given(flat_events, st.data())
def test_anything_but_a_value_never_matches_that_value(event, data):
    key = data.draw(st.sampled_from(sorted(event)))
    value = event[key]
    if not isinstance(value, str) and not (isinstance(value, int | float) and not isinstance(value, bool)):
        return
    assert not matches({key: [{"anything-but": value}]}, event)


@given(flat_events, flat_events, flat_events)
def test_or_is_the_or_of_its_branches(event, first, second):
    left = {key: [value] for key, value in first.items()}
    right = {key: [value] for key, value in second.items()}
    assert matches({"$or": [left, right]}, event) == (matches(left, event) or matches(right, event))


@given(st.text(max_size=10), st.text(max_size=4))
def test_prefix_and_suffix_agree_with_str_methods(value, affix):
    assert matches({"f": [{"prefix": affix}]}, {"f": value}) == value.startswith(affix)
    assert matches({"f": [{"suffix": affix}]}, {"f": value}) == value.endswith(affix)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False))
def test_numeric_ranges_agree_with_comparisons(value, bound):
    assert matches({"n": [{"numeric": [">", bound]}]}, {"n": value}) == (value > bound)
    assert matches({"n": [{"numeric": ["<=", bound]}]}, {"n": value}) == (value <= bound)


# -- the CLI, like `aws events test-event-pattern` --------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labs.runtime", "events", "test-event-pattern", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_prints_the_result_like_the_aws_cli(tmp_path):
    (tmp_path / "pattern.json").write_text(json.dumps({"detail": {"country": ["DE"]}}))
    (tmp_path / "event.json").write_text(json.dumps(EVENT))
    matched = cli(
        "--event-pattern",
        f"file://{tmp_path / 'pattern.json'}",
        "--event",
        f"file://{tmp_path / 'event.json'}",
    )
    assert matched.returncode == 0 and json.loads(matched.stdout) == {"Result": True}
    missed = cli("--event-pattern", '{"detail": {"country": ["FR"]}}', "--event", json.dumps(EVENT))
    assert missed.returncode == 0 and json.loads(missed.stdout) == {"Result": False}


def test_cli_reports_an_invalid_pattern():
    result = cli("--event-pattern", '{"source": "aws.s3"}', "--event", "{}")
    assert result.returncode == 255 and result.stdout == ""
    assert "InvalidEventPatternException" in result.stderr and "$.source" in result.stderr
