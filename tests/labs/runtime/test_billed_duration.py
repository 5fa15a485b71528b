"""Billed Duration since INIT billing (2025-08-01): the INIT of a cold start is added to the duration and the
sum rounded up to the millisecond, once (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/;
measured: Init 1293.83 ms + Duration 1049.63 ms billed 2344 ms,
https://lucvandonkersgoed.com/2022/04/09/when-is-the-lambda-init-phase-free-and-when-is-it-billed/)."""

import re

import pytest

from labs.runtime.awslambda.service import billed_duration_ms


@pytest.mark.parametrize(
    ("duration", "init", "billed"),
    [
        (1049.63, 1293.83, 2344),  # the measured case: rounded together, not 1050 + 1294
        (0.06, 0.63, 1),  # the review's case: 0.69 ms bills 1 ms, not 2
        (3.24, 0.63, 4),  # not 5
        (0.06, None, 1),  # a warm start: the duration alone
        (0.0, None, 1),  # never less than 1 ms
        (1.1, 0.9, 2),  # float noise (2.0000000000000004) adds no millisecond
        (12.0, None, 12),
    ],
)
def test_init_and_duration_are_rounded_together(duration, init, billed):
    assert billed_duration_ms(duration, init) == billed


def test_the_report_line_bills_init_and_duration_together(cloud, deploy, invoke):
    name = deploy("import json\ndef handler(event, context):\n    return 1\n")
    invoke(name)
    invoke(name)
    cold, warm = cloud.trace.of_kind("invocation")
    report = cold["logs"].strip().splitlines()[-1]
    figures = dict(re.findall(r"(\w[\w ]*?): ([\d.]+) ms", report))
    assert "Init Duration" in figures, report
    # (from the unrounded figures of the trace: the REPORT line prints two decimals)
    expected = billed_duration_ms(cold["duration_ms"], cold["init_duration_ms"])
    assert int(figures["Billed Duration"]) == expected == cold["billed_duration_ms"]
    assert expected < cold["duration_ms"] + cold["init_duration_ms"] + 1  # one rounding, not two
    assert warm["billed_duration_ms"] == billed_duration_ms(warm["duration_ms"], None)
