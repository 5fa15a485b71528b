"""squared-number's "Logs each request at INFO with the logging module" (LOW-3 of the 2026-12 security
review): ``print("[INFO] ...")`` scored the point before; now only a line that Lambda's Python runtime
writes for ``logging`` (level, timestamp, the invocation's request id, message; see
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html) from code that uses the logging module
passes, and the feedback says what to use."""

import pytest

from labs.grading import grade, load_catalog
from labs.grading.checks import calls_logging

LAB = next(lab for lab in load_catalog() if lab.slug == "squared-number")

HANDLER = """{imports}
class InvalidInput(Exception):
    pass
def lambda_handler(event, context):
    if not isinstance(event, dict) or 'number' not in event:
        raise InvalidInput('expected a number')
    n = event['number']
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise InvalidInput('number must be a number')
    {log}
    return {{'number': n, 'squared': n * n}}
"""


def _logging_check(imports: str, log: str) -> dict:
    report = grade(LAB, {"app.py": HANDLER.format(imports=imports, log=log)})
    others = [c for c in report["checks"] if c["id"] != "logs_each_request"]
    assert all(c["passed"] for c in others), others
    return next(c for c in report["checks"] if c["id"] == "logs_each_request")


def test_print_of_an_info_line_fails_and_says_to_use_logging():
    result = _logging_check("", "print('[INFO] squaring', n)")
    assert not result["passed"]
    assert result["message"].startswith("Your [INFO] line was printed, not logged")
    assert "logger = logging.getLogger()" in result["message"]
    assert "logger.info(" in result["message"]


def test_a_printed_copy_of_lambdas_log_format_fails_without_the_logging_module():
    forged = "print(f'[INFO]\\t2026-12-07T00:00:00.000Z\\t{context.aws_request_id}\\tsquaring')"
    result = _logging_check("", forged)
    assert not result["passed"]
    assert result["message"].startswith("No INFO line from the logging module in the logs")


def test_logging_below_info_level_fails_with_the_same_advice():
    result = _logging_check("import logging\nlogger = logging.getLogger()", "logger.info('squaring %s', n)")
    assert not result["passed"]
    assert "logger.setLevel(logging.INFO)" in result["message"]


@pytest.mark.parametrize(
    ("imports", "log"),
    [
        (
            "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)",
            "logger.info('squaring %s', n)",
        ),
        ("import logging\nlogging.getLogger().setLevel('INFO')", "logging.info('squaring %s', n)"),
    ],
    ids=["logger", "module-function"],
)
def test_real_logging_at_info_passes(imports, log):
    assert _logging_check(imports, log)["passed"]


def test_calls_logging_reads_the_source():
    assert calls_logging("import logging\nlog = logging.getLogger(__name__)\nlog.warning('x')\n")
    assert calls_logging("from logging import getLogger\ngetLogger().info('x')\n")
    assert not calls_logging("print('[INFO] x')\n")
    assert not calls_logging("import logging\nprint('[INFO] x')\n")  # imported, never called
    assert not calls_logging(
        "class L:\n    def info(self, m): print(m)\nL().info('x')\n"
    )  # no logging module
    assert not calls_logging("def broken(:\n")
