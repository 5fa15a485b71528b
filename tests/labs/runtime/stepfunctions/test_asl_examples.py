"""The examples of the Amazon States Language specification (and AWS's additions), as data files.

Each file in tests/labs/runtime/statemachines/ holds a definition, and either one input with its expected
result or a list of cases; each case runs the definition and compares status, output, error and cause.
"""

import json
from pathlib import Path

import pytest

from labs.runtime.stepfunctions import run, validate

EXAMPLES = Path(__file__).parent.parent / "statemachines"


def _cases():
    for path in sorted(EXAMPLES.glob("*.json")):
        example = json.loads(path.read_text())
        cases = example.get("cases") or [{"input": example["input"], "expected": example["expected"]}]
        for index, case in enumerate(cases):
            yield pytest.param(example["definition"], case, id=f"{path.stem}[{index}]")


@pytest.mark.parametrize(("definition", "case"), list(_cases()))
def test_specification_example(definition, case):
    assert validate(definition) == []
    result = run(definition, case["input"])
    expected = case["expected"]
    assert result["status"] == expected["status"], result
    for field in ("output", "error", "cause"):
        if field in expected:
            assert result[field] == expected[field]


def test_there_are_examples_for_every_state_but_task():
    # Task examples need Lambda functions in a Cloud: they live in test_asl_cloud.py.
    kinds = set()

    def collect(machine):
        for state in machine["States"].values():
            kinds.add(state["Type"])
            for branch in state.get("Branches", []):
                collect(branch)
            if "ItemProcessor" in state:
                collect(state["ItemProcessor"])

    for path in EXAMPLES.glob("*.json"):
        collect(json.loads(path.read_text())["definition"])
    assert kinds == {"Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
