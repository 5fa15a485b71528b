"""State machines that AWS's developer guide documents as valid (``corpus/stepfunctions_valid_definitions.json``,
each naming its page, arranged in our own words): every one validates here, as CreateStateMachine accepts it on
AWS, and runs to an end (succeeded or failed) without a Python exception, with no account and with one."""

import json
from pathlib import Path

import pytest

from labs.runtime.stepfunctions import run, validate

from .conftest import START

CORPUS = json.loads(
    (Path(__file__).parent.parent / "corpus" / "stepfunctions_valid_definitions.json").read_text()
)
CASES = CORPUS["cases"]
INPUT = {"items": [1, 2], "key": "k.csv", "bucket": "amzn-s3-demo-bucket", "prefix": "p", "max": 1, "x": 1}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_a_documented_definition_validates_and_runs_to_an_end(case):
    assert case["source"].startswith("https://docs.aws.amazon.com/step-functions/")
    assert validate(case["definition"]) == []
    result = run(case["definition"], INPUT, start_time=START)
    assert result["status"] in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
    if result["status"] == "FAILED":
        assert result["error"] and isinstance(result["cause"], str)


def test_the_distributed_map_definitions_run_against_an_account(cloud):
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="amzn-s3-demo-bucket")
    s3.put_object(Bucket="amzn-s3-demo-bucket", Key="k.csv", Body=b"1;2;3.5;1256677221\n")
    s3.put_object(Bucket="amzn-s3-demo-bucket", Key="p/a.txt", Body=b"x")
    distributed = [case for case in CASES if case["name"].startswith("distributed map")]
    assert len(distributed) >= 10
    outcomes = {case["name"]: run(case["definition"], INPUT, cloud=cloud) for case in distributed}
    assert outcomes["distributed map, CSV given headers, JSONata Arguments"]["output"] == [
        {"userId": "1", "movieId": "2", "rating": "3.5", "timestamp": "1256677221"}
    ]
    listing = outcomes["distributed map, S3 listing with paths and MaxItems"]["output"]
    assert [item["Key"] for item in listing] == ["p/a.txt"]
    missing = outcomes["distributed map, JSON with MaxItemsPath"]
    assert (missing["status"], missing["error"]) == ("FAILED", "States.ItemReaderFailed")
