"""Lambda's verdict on an invocation, a pure function of what the host observed: one row per outcome.

The shapes are AWS's: https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html (the handler's
error object, Unhandled), .../configuration-timeout.html ("Task timed out after N seconds"),
.../lambda-runtime-environment.html (Runtime.ExitError, Runtime.OutOfMemory; environments discarded).
"""

import json

import pytest

from labs.runtime.awslambda.verdict import SYNC_PAYLOAD_LIMIT, Observed, crashed, init_verdict, verdict

RID = "11111111-2222-3333-4444-555555555555"
MEMORY_MB = 128
RESULT = {"type": "result", "max_rss_kb": 20_000}


def observed(**fields) -> Observed:
    return Observed(RID, MEMORY_MB, 3.0, duration_ms=12.5, now_s=1_700_000_000.0, **fields)


def body(result) -> object:
    return json.loads(result.payload)


# outcome, what was observed, then the verdict: (outcome name, error type, Status, environment kept,
# duration, max RSS in KB, payload)
CASES = [
    (
        "success",
        observed(frame={**RESULT, "payload": '{"ok": true}'}),
        ("success", None, None, True, 12.5, 20_000, {"ok": True}),
    ),
    (
        "success with a null response",
        observed(frame={**RESULT, "payload": "null"}),
        ("success", None, None, True, 12.5, 20_000, None),
    ),
    (
        "function error",
        observed(
            frame={**RESULT, "error": {"errorType": "KeyError", "errorMessage": "'id'", "stackTrace": ["a"]}}
        ),
        (
            "function_error",
            "KeyError",
            None,
            True,
            12.5,
            20_000,
            {"errorMessage": "'id'", "errorType": "KeyError", "requestId": RID, "stackTrace": ["a"]},
        ),
    ),
    (
        "function error without a type",
        observed(frame={**RESULT, "error": {"errorMessage": "boom"}}),
        (
            "function_error",
            "Exception",
            None,
            True,
            12.5,
            20_000,
            {"errorMessage": "boom", "errorType": "Exception", "requestId": RID, "stackTrace": []},
        ),
    ),
    (
        "timeout",
        observed(kind="timeout"),
        (
            "timeout",
            "Sandbox.Timedout",
            "timeout",
            False,
            3000.0,
            0,
            {
                "errorMessage": f"RequestId: {RID} Error: Task timed out after 3.00 seconds",
                "errorType": "Sandbox.Timedout",
            },
        ),
    ),
    (
        "out of memory, reported by the runtime",
        observed(frame={**RESULT, "oom": True, "max_rss_kb": 1000}),
        (
            "out_of_memory",
            "Runtime.OutOfMemory",
            "error",
            False,
            12.5,
            MEMORY_MB * 1024,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: signal: killed",
                "errorType": "Runtime.OutOfMemory",
            },
        ),
    ),
    (
        "out of memory, seen in the exit report",
        observed(kind="exited", frame={}, exit={"signal": 9, "max_rss_kb": MEMORY_MB * 1024 + 1}),
        (
            "out_of_memory",
            "Runtime.OutOfMemory",
            "error",
            False,
            12.5,
            MEMORY_MB * 1024,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: signal: killed",
                "errorType": "Runtime.OutOfMemory",
            },
        ),
    ),
    (
        "init error",
        observed(
            init_error={"errorMessage": "No module named 'app'", "errorType": "Runtime.ImportModuleError"}
        ),
        (
            "init_error",
            "Runtime.ImportModuleError",
            "Runtime.ImportModuleError",
            False,
            0.0,
            0,
            {"errorMessage": "No module named 'app'", "errorType": "Runtime.ImportModuleError"},
        ),
    ),
    (
        "sandbox crash: the process exited",
        observed(kind="exited", frame={}, exit={"code": 3}),
        (
            "crash",
            "Runtime.ExitError",
            "error",
            False,
            12.5,
            0,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: exit status 3",
                "errorType": "Runtime.ExitError",
            },
        ),
    ),
    (
        "sandbox crash: killed by a signal",
        observed(kind="exited", frame={}, exit={"signal": 11}),
        (
            "crash",
            "Runtime.ExitError",
            "error",
            False,
            12.5,
            0,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: signal: 11",
                "errorType": "Runtime.ExitError",
            },
        ),
    ),
    (
        "sandbox crash: a broken frame",
        observed(kind="protocol_error", frame={}),
        (
            "crash",
            "Runtime.ExitError",
            "error",
            False,
            12.5,
            0,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: invalid response from the runtime",
                "errorType": "Runtime.ExitError",
            },
        ),
    ),
    (
        "sandbox crash: a result with neither payload nor error",
        observed(frame=dict(RESULT)),
        (
            "crash",
            "Runtime.ExitError",
            "error",
            False,
            12.5,
            20_000,
            {
                "errorMessage": f"RequestId: {RID} Error: Runtime exited with error: invalid response from the runtime",
                "errorType": "Runtime.ExitError",
            },
        ),
    ),
    (
        "throttled (injected)",
        observed(fault={"kind": "throttle"}),
        (
            "throttled",
            "TooManyRequestsException",
            None,
            False,
            0.0,
            0,
            {"errorMessage": "Rate Exceeded.", "errorType": "TooManyRequestsException"},
        ),
    ),
    (
        "timeout (injected)",
        observed(fault={"kind": "timeout"}),
        (
            "timeout",
            "Sandbox.Timedout",
            "timeout",
            False,
            3000.0,
            0,
            {
                "errorMessage": f"RequestId: {RID} Error: Task timed out after 3.00 seconds",
                "errorType": "Sandbox.Timedout",
            },
        ),
    ),
    (
        "function error (injected)",
        observed(fault={"kind": "error", "error_type": "ValueError", "message": "bad"}),
        (
            "function_error",
            "ValueError",
            None,
            False,
            0.0,
            0,
            {"errorMessage": "bad", "errorType": "ValueError", "requestId": RID, "stackTrace": []},
        ),
    ),
]


