"""Distributed Map against the simulated S3: item readers, batching, concurrency and child executions.

Definitions follow the examples of AWS's pages (each test names its page):
- "Map state in Distributed mode": https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
- "ItemReader (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
- "ItemBatcher (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
- "ItemSelector (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemselector.html
- "Examining Map Run": https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
"""

import gzip
import json
import re

import pytest

from labs.runtime.stepfunctions import run, validate

from .conftest import START, go, machine, types

BUCKET = "amzn-s3-demo-bucket"
GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"


def distributed(processor_states=None, execution_type="STANDARD", **fields):
    """A one-state machine whose Map runs in Distributed mode with a Pass item processor."""
    states = processor_states or {"P": {"Type": "Pass", "End": True}}
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": next(iter(states)),
        "States": states,
    }
    return machine({"Map": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}})


def reader(input_type=None, key="data.json", **config):
    spec = {"Resource": GET_OBJECT, "Parameters": {"Bucket": BUCKET, "Key": key}}
    if input_type:
        spec["ReaderConfig"] = {"InputType": input_type, **config}
    return spec


@pytest.fixture
def s3(cloud):
    client = cloud.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def put(s3, key, body):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body if isinstance(body, bytes) else body.encode())


# -- child workflow executions -------------------------------------------------------------------------------
def test_each_item_runs_as_a_child_execution_named_under_its_map_run():
    """state-map-distributed.html and concepts-examine-map-run.html: a Map Run ARN
    ``mapRun:MACHINE/LABEL:ID`` and child executions of the state machine ``MACHINE/LABEL``."""
    definition = distributed(Label="getOrders", ItemsPath="$.orders")
    assert validate(definition) == []
    result = run(definition, {"orders": [{"id": 1}, {"id": 2}]}, name="orderProcessing", start_time=START)
    assert (result["status"], result["output"]) == ("SUCCEEDED", [{"id": 1}, {"id": 2}])
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    (map_run,) = result["execution"].map_runs
    prefix = "arn:aws:states:us-east-1:123456789012"
    assert re.fullmatch(f"{prefix}:mapRun:orderProcessing/getOrders:{UUID}", map_run["mapRunArn"])
    started = next(e for e in result["history"] if e["type"] == "MapRunStarted")
    assert started["mapRunStartedEventDetails"] == {"mapRunArn": map_run["mapRunArn"]}
    children = map_run["executions"]
    assert [child.input for child in children] == [{"id": 1}, {"id": 2}]
    for child in children:
        assert re.fullmatch(f"{prefix}:execution:orderProcessing/getOrders:{UUID}", child.arn)
        assert child.state_machine_arn == f"{prefix}:stateMachine:orderProcessing/getOrders"
        assert child.map_run_arn == map_run["mapRunArn"] and child.status == "SUCCEEDED"
        assert [e["type"] for e in child.history][0] == "ExecutionStarted"


def test_express_children_and_a_generated_label():
    """state-map-distributed.html: ExecutionType EXPRESS; the label is a UUID when Label is absent
    (concepts-examine-map-run.html: ``stateMachineName/MapRunLabel or UUID``)."""
    result = go(distributed(execution_type="EXPRESS"), [1])
    child = result["execution"].map_runs[0]["executions"][0]
    assert re.fullmatch(f"arn:aws:states:us-east-1:123456789012:express:run/{UUID}:{UUID}", child.arn)
    assert child.workflow_type == "EXPRESS"


