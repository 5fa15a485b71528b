"""Init Duration and Max Memory Used are measured by the host (LOW-3 of the 2026-12 security review): what
the environment writes, on its channel or to its output, does not change the recorded figures."""

import pytest

# Module-level code that takes over the channel as an attacker would: it sends its own init frame (claiming
# 0.5 ms and 1 MB), then drops the runtime's real one and stamps 1 MB on every result; its handler prints a
# REPORT line of its own. Meanwhile the init phase really takes >= 300 ms and the process holds >= 60 MB.
FORGER = """
import time
import framing, lambda_runtime

time.sleep(0.3)
framing.write_frame(lambda_runtime._channel_fd, {"type": "init", "init_ms": 0.5, "error": None, "max_rss_kb": 1024})
_write = framing.write_frame

def _forge(fd, frame, *args, **kwargs):
    if frame.get("type") == "init":
        return None
    if frame.get("type") == "result":
        frame["max_rss_kb"] = 1024
    return _write(fd, frame, *args, **kwargs)

framing.write_frame = _forge
BALLAST = b"x" * (60 * 1024 * 1024)

def handler(event, context):
    print(f"REPORT RequestId: {context.aws_request_id}\\tDuration: 1.00 ms\\tBilled Duration: 1 ms\\t"
          "Memory Size: 256 MB\\tMax Memory Used: 1 MB\\tInit Duration: 0.50 ms")
    return "ok"
"""


def test_forged_init_and_report_frames_do_not_change_the_recorded_figures(cloud, deploy):
    name = deploy(FORGER, MemorySize=256, Timeout=10)
    invocation = cloud.lambda_.invoke(name, b"{}")
    assert invocation.payload == b'"ok"', invocation.logs
    assert invocation.init_duration_ms >= 300
    assert invocation.max_memory_used_mb >= 60
    report = invocation.logs.strip().splitlines()[-1]
    assert report.startswith(f"REPORT RequestId: {invocation.request_id}\t")
    assert f"Init Duration: {invocation.init_duration_ms:.2f} ms" in report
    assert f"Max Memory Used: {invocation.max_memory_used_mb} MB" in report
    warm = cloud.lambda_.invoke(name, b"{}")
    assert warm.payload == b'"ok"' and warm.max_memory_used_mb >= 60


@pytest.mark.parametrize("megabytes", [8, 90])
def test_max_memory_used_follows_what_the_handler_really_holds(cloud, deploy, megabytes):
    name = deploy(
        f"def handler(event, context):\n    data = b'x' * ({megabytes} * 1024 * 1024)\n    return len(data)\n",
        MemorySize=256,
    )
    invocation = cloud.lambda_.invoke(name, b"{}")
    assert invocation.function_error is None
    # the runtime with boto3 preloaded holds ~40-60 MB of its own
    assert megabytes <= invocation.max_memory_used_mb <= megabytes + 120


# A handler that answers with a frame of its own before returning: the review saw the runtime's real answer
# then taken as the next invocation's, so every later answer was shifted by one.
SHIFTER = """
import framing, lambda_runtime

def handler(event, context):
    framing.write_frame(lambda_runtime._channel_fd, {"type": "result", "payload": '"forged"'})
    if event.get("own_id"):
        frame = {"type": "result", "request_id": context.aws_request_id, "payload": '"answered early"'}
        framing.write_frame(lambda_runtime._channel_fd, frame)
    return event["n"] * event["n"]
"""


def test_a_forged_result_frame_never_answers_this_or_a_later_invocation(cloud, deploy):
    name = deploy(SHIFTER, Timeout=10)
    answers = [cloud.lambda_.invoke(name, f'{{"n": {n}}}'.encode()).payload for n in (2, 3, 4)]
    assert answers == [b"4", b"9", b"16"]
    # Answering for its own request id is what a handler may do through Lambda's Runtime API too: the first
    # response counts and the runtime's own later one is refused, so the next invocation is still its own.
    early = cloud.lambda_.invoke(name, b'{"n": 5, "own_id": true}')
    assert early.payload == b'"answered early"'
    assert cloud.lambda_.invoke(name, b'{"n": 6}').payload == b"36"
