"""The command line: ``python -m labs.runtime invoke`` and ``generate-event``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.runtime.events import EVENTS, generate_event

REPO_ROOT = str(Path(__file__).resolve().parents[3])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labs.runtime", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(("service", "event"), list(EVENTS))
def test_sample_events_are_json_with_aws_shapes(service, event):
    sample = generate_event(service, event)
    assert json.loads(json.dumps(sample)) == sample
    if "Records" in sample:
        source = sample["Records"][0].get("eventSource") or sample["Records"][0].get("EventSource")
        assert source == f"aws:{service}"


def test_generate_event_command():
    result = run_cli("generate-event", "s3", "put")
    assert result.returncode == 0
    assert json.loads(result.stdout)["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert run_cli("generate-event", "s3", "nope").returncode == 2


def test_invoke_command(tmp_path):
    (tmp_path / "handler.py").write_text(
        "import os\ndef lambda_handler(event, context):\n    print('got', event)\n    return {'name': os.environ['WHO'], 'n': event['n']}\n"
    )
    (tmp_path / "event.json").write_text('{"n": 3}')
    result = run_cli(
        "invoke",
        "--code",
        str(tmp_path),
        "--handler",
        "handler.lambda_handler",
        "--event",
        str(tmp_path / "event.json"),
        "--env",
        "WHO=cli",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"name": "cli", "n": 3}
    assert (
        "START RequestId:" in result.stderr
        and "got {'n': 3}" in result.stderr
        and "REPORT RequestId:" in result.stderr
    )