def test_an_express_child_longer_than_five_minutes_times_out_and_fails_the_map_run():
    """concepts-standard-vs-express.html: an Express execution lasts at most five minutes; a child that
    times out is a failed item (maprun-fail-threshold.html)."""
    wait = {"W": {"Type": "Wait", "Seconds": 400, "End": True}}
    result = go(distributed(wait, execution_type="EXPRESS"), [1])
    assert (result["status"], result["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert result["execution"].map_runs[0]["executions"][0].status == "TIMED_OUT"


def test_max_concurrency_bounds_the_children_running_at_once_in_simulated_time():
    """state-map-distributed.html: MaxConcurrency; four 10-second children, two at a time, take 20 s."""
    wait = {"W": {"Type": "Wait", "Seconds": 10, "End": True}}
    result = go(distributed(wait, MaxConcurrency=2), [1, 2, 3, 4])
    assert result["status"] == "SUCCEEDED"
    ended = result["history"][-1]["timestamp"]
    assert ended - START == pytest.approx(20.0)
    unbounded = go(distributed(wait), [1, 2, 3, 4])
    assert unbounded["history"][-1]["timestamp"] - START == pytest.approx(10.0)


def test_item_selector_reads_the_map_context_and_the_children_see_their_own_execution():
    """input-output-itemselector.html: ItemSelector with ``$$.Map.Item.Index`` / ``Value``; a child's
    ``$$.Execution.Id`` is its own ARN (input-output-contextobject.html)."""
    processor = {"P": {"Type": "Pass", "Parameters": {"item.$": "$", "me.$": "$$.Execution.Id"}, "End": True}}
    definition = distributed(
        processor, ItemSelector={"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "k": 1}
    )
    result = go(definition, ["a", "b"])
    children = result["execution"].map_runs[0]["executions"]
    assert result["output"] == [
        {"item": {"index": 0, "value": "a", "k": 1}, "me": children[0].arn},
        {"item": {"index": 1, "value": "b", "k": 1}, "me": children[1].arn},
    ]


def test_a_child_failure_without_tolerance_fails_the_map_run():
    """maprun-fail-threshold.html: the tolerated failure threshold is zero by default; exceeding it fails the
    state with States.ExceedToleratedFailureThreshold (concepts-error-handling.html), which Catch handles."""
    fail = {"F": {"Type": "Fail", "Error": "Bad", "Cause": "no"}}
    definition = distributed(fail)
    result = go(definition, [1, 2])
    assert (result["status"], result["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert result["cause"] == "The specified tolerated failure threshold was exceeded"
    assert "MapRunFailed" in types(result)
    caught = json.loads(json.dumps(definition))
    caught["States"]["Map"]["Catch"] = [
        {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Ok"}
    ]
    del caught["States"]["Map"]["End"]
    caught["States"]["Map"]["Next"] = "Ok"
    caught["States"]["Ok"] = {"Type": "Succeed"}
    assert go(caught, [1])["status"] == "SUCCEEDED"


def test_tolerated_failures_count_and_percentage():
    """maprun-fail-threshold.html: ToleratedFailureCount / ToleratedFailurePercentage (and their paths); the
    results are COMPACT (input-output-resultwriter.html): a failed child's execution record as it is."""
    choose = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "F"}],
            "Default": "P",
        },
        "F": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
        "P": {"Type": "Pass", "End": True},
    }
    by_count = go(distributed(choose, ToleratedFailureCount=1), [1, -1, 2])
    assert by_count["status"] == "SUCCEEDED"
    first, failed, last = by_count["output"]  # COMPACT: outputs, a failed child's record unchanged
    assert (first, last) == (1, 2)
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Negative", "below zero")
    assert json.loads(failed["Input"]) == -1 and failed["ExecutionArn"].startswith("arn:aws:states:")
    assert go(distributed(choose, ToleratedFailureCount=1), [-1, -2, 2])["status"] == "FAILED"
    by_path = distributed(choose, ToleratedFailurePercentagePath="$.pct", ItemsPath="$.items")
    assert go(by_path, {"pct": 50, "items": [-1, 1]})["status"] == "SUCCEEDED"
    exceeded = go(by_path, {"pct": 50, "items": [-1, -1, 1]})
    assert exceeded["error"] == "States.ExceedToleratedFailureThreshold"
    bad = go(by_path, {"pct": "half", "items": [1]})
    assert (bad["status"], bad["error"]) == ("FAILED", "States.Runtime")
    assert "ToleratedFailurePercentagePath" in bad["cause"]


def test_once_the_threshold_is_exceeded_the_running_children_are_aborted():
    """maprun-fail-threshold.html: when the Map Run fails, the child executions still running stop."""
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}],
            "Default": "W",
        },
        "F": {"Type": "Fail", "Error": "Bad"},
        "W": {"Type": "Wait", "Seconds": 100, "End": True},
    }
    result = go(distributed(states, MaxConcurrency=2), [1, 0, 2, 3])
    assert result["status"] == "FAILED"
    statuses = [child.status for child in result["execution"].map_runs[0]["executions"]]
    assert statuses == ["ABORTED", "FAILED"]  # the third and fourth items never started
    assert result["history"][-1]["timestamp"] - START < 100


