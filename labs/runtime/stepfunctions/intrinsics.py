"""Intrinsic functions of the JSONPath query language: ``States.Format('Hello {}', $.name)`` and friends.

A call is parsed once (``compile_intrinsic``: unknown names, wrong argument counts and malformed text are
syntax errors, reported where AWS reports them, on CreateStateMachine) and evaluated many times.
Evaluation failures raise ``IntrinsicFailure`` (AWS: States.IntrinsicFailure) with a cause naming the
function and the argument. See "Intrinsic functions for JSONPath paths in Step Functions" in AWS's guide.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["Intrinsic", "IntrinsicFailure", "IntrinsicSyntaxError", "compile_intrinsic", "is_intrinsic"]

_MAX_TEXT = 10_000
_INT32 = (-(2**31), 2**31 - 1)
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_ORDINALS = ["1st", "2nd", "3rd"]


class IntrinsicSyntaxError(ValueError):
    """The text is not a valid intrinsic call; the message says what is wrong and at which character."""


class IntrinsicFailure(Exception):
    """Evaluation failed (AWS: States.IntrinsicFailure); ``args[0]`` is the cause."""


def is_intrinsic(text: Any) -> bool:
    return isinstance(text, str) and re.match(r"\s*States\.\w+\s*\(", text) is not None


class _Call:
    __slots__ = ("name", "args")

    def __init__(self, name: str, args: list) -> None:
        self.name = name
        self.args = args


class _Path:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Intrinsic:
    """A parsed call. ``paths`` lists every path argument (nested calls included), for validators."""

    def __init__(self, text: str, call: _Call) -> None:
        self.text = text
        self._call = call
        self.paths: list[str] = []
        self._collect(call)

    def _collect(self, call: _Call) -> None:
        for arg in call.args:
            if isinstance(arg, _Path):
                self.paths.append(arg.text)
            elif isinstance(arg, _Call):
                self._collect(arg)

    def evaluate(self, resolve_path: Callable[[str], Any], rng: random.Random) -> Any:
        return self._evaluate(self._call, resolve_path, rng)

    def _evaluate(self, call: _Call, resolve_path, rng) -> Any:
        values = []
        for arg in call.args:
            if isinstance(arg, _Path):
                values.append(resolve_path(arg.text))
            elif isinstance(arg, _Call):
                values.append(self._evaluate(arg, resolve_path, rng))
            else:
                values.append(arg)
        function = _FUNCTIONS[call.name][0]
        return function(values, rng) if call.name in _USES_RNG else function(values)

    def compile(
        self, reader: Callable[[str], Callable[[Any, Any], Any]]
    ) -> Callable[[Any, random.Random], Any]:
        """The call as ``evaluate(lookup, rng)``, for a payload template evaluated many times: each path
        argument is turned once into ``reader(path text)``, a ``read(lookup, rng)``; arguments are evaluated
        in the same order, with the same values and failures, as ``evaluate`` would."""
        return _compiled(self._call, reader)


def _compiled(call: _Call, reader: Callable[[str], Callable[[Any, Any], Any]]) -> Callable[[Any, Any], Any]:
    parts: list[Callable[[Any, Any], Any]] = []
    for arg in call.args:
        if isinstance(arg, _Path):
            parts.append(reader(arg.text))
        elif isinstance(arg, _Call):
            parts.append(_compiled(arg, reader))
        else:
            parts.append(lambda lookup, rng, value=arg: value)
    function = _FUNCTIONS[call.name][0]
    if call.name in _USES_RNG:
        return lambda lookup, rng: function([part(lookup, rng) for part in parts], rng)
    return lambda lookup, rng: function([part(lookup, rng) for part in parts])


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse ``text``; raises ``IntrinsicSyntaxError``."""
    parser = _Parser(text)
    call = parser.call()
    parser.skip_space()
    if parser.position != len(text):
        parser.fail("unexpected text after the closing parenthesis")
    return Intrinsic(text, call)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self, message: str) -> None:
        raise IntrinsicSyntaxError(
            f"Invalid intrinsic function {self.text!r}: {message} at character {self.position}"
        )

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def call(self) -> _Call:
        self.skip_space()
        start = self.position
        match = re.compile(r"States\.(\w+)").match(self.text, self.position)
        if match is None:
            self.fail("expected a function name such as States.Format")
        name = match.group(0)
        if name not in _FUNCTIONS:
            self.fail(f"{name} is not an intrinsic function")
        self.position = match.end()
        self.skip_space()
        if not self.text.startswith("(", self.position):
            self.fail("expected '('")
        self.position += 1
        args: list = []
        self.skip_space()
        if self.text.startswith(")", self.position):
            self.position += 1
        else:
            while True:
                args.append(self.argument())
                self.skip_space()
                if self.text.startswith(",", self.position):
                    self.position += 1
                    continue
                if self.text.startswith(")", self.position):
                    self.position += 1
                    break
                self.fail("expected ',' or ')'")
        low, high = _FUNCTIONS[name][1]
        if not low <= len(args) <= high:
            self.position = start
            expected = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            self.fail(f"{name} takes {expected} arguments, got {len(args)}")
        return _Call(name, args)

    def argument(self) -> Any:
        self.skip_space()
        rest = self.text[self.position :]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("$"):
            return self.path()
        if rest.startswith("States."):
            return self.call()
        match = re.match(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null", rest)
        if match is None:
            self.fail("expected a string, number, boolean, null, path or function call")
        self.position += match.end()
        return json.loads(match.group())

    def string(self) -> str:
        self.position += 1
        chars = []
        while self.position < len(self.text):
            char = self.text[self.position]
            if char == "\\" and self.position + 1 < len(self.text):
                following = self.text[self.position + 1]
                # \{ and \} stay escaped so that States.Format can tell them from placeholders
                chars.append(following if following in "'\\" else "\\" + following)
                self.position += 2
                continue
            if char == "'":
                self.position += 1
                return "".join(chars)
            chars.append(char)
            self.position += 1
        self.fail("unterminated string")
        return ""  # pragma: no cover

    def path(self) -> _Path:
        start, depth, quote = self.position, 0, None
        while self.position < len(self.text):
            char = self.text[self.position]
            if quote:
                if char == quote:
                    quote = None
            elif char in "'\"" and depth:
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.position += 1
        return _Path(self.text[start : self.position].strip())


# -- the functions ------------------------------------------------------------------------------------------------
def _ordinal(index: int) -> str:
    return _ORDINALS[index] if index < 3 else f"{index + 1}th"


def _fail(function: str, index: int, must: str) -> IntrinsicFailure:
    return IntrinsicFailure(f"The value of the {_ordinal(index)} argument of {function} must be {must}")


def _require(function: str, values: list, index: int, kind: Any, must: str) -> Any:
    value = values[index]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _fail(function, index, must)
    return value


def _integer(function: str, values: list, index: int, must: str = "an integer") -> int:
    value = values[index]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise _fail(function, index, must)
    return int(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _rounded(function: str, values: list, index: int, must: str = "an integer") -> int:
    """A number rounded to the nearest integer. AWS's page says MathAdd, MathRandom, ArrayPartition and
    ArrayRange "round it off to the nearest integer" (MathAdd's arguments then within -2147483648 ..
    2147483647), https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ; it does not
    say how halves go: they go up (toward +infinity), as the service's Java runtime's Math.round does."""
    value = values[index]
    if type(value) is int:  # the common case, first (a bool is not an int here)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _fail(function, index, must)
    return int(value) if isinstance(value, int) else math.floor(value + 0.5)


def _rendered(value: Any) -> str:
    """A States.Format argument as Step Functions prints it: strings bare, objects and arrays the way the
    service's Java runtime prints them (``{a=1, b=x}``, ``[1, x]``), not as JSON. AWS's intrinsic functions
    page does not document this; executions recorded on AWS show it (an object argument {"Arg1": 1,
    "Arg2": []} printed as ``{Arg1=1, Arg2=[]}``, the context object's StateMachine as ``{Id=arn:..., Name=...}``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_rendered(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_rendered(item) for item in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


def _format(values: list) -> str:
    template = _require("States.Format", values, 0, str, "a string")
    pieces = re.split(r"(?<!\\)\{\}", template)
    if len(pieces) - 1 != len(values) - 1:
        raise IntrinsicFailure(
            f"Number of arguments in States.Format does not match the number of placeholders: "
            f"{len(pieces) - 1} placeholders, {len(values) - 1} arguments"
        )
    out = [pieces[0]]
    for value, piece in zip(values[1:], pieces[1:], strict=True):
        out.append(_rendered(value))
        out.append(piece)
    return "".join(out).replace("\\{", "{").replace("\\}", "}")


def _string_to_json(values: list) -> Any:
    text = _require("States.StringToJson", values, 0, str, "a string")
    if not text.strip():
        return None  # an empty or blank string parses to null (Jackson reads no content as null)
    try:
        return json.loads(text)
    except ValueError:
        raise IntrinsicFailure(
            f"The value of the 1st argument of States.StringToJson is not valid JSON: {text}"
        ) from None


def _array_partition(values: list) -> list:
    array = _require("States.ArrayPartition", values, 0, list, "an array")
    size = _rounded("States.ArrayPartition", values, 1, "a positive integer")
    if size <= 0:
        raise _fail("States.ArrayPartition", 1, "a positive integer")
    return [array[start : start + size] for start in range(0, len(array), size)]


def _array_range(values: list) -> list:
    start, end, step = (_rounded("States.ArrayRange", values, index) for index in range(3))
    if step == 0:
        raise _fail("States.ArrayRange", 2, "a non-zero integer")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    if len(result) > 1000:
        raise IntrinsicFailure("States.ArrayRange cannot produce more than 1000 items")
    return result


def _array_get_item(values: list) -> Any:
    array = _require("States.ArrayGetItem", values, 0, list, "an array")
    index = _integer("States.ArrayGetItem", values, 1, "a non-negative integer")
    if not 0 <= index < len(array):
        raise IntrinsicFailure(
            f"The index {index} is out of bounds for an array of length {len(array)} in States.ArrayGetItem"
        )
    return array[index]


def _array_contains(values: list) -> bool:
    array = _require("States.ArrayContains", values, 0, list, "an array")
    wanted = json.dumps(values[1], sort_keys=True)  # JSON equality: 1 is not true
    return any(json.dumps(item, sort_keys=True) == wanted for item in array)


def _array_unique(values: list) -> list:
    array = _require("States.ArrayUnique", values, 0, list, "an array")
    seen, out = set(), []
    for item in array:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _limited(function: str, values: list, index: int = 0) -> str:
    text = _require(function, values, index, str, "a string")
    if len(text) > _MAX_TEXT:
        raise IntrinsicFailure(f"The input of {function} must be at most {_MAX_TEXT} characters")
    return text


def _base64_decode(values: list) -> str:
    text = _limited("States.Base64Decode", values)
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise IntrinsicFailure(
            f"The value of the 1st argument of States.Base64Decode is not valid base64: {text}"
        ) from None


def _hash(values: list) -> str:
    data = _text(values[0])
    if len(data) > _MAX_TEXT:
        raise IntrinsicFailure(f"The input of States.Hash must be at most {_MAX_TEXT} characters")
    algorithm = values[1]
    if algorithm not in _HASHES:
        raise _fail("States.Hash", 1, f"one of {', '.join(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], data.encode("utf-8")).hexdigest()


def _json_merge(values: list) -> dict:
    first = _require("States.JsonMerge", values, 0, dict, "a JSON object")
    second = _require("States.JsonMerge", values, 1, dict, "a JSON object")
    if values[2] is not False:
        raise IntrinsicFailure(
            "States.JsonMerge supports only a shallow merge: its 3rd argument must be false"
        )
    return {**first, **second}


def _math_random(values: list, rng: random.Random) -> int:
    start = _rounded("States.MathRandom", values, 0)
    end = _rounded("States.MathRandom", values, 1)
    if end <= start:
        raise IntrinsicFailure("The 2nd argument of States.MathRandom must be greater than the 1st")
    source = random.Random(_integer("States.MathRandom", values, 2)) if len(values) == 3 else rng  # noqa: S311
    return source.randrange(start, end)


def _math_add(values: list) -> int:
    total = 0
    for index in range(2):
        value = _rounded("States.MathAdd", values, index, "a number between -2147483648 and 2147483647")
        if not _INT32[0] <= value <= _INT32[1]:
            raise _fail("States.MathAdd", index, "a number between -2147483648 and 2147483647")
        total += value
    return total


def _string_split(values: list) -> list:
    text = _require("States.StringSplit", values, 0, str, "a string")
    delimiters = _require("States.StringSplit", values, 1, str, "a string")
    if not delimiters:
        return [text] if text else []
    return [part for part in re.split("|".join(map(re.escape, delimiters)), text) if part]


_MANY = 99
_FUNCTIONS: dict[str, tuple[Callable, tuple[int, int]]] = {
    "States.Format": (_format, (1, _MANY)),
    "States.StringToJson": (_string_to_json, (1, 1)),
    "States.JsonToString": (lambda v: json.dumps(v[0], separators=(",", ":")), (1, 1)),
    "States.Array": (list, (0, _MANY)),
    "States.ArrayPartition": (_array_partition, (2, 2)),
    "States.ArrayContains": (_array_contains, (2, 2)),
    "States.ArrayRange": (_array_range, (3, 3)),
    "States.ArrayGetItem": (_array_get_item, (2, 2)),
    "States.ArrayLength": (lambda v: len(_require("States.ArrayLength", v, 0, list, "an array")), (1, 1)),
    "States.ArrayUnique": (_array_unique, (1, 1)),
    "States.Base64Encode": (
        lambda v: base64.b64encode(_limited("States.Base64Encode", v).encode("utf-8")).decode("ascii"),
        (1, 1),
    ),
    "States.Base64Decode": (_base64_decode, (1, 1)),
    "States.Hash": (_hash, (2, 2)),
    "States.JsonMerge": (_json_merge, (3, 3)),
    "States.MathRandom": (_math_random, (2, 3)),
    "States.MathAdd": (_math_add, (2, 2)),
    "States.StringSplit": (_string_split, (2, 2)),
    "States.UUID": (lambda v, rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)), (0, 0)),
}
_USES_RNG = {"States.MathRandom", "States.UUID"}