@pytest.mark.parametrize(("case", "seen", "expected"), CASES, ids=[case[0] for case in CASES])
def test_the_verdict_of_each_outcome(case, seen, expected):
    outcome, error_type, status, keep, duration_ms, rss_kb, payload = expected
    result = verdict(seen)
    assert result.outcome == outcome
    assert result.error_type == error_type
    assert result.function_error == ("Unhandled" if error_type else None)
    assert result.status == status
    assert result.keep_environment is keep
    assert result.duration_ms == duration_ms
    assert result.max_rss_kb == rss_kb
    assert body(result) == payload


def test_a_timeout_adds_lambdas_log_line_and_lasts_at_least_the_timeout():
    result = verdict(observed(kind="timeout"))
    assert result.log_note == f"2023-11-14T22:13:20.000Z {RID} Task timed out after 3.00 seconds\n"
    late = verdict(Observed(RID, MEMORY_MB, 3.0, kind="timeout", duration_ms=3004.2))
    assert late.duration_ms == 3004.2


def test_no_other_outcome_adds_a_log_line():
    assert all(verdict(seen).log_note == "" for case, seen, _ in CASES if case != "timeout")


def test_a_response_over_6_mb_is_function_response_size_too_large_and_the_environment_stays_warm():
    result = verdict(observed(frame={**RESULT, "payload": "x" * (SYNC_PAYLOAD_LIMIT + 1)}))
    assert (result.outcome, result.error_type, result.status, result.keep_environment) == (
        "response_too_large",
        "Function.ResponseSizeTooLarge",
        None,
        True,
    )
    assert body(result)["errorMessage"] == (
        f"Response payload size exceeded maximum allowed payload size ({SYNC_PAYLOAD_LIMIT} bytes)."
    )
    assert verdict(observed(frame={**RESULT, "payload": "x" * SYNC_PAYLOAD_LIMIT})).outcome == "success"


def test_memory_over_the_limit_in_the_answer_is_out_of_memory_even_with_a_payload():
    seen = observed(frame={**RESULT, "payload": "1", "max_rss_kb": MEMORY_MB * 1024 + 1})
    assert crashed(seen.kind, seen.frame, MEMORY_MB)
    assert verdict(seen).outcome == "out_of_memory"


def test_a_stack_trace_is_cut_to_100_lines():
    error = {"errorType": "E", "errorMessage": "m", "stackTrace": [f"line {n}" for n in range(150)]}
    result = verdict(observed(frame={**RESULT, "error": error}))
    assert len(body(result)["stackTrace"]) == 100


@pytest.mark.parametrize(
    ("kind", "frame", "expected"),
    [
        ("frame", dict(RESULT), False),
        ("timeout", {}, False),
        ("exited", {}, True),
        ("protocol_error", {}, True),
        ("frame", {"type": "init"}, True),
        ("frame", {**RESULT, "oom": True}, True),
    ],
)
def test_crashed_says_when_the_exit_report_is_needed(kind, frame, expected):
    assert crashed(kind, frame, MEMORY_MB) is expected


# -- the init phase ---------------------------------------------------------------------------------------
def test_the_init_duration_is_the_hosts_measurement_whatever_the_frame_claims():
    # a frame could come from the handler itself (LOW-3 of the 2026-12 security review)
    init = init_verdict(RID, "frame", {"type": "init", "init_ms": 41.5}, 99.0, 10.0)
    assert (init.error, init.init_ms, init.environment_failed) == (None, 99.0, False)


def test_an_init_phase_whose_module_raised_is_an_init_error_with_the_modules_error():
    frame = {
        "type": "init",
        "init_ms": 7,
        "error": {"errorType": "Runtime.ImportModuleError", "errorMessage": "m"},
    }
    init = init_verdict(RID, "frame", frame, 99.0, 10.0)
    assert init.error == {
        "errorMessage": "m",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert (init.init_ms, init.environment_failed) == (99.0, False)


def test_an_init_error_that_is_not_an_object_is_runtime_unknown():
    init = init_verdict(RID, "frame", {"type": "init", "error": "text"}, 99.0, 10.0)
    assert init.error["errorType"] == "Runtime.Unknown" and init.init_ms == 99.0


def test_a_runtime_that_exited_during_init_is_an_exit_error_timed_by_the_host():
    init = init_verdict(RID, "exited", None, 99.0, 10.0)
    assert init.error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {RID} Error: Runtime exited without providing a reason",
    }
    assert (init.init_ms, init.environment_failed) == (99.0, True)


def test_an_init_phase_past_its_limit_is_a_timeout():
    init = init_verdict(RID, "timeout", None, 10_000.0, 10.0)
    assert init.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {RID} Error: Task timed out after 10.00 seconds",
    }
    assert init.environment_failed


def test_a_first_frame_that_is_not_init_means_the_runtime_never_started():
    init = init_verdict(RID, "frame", dict(RESULT), 5.0, 10.0)
    assert init.environment_failed and init.error["errorType"] == "Runtime.ExitError"
