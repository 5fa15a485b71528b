"""The trace's record kinds: each declared once, written through its own method, serialized as before."""

import inspect
import json

import pytest

from labs.runtime.core.trace import Kind, Trace


def record_methods() -> dict[str, object]:
    """Trace's record-writing methods: the public methods besides ``of_kind``, ``to_json``, ``timeline``
    and what ``list`` already has."""
    reading = {"of_kind", "to_json", "timeline"}
    return {
        name: method
        for name, method in vars(Trace).items()
        if callable(method) and not name.startswith("_") and name not in reading
    }


def test_every_kind_has_one_method_named_after_it_and_every_method_a_kind():
    assert sorted(record_methods()) == sorted(kind.value for kind in Kind)


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_each_method_writes_its_own_kind_string(kind):
    method = getattr(Trace(), kind.value)
    fields = {
        name: f"<{name}>"
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is inspect.Parameter.empty
    }
    entry = method(12.5, **fields)
    assert (
        entry["kind"] == kind.value and type(entry["kind"]) is str
    )  # a plain string, as stored results hold
    assert list(entry)[:4] == ["seq", "kind", "time", "cause"]
    assert entry["time"] == 12.5 and entry["cause"] == "<cause>"


def test_records_are_numbered_in_order_and_returned():
    trace = Trace()
    first = trace.environment_failed(1.0, cause=None, detail="exit status 1")
    second = trace.sfn_note(2.0, cause=first["seq"], execution_arn="arn:x", note="n")
    assert [first["seq"], second["seq"]] == [0, 1] and trace == [first, second]


def test_a_missing_field_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="reserved_concurrency"):
        Trace().throttle(1.0, cause=None, function_arn="arn:f")


def test_an_unknown_field_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="functon_arn"):
        Trace().event_accepted(1.0, cause=None, functon_arn="arn:f", request_id="r")


def test_the_cause_must_be_given():
    with pytest.raises(TypeError, match="cause"):
        Trace().environment_failed(1.0, detail="d")


def test_a_misspelt_kind_is_an_attribute_error():
    with pytest.raises(AttributeError, match="invocaton"):
        Trace().invocaton(1.0, cause=None, request_id="r", function_arn="arn:f")


def test_a_trace_holds_nothing_half_written_after_a_bad_call():
    trace = Trace()
    with pytest.raises(TypeError):
        trace.api_call(1.0, cause=None, service="s3")
    assert trace == []


def test_optional_fields_are_written_only_when_given_and_required_none_is_kept():
    trace = Trace()
    bare = trace.throttle(1.0, cause=3, function_arn="arn:f", reserved_concurrency=None)
    assert bare == {
        "seq": 0,
        "kind": "throttle",
        "time": 1.0,
        "cause": 3,
        "function_arn": "arn:f",
        "reserved_concurrency": None,
    }
    full = trace.throttle(
        1.0, cause=3, function_arn="arn:f", reserved_concurrency=2, reason="r", injected=False, shard_id="s"
    )
    assert list(full)[4:] == ["function_arn", "reserved_concurrency", "reason", "injected", "shard_id"]
    assert full["injected"] is False  # a false value is written; only None means "not given"


def test_constant_fields_are_written_in_their_place():
    trace = Trace()
    invocation = trace.invocation(1.0, cause=None, request_id="r", function_arn="arn:f", injected=True)
    assert list(invocation)[4:] == ["request_id", "function_arn", "status", "injected"]
    assert invocation["status"] == "running"
    fault = trace.fault_injected(1.0, cause=None, fault="timeout", function="f")
    assert list(fault)[4:] == ["fault", "injected", "function"] and fault["injected"] is True


def test_fields_are_serialized_in_declaration_order_whatever_the_call_order():
    trace = Trace()
    trace.delivery_failed(
        5.0,
        cause=1,
        retriable=True,
        error="boom",
        attempt=0,
        rule="arn:rule",
        target="arn:t",
        source="events",
    )
    assert trace.to_json() == json.dumps(
        [
            {
                "seq": 0,
                "kind": "delivery_failed",
                "time": 5.0,
                "cause": 1,
                "source": "events",
                "target": "arn:t",
                "rule": "arn:rule",
                "attempt": 0,
                "error": "boom",
                "retriable": True,
            }
        ]
    )


def test_the_signature_shown_names_time_cause_and_the_fields():
    parameters = list(inspect.signature(Trace.sns_filtered_out).parameters)
    assert parameters == ["self", "time_s", "cause", "topic", "subscription", "scope"]


def test_of_kind_accepts_the_string_or_the_enum():
    trace = Trace()
    trace.rule_matched(1.0, cause=None, rule="arn:r", event_id="e1")
    trace.rule_not_matched(1.0, cause=None, rule="arn:r", event_id="e2")
    assert [e["event_id"] for e in trace.of_kind("rule_matched")] == ["e1"]
    assert [e["event_id"] for e in trace.of_kind(Kind.RULE_NOT_MATCHED)] == ["e2"]
    assert trace.of_kind("delivery") == []


def test_of_kind_refuses_an_unknown_kind_naming_it_and_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown trace kind 'invocations'.*invocation"):
        Trace().of_kind("invocations")


# -- the records a real run writes keep the shape stored results and graders read ----------------------------
INVOCATION_FIELDS = [
    "seq",
    "kind",
    "time",
    "cause",
    "request_id",
    "function_arn",
    "status",
    "executed_version",
    "status_code",
    "function_error",
    "error_type",
    "cold_start",
    "duration_ms",
    "billed_duration_ms",
    "init_duration_ms",
    "memory_size_mb",
    "max_memory_used_mb",
    "cost_usd",
    "logs",
]


def test_an_invocation_and_its_api_calls_are_recorded_with_their_fields_in_order(cloud, deploy, invoke):
    name = deploy(
        "import boto3\n"
        "def handler(event, context):\n"
        "    boto3.client('sqs').list_queues()\n"
        "    raise ValueError('no')\n",
        actions=["sqs:ListQueues"],
    )
    invoke(name)
    invocation = cloud.trace.of_kind("invocation")[-1]
    assert list(invocation) == INVOCATION_FIELDS
    assert (invocation["status"], invocation["function_error"], invocation["error_type"]) == (
        "done",
        "Unhandled",
        "ValueError",
    )
    calls = [entry for entry in cloud.trace.of_kind("api_call") if entry["cause"] == invocation["seq"]]
    assert [(c["service"], c["operation"]) for c in calls] == [("sqs", "ListQueues")]
    assert list(calls[0]) == [
        "seq",
        "kind",
        "time",
        "cause",
        "principal",
        "service",
        "operation",
        "resource",
        "status",
        "outcome",
        "duration_ms",
    ]
    assert (
        cloud.trace.of_kind("api_call")[-1]["operation"] == "Invoke"
    )  # the host's call, recorded once answered


def test_an_injected_fault_marks_its_invocation_record(cloud, deploy, invoke):
    name = deploy("def handler(event, context):\n    return 1\n")
    cloud.faults.time_out(name)
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Sandbox.Timedout"
    fault, invocation = cloud.trace.of_kind("fault_injected")[-1], cloud.trace.of_kind("invocation")[-1]
    assert list(fault)[4:] == ["fault", "injected", "function"] and fault["function"] == name
    assert list(invocation)[4:8] == ["request_id", "function_arn", "status", "injected"]
    assert invocation["injected"] is True and invocation["status"] == "done"
