"""Event filtering for event source mappings: ``FilterCriteria`` validated once, applied to each record.

What AWS documents (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html and the pages
per source, with-sqs-filtering, with-ddb-filtering, with-kinesis-filtering):

- ``{"Filters": [{"Pattern": "<JSON text>"}]}``: up to five filters, ORed; a record that matches none is not
  sent to the function. SQS deletes such a message from the queue; a stream's iterator moves past the record.
- A pattern uses EventBridge's syntax and operators, so ``eventbridge.compile_pattern`` does the work here.
- What a pattern is matched against depends on the source. SQS: the record (``messageId``, ``attributes``,
  ``messageAttributes``, ``body``...), with ``body`` parsed when it holds a JSON object; a pattern for a JSON
  body never matches a plain-text body, and the reverse. DynamoDB: the stream record (``eventName``,
  ``dynamodb`` with ``Keys`` / ``NewImage`` / ``OldImage``...). Kinesis: the ``kinesis`` part of the record
  with ``data`` decoded from base64 and parsed as JSON (a record whose data is not JSON can only match
  patterns that do not look at ``data``).
- For the streams the data key (``dynamodb``, ``data``) must be filtered with an object pattern: a plain
  value there is refused when the mapping is created or updated.
- An invalid pattern is refused when the mapping is created or updated with
  ``InvalidParameterValueException: Invalid filter pattern definition.`` (we add which filter and why).
"""

from __future__ import annotations

import base64
import functools
import json

from labs.runtime.eventbridge.patterns import CompiledPattern, InvalidEventPatternError, compile_pattern

__all__ = [
    "FilterCriteriaError",
    "MAX_FILTERS",
    "compile_filter_criteria",
    "kinesis_view",
    "matches_any",
    "sqs_view",
]

MAX_FILTERS = 5  # per event source mapping (a quota AWS raises to 10 on request)
MAX_PATTERN_LENGTH = 4096
_DATA_KEYS = {"dynamodb": "dynamodb", "kinesis": "data"}


class FilterCriteriaError(ValueError):
    """``FilterCriteria`` cannot be used; the message starts as AWS's does and names the filter at fault."""


def compile_filter_criteria(criteria: object, source: str) -> tuple[CompiledPattern, ...]:
    """Validate ``FilterCriteria`` for a mapping of ``source`` ("sqs", "dynamodb" or "kinesis") and return
    its compiled patterns (empty: no filtering). Raises ``FilterCriteriaError``."""
    text = json.dumps(criteria, sort_keys=True)
    return _compiled(text, source)


@functools.lru_cache(maxsize=256)
def _compiled(text: str, source: str) -> tuple[CompiledPattern, ...]:
    criteria = json.loads(text)
    if criteria is None or criteria == {}:
        return ()  # UpdateEventSourceMapping with {} removes the filters, as AWS documents
    if not isinstance(criteria, dict) or not isinstance(criteria.get("Filters", []), list):
        raise FilterCriteriaError(
            'Invalid filter pattern definition. FilterCriteria must be {"Filters": [{"Pattern": "..."}]}'
        )
    filters = criteria.get("Filters", [])
    if len(filters) > MAX_FILTERS:
        raise FilterCriteriaError(
            f"Invalid filter pattern definition. {len(filters)} filters given; "
            f"an event source mapping takes at most {MAX_FILTERS}"
        )
    compiled = []
    for index, entry in enumerate(filters):
        where = f"FilterCriteria.Filters[{index}].Pattern"
        pattern = entry.get("Pattern") if isinstance(entry, dict) else None
        if not isinstance(pattern, str) or not pattern.strip():
            raise FilterCriteriaError(f"Invalid filter pattern definition. {where} must be a JSON string")
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise FilterCriteriaError(
                f"Invalid filter pattern definition. {where} is {len(pattern)} characters long; "
                f"the limit is {MAX_PATTERN_LENGTH}"
            )
        try:
            matcher = compile_pattern(pattern)
        except InvalidEventPatternError as error:
            raise FilterCriteriaError(f"Invalid filter pattern definition. {where}: {error}") from None
        data_key = _DATA_KEYS.get(source)
        if data_key in matcher.pattern and not isinstance(matcher.pattern[data_key], dict):
            raise FilterCriteriaError(
                f"Invalid filter pattern definition. {where}: the {data_key!r} key of a "
                f"{source} record must be filtered with a JSON object pattern, such as "
                f'{{"{data_key}": {{"field": ["value"]}}}}'
            )
        compiled.append(matcher)
    return tuple(compiled)


def matches_any(patterns: tuple[CompiledPattern, ...], view: dict) -> bool:
    """Whether the record (as ``view``) passes: no filters, or any one of them matches."""
    return not patterns or any(pattern.matches(view) for pattern in patterns)


def sqs_view(record: dict) -> dict:
    """The SQS record as filters see it: ``body`` parsed when it holds a JSON object."""
    return {**record, "body": _json_object(record.get("body"))}


def kinesis_view(kinesis: dict) -> dict:
    """The ``kinesis`` part of a record as filters see it: ``data`` decoded and parsed when it is JSON."""
    try:
        text: object = base64.b64decode(kinesis.get("data", ""), validate=True).decode("utf-8")
    except ValueError:
        text = None  # binary data: only patterns that ignore "data" (or ask it not to exist) can match
    return {**kinesis, "data": _json_object(text)}


def _json_object(text: object) -> object:
    if not isinstance(text, str):
        return text
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