# -- ItemBatcher --------------------------------------------------------------------------------------------
def test_item_batcher_groups_items_with_the_batch_input():
    """input-output-itembatcher.html: a child receives ``{"BatchInput": ..., "Items": [...]}``; BatchInput may
    read the state input with ``.$`` fields."""
    definition = distributed(
        ItemsPath="$.items",
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"factCheck.$": "$.check"}},
    )
    result = go(definition, {"check": "TRUE", "items": [1, 2, 3]})
    assert result["output"] == [
        {"BatchInput": {"factCheck": "TRUE"}, "Items": [1, 2]},
        {"BatchInput": {"factCheck": "TRUE"}, "Items": [3]},
    ]
    no_batch_input = go(
        distributed(ItemBatcher={"MaxItemsPerBatchPath": "$.size"}, ItemsPath="$.i"),
        {"size": 3, "i": [1, 2, 3, 4]},
    )
    assert no_batch_input["output"] == [{"Items": [1, 2, 3]}, {"Items": [4]}]


def test_item_batcher_by_bytes():
    """input-output-itembatcher.html: MaxInputBytesPerBatch bounds a batch's size in bytes."""
    items = [{"text": "x" * 40} for _ in range(5)]  # 51 bytes each as JSON
    result = go(distributed(ItemBatcher={"MaxInputBytesPerBatch": 110}), items)
    assert [len(batch["Items"]) for batch in result["output"]] == [2, 2, 1]
    bad = go(distributed(ItemBatcher={"MaxItemsPerBatchPath": "$.n"}, ItemsPath="$.i"), {"n": -2, "i": [1]})
    assert (bad["status"], bad["error"]) == ("FAILED", "States.Runtime")
    assert "MaxItemsPerBatchPath" in bad["cause"]


# -- ItemReader -----------------------------------------------------------------------------------------------
def test_json_file_items(cloud, s3):
    """input-output-itemreader.html: a JSON file in S3 holding an array (``factcheck.json``)."""
    facts = [
        {"verdict": "true", "statement_date": "6/11/2008"},
        {"verdict": "false", "statement_date": "6/7/2022"},
    ]
    put(s3, "factcheck.json", json.dumps(facts))
    definition = distributed(ItemReader=reader("JSON", key="factcheck.json"))
    assert validate(definition) == []
    result = run(definition, {}, cloud=cloud)
    assert (result["status"], result["output"]) == ("SUCCEEDED", facts)


def test_json_lines_items_and_max_items(cloud, s3):
    """input-output-itemreader.html: InputType JSONL, one item per line; ReaderConfig.MaxItems."""
    put(s3, "data.jsonl", '{"a": 1}\n{"a": 2}\n\n{"a": 3}\n')
    result = run(distributed(ItemReader=reader("JSONL", key="data.jsonl")), {}, cloud=cloud)
    assert result["output"] == [{"a": 1}, {"a": 2}, {"a": 3}]
    limited = distributed(ItemReader=reader("JSONL", key="data.jsonl", MaxItemsPath="$.max"))
    assert run(limited, {"max": 2}, cloud=cloud)["output"] == [{"a": 1}, {"a": 2}]


def test_csv_items_with_the_header_in_the_first_row(cloud, s3):
    """input-output-itemreader.html: a CSV file whose first row holds the headers; every value is a string."""
    put(
        s3,
        "csvDataset/ratings.csv",
        "rating,movieId,userId,timestamp\n3.5,307,1,1256677221\n4,481,1,1256677456\n",
    )
    definition = distributed(
        ItemReader=reader("CSV", key="csvDataset/ratings.csv", CSVHeaderLocation="FIRST_ROW"),
        MaxConcurrency=1,
    )
    result = run(definition, {}, cloud=cloud)
    assert result["output"] == [
        {"rating": "3.5", "movieId": "307", "userId": "1", "timestamp": "1256677221"},
        {"rating": "4", "movieId": "481", "userId": "1", "timestamp": "1256677456"},
    ]


