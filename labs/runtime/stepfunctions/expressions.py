"""JSONata in Step Functions (``QueryLanguage: "JSONata"``), on the jsonata-python library.

A field value that is a string wrapped in ``{% ... %}`` is a JSONata expression; objects and arrays are
templates whose string leaves may be expressions. Expressions see ``$states`` (input, result, errorOutput,
context) and the workflow's variables. Step Functions adds ``$partition``, ``$range``, ``$hash``,
``$random``, ``$uuid`` and ``$parse``; ``$now()`` and ``$millis()`` read the simulated clock so runs repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

__all__ = ["ExpressionError", "ExpressionSyntaxError", "compile_expression_template", "is_expression"]

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class ExpressionSyntaxError(ValueError):
    """A ``{% %}`` expression does not parse; the message quotes it and the parser's reason."""


class ExpressionError(Exception):
    """Evaluating an expression failed (AWS: States.QueryEvaluationError); ``.args[0]`` is the cause and
    ``.field`` where the expression sits in its state (``Output/v``), or None."""

    def __init__(self, cause: str, field: str | None = None) -> None:
        super().__init__(cause)
        self.field = field


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


@lru_cache(maxsize=2048)
def _parse(text: str) -> jsonata.Jsonata:
    try:
        expression = jsonata.Jsonata(text)
    except JException as error:
        raise ExpressionSyntaxError(f"The JSONata expression '{text}' is invalid: {error}") from None
    expression.set_output_convert_nulls(False)  # so that null (a value) and undefined (nothing) differ
    return expression


def compile_expression_template(template: Any, field: str | None = None) -> Callable[[dict], Any]:
    """Compile a JSONata field into ``render(bindings)``; raises ``ExpressionSyntaxError`` now, not later.

    ``bindings`` maps variable names (without ``$``) to values, ``states`` included, plus the private keys
    ``_now`` (epoch seconds) and ``_rng`` (a seeded random.Random) for the functions that need them.
    ``field`` names where the template sits in its state (``Output``, ``Arguments/Input/key``): an
    expression that returns nothing names it, as AWS's message does.
    """
    if is_expression(template):
        text = template[2:-2].strip()
        expression = _parse(text)

        def render_expression(bindings: dict) -> Any:
            frame = expression.create_frame()
            for name, value in bindings.items():
                if not name.startswith("_"):
                    frame.bind(name, value)
            _bind_functions(frame, bindings)
            try:
                result = expression.evaluate(None, frame)
            except JException as error:
                raise ExpressionError(
                    f"An error occurred while evaluating the expression '{text}': {error}", field
                ) from None
            except (RecursionError, TypeError, ValueError, ZeroDivisionError) as error:
                raise ExpressionError(
                    f"The expression '{text}' could not be evaluated: {error}", field
                ) from None
            if result is None:
                # transforming-data.html: an expression that evaluates to nothing fails the state with
                # States.QueryEvaluationError (an undefined variable or a missing field alike). AWS's words,
                # as a production failure recorded them: "The JSONata expression '$states.input.x'
                # specified for the field 'Arguments/Input/x' returned nothing (undefined)."
                where = f" specified for the field '{field}'" if field else ""
                raise ExpressionError(
                    f"The JSONata expression '{text}'{where} returned nothing (undefined).", field
                )
            return Utils.convert_nulls(result)

        return render_expression
    if isinstance(template, dict):
        fields = [
            (key, compile_expression_template(value, f"{field}/{key}" if field else key))
            for key, value in template.items()
        ]
        return lambda bindings: {key: render(bindings) for key, render in fields}
    if isinstance(template, list):
        items = [
            compile_expression_template(item, f"{field}[{index}]" if field else f"[{index}]")
            for index, item in enumerate(template)
        ]
        return lambda bindings: [render(bindings) for render in items]
    constant = json.dumps(template)
    return lambda bindings: json.loads(constant)


def _bind_functions(frame: Any, bindings: dict) -> None:
    now = bindings.get("_now", 0.0)
    rng = bindings.get("_rng")

    def iso_now(*_: Any) -> str:
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def partition(items: list, size: int) -> list:
        if not isinstance(items, list) or not isinstance(size, int) or size <= 0:
            raise ExpressionError("$partition expects an array and a positive integer size")
        return [items[start : start + size] for start in range(0, len(items), size)]

    def number_range(start: int, end: int, step: int) -> list:
        if not all(isinstance(v, int) for v in (start, end, step)) or step == 0:
            raise ExpressionError("$range expects integers start, end and a non-zero step")
        values = list(range(start, end + (1 if step > 0 else -1), step))
        if len(values) > 1000:
            raise ExpressionError("$range may produce at most 1000 items")
        return values

    def digest(data: Any, algorithm: str) -> str:
        if algorithm not in _HASHES:
            raise ExpressionError(f"$hash algorithm must be one of {', '.join(_HASHES)}")
        text = data if isinstance(data, str) else json.dumps(data)
        return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()

    def random_number(*seed: Any) -> float:
        source = rng if not seed else __import__("random").Random(seed[0])
        return source.random() if source is not None else 0.5

    def new_uuid() -> str:
        bits = rng.getrandbits(128) if rng is not None else 0
        return str(uuid.UUID(int=bits, version=4))

    def parse(text: str) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError) as error:
            raise ExpressionError(f"$parse could not parse {text!r}: {error}") from None

    functions = {
        "now": iso_now,
        "millis": lambda *_: int(now * 1000),
        "partition": partition,
        "range": number_range,
        "hash": digest,
        "random": random_number,
        "uuid": new_uuid,
        "parse": parse,
    }
    for name, function in functions.items():
        frame.bind(name, jsonata.Jsonata.JLambda(function))
