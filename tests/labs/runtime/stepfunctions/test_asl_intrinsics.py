"""Every intrinsic function, its argument checks and its errors; parsing errors with their column."""

import hashlib
import random

import pytest

from labs.runtime.stepfunctions.intrinsics import (
    IntrinsicFailure,
    IntrinsicSyntaxError,
    compile_intrinsic,
    is_intrinsic,
)

DATA = {"$.name": "Ana", "$.a": [1, 2, 2, 3], "$.obj": {"x": 1}, "$.n": 5, "$$.Execution.Name": "run-1"}


def call(text, data=DATA, seed=1):
    """The call evaluated both ways (parsed paths resolved per evaluation, and compiled once as a payload
    template does): the two must agree, value or failure."""
    parsed = compile_intrinsic(text)
    try:
        value = parsed.evaluate(data.__getitem__, random.Random(seed))
    except IntrinsicFailure as failure:
        with pytest.raises(IntrinsicFailure) as again:
            parsed.compile(lambda path: lambda lookup, rng: lookup(path))(
                data.__getitem__, random.Random(seed)
            )
        assert again.value.args == failure.args
        raise
    compiled = parsed.compile(lambda path: lambda lookup, rng: lookup(path))
    assert compiled(data.__getitem__, random.Random(seed)) == value
    return value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hello, {}!', $.name)", "Hello, Ana!"),
        ("States.Format('{} has {} items: {}', $.name, $.n, $.a)", "Ana has 5 items: [1, 2, 2, 3]"),
        ("States.Format('literal \\{\\} and it\\'s {}', 1)", "literal {} and it's 1"),
        ("States.StringToJson('{\"k\": [1]}')", {"k": [1]}),
        ("States.JsonToString($.obj)", '{"x":1}'),
        ("States.Array(1, 'two', $.n, null, true)", [1, "two", 5, None, True]),
        ("States.Array()", []),
        ("States.ArrayPartition($.a, 3)", [[1, 2, 2], [3]]),
        ("States.ArrayContains($.a, 3)", True),
        ("States.ArrayContains(States.Array(1), true)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayGetItem($.a, 3)", 3),
        ("States.ArrayLength($.a)", 4),
        ("States.ArrayUnique($.a)", [1, 2, 3]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'SHA-1')", hashlib.sha1(b"input data").hexdigest()),  # noqa: S324
        ("States.Hash($.obj, 'MD5')", hashlib.md5(b'{"x":1}').hexdigest()),  # noqa: S324
        ('States.JsonMerge($.obj, States.StringToJson(\'{"y": 2, "x": 3}\'), false)', {"x": 3, "y": 2}),
        ("States.MathAdd($.n, -7)", -2),
        ("States.StringSplit('a,b;;c', ',;')", ["a", "b", "c"]),
        ("States.Format('{}', States.ArrayLength(States.Array(1, 2)))", "2"),
        ("States.Format('{}', $$.Execution.Name)", "run-1"),
    ],
)
def test_functions(text, expected):
    assert call(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Format('{} {}', 1)", "placeholders"),
        ("States.Format(1)", "1st argument of States.Format must be a string"),
        ("States.StringToJson('{nope')", "not valid JSON"),
        ("States.ArrayPartition($.a, 0)", "2nd argument of States.ArrayPartition must be a positive integer"),
        ("States.ArrayPartition($.name, 2)", "1st argument of States.ArrayPartition must be an array"),
        ("States.ArrayRange(1, 2, 0)", "3rd argument of States.ArrayRange must be a non-zero integer"),
        ("States.ArrayRange(1, 5000, 1)", "more than 1000"),
        (
            "States.ArrayRange('1', 5, 1)",
            "1st argument of States.ArrayRange must be an integer",
        ),  # 1.5 rounds (intrinsic-functions.html)
        ("States.ArrayGetItem($.a, 9)", "out of bounds"),
        ("States.ArrayLength($.name)", "must be an array"),
        ("States.Base64Decode('***')", "not valid base64"),
        ("States.Hash('x', 'SHA-999')", "2nd argument of States.Hash must be one of"),
        ("States.JsonMerge($.obj, $.obj, true)", "shallow merge"),
        ("States.JsonMerge($.a, $.obj, false)", "must be a JSON object"),
        ("States.MathAdd(2147483647, 2147483648)", "2nd argument of States.MathAdd"),
        ("States.MathRandom(5, 5)", "greater than the 1st"),
        ("States.StringSplit(1, ',')", "must be a string"),
    ],
)
def test_failures_name_the_function_and_argument(text, message):
    with pytest.raises(IntrinsicFailure) as caught:
        call(text)
    assert message in caught.value.args[0]


def test_text_limits():
    long_text = {"$.t": "x" * 10_001}
    for name in ("Base64Encode", "Base64Decode"):
        with pytest.raises(IntrinsicFailure, match="at most 10000"):
            call(f"States.{name}($.t)", long_text)
    with pytest.raises(IntrinsicFailure, match="at most 10000"):
        call("States.Hash($.t, 'MD5')", long_text)


def test_random_and_uuid_repeat_with_the_same_seed():
    assert call("States.MathRandom(1, 1000)", seed=3) == call("States.MathRandom(1, 1000)", seed=3)
    assert call("States.UUID()", seed=3) == call("States.UUID()", seed=3)
    assert call("States.UUID()", seed=3) != call("States.UUID()", seed=4)
    assert len(call("States.UUID()")) == 36 and call("States.UUID()")[14] == "4"
    # an explicit seed argument wins over the execution's random source
    assert call("States.MathRandom(1, 1000, 42)", seed=1) == call("States.MathRandom(1, 1000, 42)", seed=2)
    values = {call("States.MathRandom(0, 3)", seed=s) for s in range(50)}
    assert values == {0, 1, 2}  # end is exclusive


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        ("States.Format('unterminated", "unterminated string", 27),
        ("States.Nope(1)", "States.Nope is not an intrinsic function", 0),
        ("States.ArrayLength($.a, 2)", "takes 1 arguments, got 2", 0),
        ("States.MathRandom(1)", "takes 2 to 3 arguments, got 1", 0),
        ("States.Array(1) trailing", "unexpected text after the closing parenthesis", 16),
        ("States.Array(1", "expected ',' or ')'", 14),
        ("States.Array(@)", "expected a string, number", 13),
    ],
)
def test_syntax_errors_say_where(text, fragment, column):
    with pytest.raises(IntrinsicSyntaxError) as caught:
        compile_intrinsic(text)
    assert fragment in str(caught.value)
    assert str(caught.value).endswith(f"at character {column}")


def test_paths_lists_every_path_argument_nested_ones_too():
    parsed = compile_intrinsic("States.Format('{} {}', $.a[0], States.ArrayLength($.b['x, y']))")
    assert parsed.paths == ["$.a[0]", "$.b['x, y']"]


def test_is_intrinsic():
    assert is_intrinsic("States.Format('x')")
    assert is_intrinsic("  States.UUID()")
    assert not is_intrinsic("$.States.Format")
    assert not is_intrinsic("States.Format")