def test_csv_items_with_given_headers_and_a_delimiter(cloud, s3):
    """input-output-itemreader.html: CSVHeaderLocation GIVEN with CSVHeaders; CSVDelimiter (PIPE); quoted
    fields keep their delimiters."""
    put(s3, "ratings.csv", '1|307|3.5\n1|481|"a|b"\n')
    config = {
        "CSVHeaderLocation": "GIVEN",
        "CSVHeaders": ["userId", "movieId", "rating"],
        "CSVDelimiter": "PIPE",
    }
    result = run(distributed(ItemReader=reader("CSV", key="ratings.csv", **config)), {}, cloud=cloud)
    assert result["output"] == [
        {"userId": "1", "movieId": "307", "rating": "3.5"},
        {"userId": "1", "movieId": "481", "rating": "a|b"},
    ]


def test_s3_object_listing_items(cloud, s3):
    """input-output-itemreader.html: listObjectsV2 with Bucket and Prefix; each item has Etag, Key,
    LastModified (epoch seconds), Size and StorageClass."""
    put(s3, "processData/images/a.jpg", b"12345")
    put(s3, "processData/images/b.jpg", b"1")
    put(s3, "other/c.jpg", b"1")
    spec = {"Resource": LIST_OBJECTS, "Parameters": {"Bucket": BUCKET, "Prefix": "processData"}}
    result = run(distributed(ItemReader=spec), {}, cloud=cloud)
    assert [item["Key"] for item in result["output"]] == [
        "processData/images/a.jpg",
        "processData/images/b.jpg",
    ]
    first = result["output"][0]
    assert set(first) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert (
        first["Size"] == 5 and first["StorageClass"] == "STANDARD" and isinstance(first["LastModified"], int)
    )
    assert first["Etag"].startswith('"')


def test_s3_inventory_manifest_items(cloud, s3):
    """input-output-itemreader.html: InputType MANIFEST reads an S3 Inventory report's CSV files, keyed by the
    manifest's fileSchema (storage-inventory-location.html)."""
    rows = gzip.compress(b'"amzn-s3-demo-bucket","a.txt","10"\n"amzn-s3-demo-bucket","b.txt","20"\n')
    put(s3, "inventory/data/part-1.csv.gz", rows)
    manifest = {
        "sourceBucket": BUCKET,
        "destinationBucket": f"arn:aws:s3:::{BUCKET}",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size",
        "files": [{"key": "inventory/data/part-1.csv.gz", "size": len(rows)}],
    }
    put(s3, "inventory/manifest.json", json.dumps(manifest))
    result = run(distributed(ItemReader=reader("MANIFEST", key="inventory/manifest.json")), {}, cloud=cloud)
    assert result["output"] == [
        {"Bucket": BUCKET, "Key": "a.txt", "Size": "10"},
        {"Bucket": BUCKET, "Key": "b.txt", "Size": "20"},
    ]


def test_jsonata_item_reader_with_arguments(cloud, s3):
    """input-output-itemreader.html: in JSONata, Parameters are replaced by Arguments (expressions allowed)."""
    put(s3, "in/2024.json", "[1, 2]")
    definition = distributed(
        QueryLanguage="JSONata",
        ItemReader={
            "Resource": GET_OBJECT,
            "ReaderConfig": {"InputType": "JSON"},
            "Arguments": {"Bucket": BUCKET, "Key": "{% 'in/' & $states.input.year & '.json' %}"},
        },
        ItemSelector={"n": "{% $states.context.Map.Item.Value * 10 %}"},
    )
    assert validate(definition) == []
    result = run(definition, {"year": "2024"}, cloud=cloud)
    assert result["output"] == [{"n": 10}, {"n": 20}]
