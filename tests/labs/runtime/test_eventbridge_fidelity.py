"""EventBridge patterns evaluated as AWS does, from ``corpus/eventbridge_patterns.json`` (each case names
its AWS page): every operator against null and non-string values, anything-but with lists of prefixes,
suffixes and wildcards, dotted field names, arrays of arrays, and the validation errors AWS gives."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.runtime.eventbridge import InvalidEventPatternError, compile_pattern, matches

CORPUS = json.loads((Path(__file__).parent / "corpus" / "eventbridge_patterns.json").read_text())


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[case["name"] for case in CORPUS["cases"]])
def test_patterns_match_as_aws_matches(case):
    assert case["source"].startswith("https://docs.aws.amazon.com/eventbridge/")
    assert matches(case["pattern"], case["event"]) is case["result"]


@pytest.mark.parametrize("case", CORPUS["invalid"], ids=[case["name"] for case in CORPUS["invalid"]])
def test_invalid_patterns_are_refused_with_aws_words(case):
    with pytest.raises(InvalidEventPatternError) as caught:
        compile_pattern(case["pattern"])
    assert case["problem"] in str(caught.value)


def test_an_event_that_is_not_a_json_object_is_refused_by_test_event_pattern():
    result = subprocess.run(
        [sys.executable, "-m", "labs.runtime", "events", "test-event-pattern"]
        + ["--event-pattern", '{"source": ["a"]}', "--event", "[1, 2]"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 255 and "must be a JSON object" in result.stderr


def test_put_events_refuses_a_detail_that_is_not_a_json_object():
    from labs.runtime import Cloud

    with Cloud(seed=3) as cloud:
        events = cloud.client("events")
        entries = [
            {"Source": "s", "DetailType": "t", "Detail": detail}
            for detail in ("[1]", '"text"', "5", '{"ok": 1}')
        ]
        answers = events.put_events(Entries=entries)["Entries"]
    assert [answer.get("ErrorCode") for answer in answers] == ["MalformedDetail"] * 3 + [None]


def test_the_test_event_pattern_api_uses_the_matcher_rules_use():
    from botocore.exceptions import ClientError

    from labs.runtime import Cloud

    event = {
        "id": "1",
        "source": "a",
        "detail-type": "t",
        "account": "123456789012",
        "detail": {"state": "x"},
    }
    with Cloud(seed=3) as cloud:
        events = cloud.client("events")
        answer = events.test_event_pattern(
            EventPattern=json.dumps({"detail.state": ["x"]}), Event=json.dumps(event)
        )
        assert answer["Result"] is True
        for pattern, text, says in (
            ({"a": ["x"]}, "[1]", "must be a JSON object"),
            ({"a": [{"prefix": None}]}, json.dumps(event), "Null prefix not allowed"),
        ):
            with pytest.raises(ClientError) as caught:
                events.test_event_pattern(EventPattern=json.dumps(pattern), Event=text)
            assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
            assert says in caught.value.response["Error"]["Message"]


def test_a_too_complex_wildcard_gets_aws_exact_message():
    """PutRule's words for a wildcard Ruler finds too complex, as a real rejection quoted them (no location):
    eb-create-pattern-operators.html, "Wildcard matching". The exception still carries the field's path."""
    with pytest.raises(InvalidEventPatternError) as caught:
        compile_pattern({"detail": {"key": [{"wildcard": "*a" * 60}]}})
    assert str(caught.value) == (
        "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or "
        "fewer repeating character sequences after a wildcard character"
    )
    assert caught.value.path.startswith("$.detail.key")
