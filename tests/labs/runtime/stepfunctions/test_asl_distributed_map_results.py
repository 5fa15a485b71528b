"""Distributed Map: ResultWriter to the simulated S3, the reader's and writer's failures, and the Map Run through
the Step Functions API. Each test names the AWS page it follows:
- "ResultWriter (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
- "ItemReader (Map)": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
- "Error handling": https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
- ListExecutions / DescribeMapRun: https://docs.aws.amazon.com/step-functions/latest/apireference/
"""

import json

import pytest

from labs.runtime.stepfunctions import run, validate

from .conftest import create, go, sfn_role
from .test_asl_distributed_map import BUCKET, GET_OBJECT, LIST_OBJECTS, distributed, put, reader

PUT_OBJECT = "arn:aws:states:::s3:putObject"
WRITER = {"Resource": PUT_OBJECT, "Parameters": {"Bucket": BUCKET, "Prefix": "csvProcessJobs"}}
CHOOSE = {
    "C": {
        "Type": "Choice",
        "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "F"}],
        "Default": "P",
    },
    "F": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
    "P": {"Type": "Pass", "End": True},
}


@pytest.fixture
def s3(cloud):
    client = cloud.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def read_json(s3, key):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


# -- ResultWriter --------------------------------------------------------------------------------------------
def test_results_are_exported_with_a_manifest_and_the_state_returns_the_details(cloud, s3):
    """input-output-resultwriter.html: files under ``<Prefix>/<map run id>/``, a manifest.json listing them,
    and the state output ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``."""
    definition = distributed(CHOOSE, ResultWriter=WRITER, ToleratedFailureCount=1, Label="csvProcess")
    assert validate(definition) == []
    result = run(definition, [1, -1], cloud=cloud, name="csvProcess")
    assert result["status"] == "SUCCEEDED"
    arn = result["output"]["MapRunArn"]
    run_id = arn.rsplit(":", 1)[1]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:mapRun:csvProcess/csvProcess:")
    folder = f"csvProcessJobs/{run_id}/"
    assert result["output"]["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": f"{folder}manifest.json"}
    manifest = read_json(s3, f"{folder}manifest.json")
    assert manifest["DestinationBucket"] == BUCKET and manifest["MapRunArn"] == arn
    assert [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]] == [f"{folder}SUCCEEDED_0.json"]
    assert [f["Key"] for f in manifest["ResultFiles"]["FAILED"]] == [f"{folder}FAILED_0.json"]
    assert manifest["ResultFiles"]["PENDING"] == []
    size = manifest["ResultFiles"]["SUCCEEDED"][0]["Size"]
    assert size == len(s3.get_object(Bucket=BUCKET, Key=f"{folder}SUCCEEDED_0.json")["Body"].read())
    (succeeded,) = read_json(s3, f"{folder}SUCCEEDED_0.json")
    assert succeeded["Status"] == "SUCCEEDED" and json.loads(succeeded["Output"]) == 1
    assert json.loads(succeeded["Input"]) == 1 and succeeded["InputDetails"] == {"Included": True}
    assert succeeded["ExecutionArn"].startswith("arn:aws:states:us-east-1:123456789012:execution:csvProcess/")
    assert succeeded["StartDate"].endswith("Z") and succeeded["RedriveStatus"] == "NOT_REDRIVABLE"
    (failed,) = read_json(s3, f"{folder}FAILED_0.json")
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Negative", "below zero")
    assert "Output" not in failed


def test_a_failed_map_run_still_writes_its_results_and_the_items_never_started_are_pending(cloud, s3):
    """input-output-resultwriter.html: executions are exported by status, PENDING_n.json for the rest."""
    wait_then = {**CHOOSE, "P": {"Type": "Wait", "Seconds": 5, "End": True}}
    definition = distributed(wait_then, ResultWriter=WRITER, MaxConcurrency=1)
    result = run(definition, [-1, 2, 3], cloud=cloud)
    assert (result["status"], result["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="csvProcessJobs/")["Contents"]]
    pending = next(key for key in keys if key.endswith("PENDING_0.json"))
    assert [json.loads(r["Input"]) for r in read_json(s3, pending)] == [2, 3]
    assert any(key.endswith("FAILED_0.json") for key in keys)
    assert not any(key.endswith("SUCCEEDED_0.json") for key in keys)


def test_writer_config_compact_flatten_and_json_lines(cloud, s3):
    """input-output-resultwriter.html: WriterConfig Transformation COMPACT / FLATTEN and OutputType JSONL;
    only a WriterConfig returns the formatted results to the next state."""
    pairs = {
        "P": {
            "Type": "Pass",
            "Parameters": {"pair.$": "States.Array($, $)"},
            "OutputPath": "$.pair",
            "End": True,
        }
    }
    preview = distributed(
        pairs, ResultWriter={"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}
    )
    assert validate(preview) == []
    assert go(preview, [1, 2])["output"] == [1, 1, 2, 2]
    compact = distributed(
        pairs, ResultWriter={"WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSON"}}
    )
    assert go(compact, [1, 2])["output"] == [[1, 1], [2, 2]]
    lines = distributed(
        pairs, ResultWriter={**WRITER, "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}}
    )
    result = run(lines, [1, 2], cloud=cloud)
    manifest = read_json(s3, result["output"]["ResultWriterDetails"]["Key"])
    key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    text = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert text.splitlines() == ["[1,1]", "[2,2]"]


def test_jsonata_result_writer_with_arguments(cloud, s3):
    """input-output-resultwriter.html: for JSONata states, Parameters are replaced with Arguments."""
    writer = {"Resource": PUT_OBJECT, "Arguments": {"Bucket": BUCKET, "Prefix": "{% $states.input.prefix %}"}}
    definition = distributed(QueryLanguage="JSONata", Items="{% $states.input.items %}", ResultWriter=writer)
    assert validate(definition) == []
    result = run(definition, {"prefix": "jobs", "items": [1]}, cloud=cloud)
    assert result["output"]["ResultWriterDetails"]["Key"].startswith("jobs/")


def test_a_result_writer_bucket_that_does_not_exist(cloud, s3):
    """input-output-resultwriter.html: a bucket Step Functions cannot write fails with
    States.ResultWriterFailed."""
    writer = {"Resource": PUT_OBJECT, "Parameters": {"Bucket": "no-such-bucket-here", "Prefix": "out"}}
    result = run(distributed(ResultWriter=writer), [1], cloud=cloud)
    assert (result["status"], result["error"]) == ("FAILED", "States.ResultWriterFailed")
    china = {**writer, "Resource": "arn:aws-cn:states:::s3:putObject"}  # another partition, same writer
    assert run(distributed(ResultWriter=china), [1], cloud=cloud)["error"] == "States.ResultWriterFailed"
    assert "NoSuchBucket" in result["cause"]


# -- the reader's failures ---------------------------------------------------------------------------------
READER_FAILURES = [
    ("missing object", reader("JSON", key="nope.json"), None, "NoSuchKey"),
    (
        "missing bucket",
        {"Resource": LIST_OBJECTS, "Parameters": {"Bucket": "no-such-bucket-here"}},
        None,
        "NoSuchBucket",
    ),
    ("not JSON", reader("JSON", key="bad.json"), "[1, 2", "is not valid JSON"),
    ("JSON not an array", reader("JSON", key="bad.json"), '{"a": 1}', "must hold a JSON array"),
    ("bad JSON line", reader("JSONL", key="bad.json"), '{"a": 1}\n{oops\n', "Line 2"),
    ("CSV row too long", reader("CSV", key="bad.json"), "a,b\n1,2,3\n", "Row 2"),
    ("CSV bad quoting", reader("CSV", key="bad.json"), 'a,b\n"1,2\n', "malformed"),
    ("CSV empty", reader("CSV", key="bad.json"), "", "empty"),
    (
        "GIVEN without headers",
        reader("CSV", key="bad.json", CSVHeaderLocation="GIVEN", CSVHeaders=[]),
        "1,2\n",
        "CSVHeaders",
    ),
    ("manifest not JSON", reader("MANIFEST", key="bad.json"), "nope", "not valid JSON"),
    ("manifest without files", reader("MANIFEST", key="bad.json"), "{}", "fileSchema"),
    ("parameters missing Key", {"Resource": GET_OBJECT, "Parameters": {"Bucket": BUCKET}}, None, "refused"),
]


@pytest.mark.parametrize("case", READER_FAILURES, ids=[case[0] for case in READER_FAILURES])
def test_reader_failures_are_item_reader_failed_and_catchable(cloud, s3, case):
    """concepts-error-handling.html: States.ItemReaderFailed when the item source cannot be read; run never
    raises, and a Catch on the error handles it."""
    _, spec, body, reason = case
    if body is not None:
        put(s3, "bad.json", body)
    definition = distributed(ItemReader=spec)
    assert validate(definition) == []
    result = run(definition, {}, cloud=cloud)
    assert (result["status"], result["error"]) == ("FAILED", "States.ItemReaderFailed")
    assert reason in result["cause"]
    caught = json.loads(json.dumps(definition))
    state = caught["States"]["Map"]
    del state["End"]
    state["Catch"] = [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Handled"}]
    state["Next"] = "Handled"
    caught["States"]["Handled"] = {"Type": "Pass", "End": True}
    assert run(caught, {}, cloud=cloud)["output"]["Error"] == "States.ItemReaderFailed"


def test_without_an_account_the_reader_fails_clearly():
    result = go(distributed(ItemReader=reader("JSON")))
    assert (result["status"], result["error"]) == ("FAILED", "States.ItemReaderFailed")
    assert "No simulated account" in result["cause"]


def test_input_types_this_runtime_does_not_read_are_named(cloud, s3):
    """input-output-itemreader.html documents other sources (Parquet files): valid, not simulated here."""
    put(s3, "data.parquet", b"PAR1")
    result = run(distributed(ItemReader=reader("PARQUET", key="data.parquet")), {}, cloud=cloud)
    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")
    assert result["cause"].startswith("valid on AWS, not simulated here: ItemReader InputType PARQUET")
    pointer = reader("JSON", key="data.parquet", ItemsPointer="/items")
    result = run(distributed(ItemReader=pointer), {}, cloud=cloud)
    assert result["cause"].startswith(
        "valid on AWS, not simulated here: ItemReader ReaderConfig field ItemsPointer"
    )
    athena = reader("MANIFEST", key="data.parquet", ManifestType="ATHENA_DATA")
    result = run(distributed(ItemReader=athena), {}, cloud=cloud)
    assert result["cause"].startswith("valid on AWS, not simulated here: ItemReader ManifestType ATHENA_DATA")


# -- the Map Run through the API -------------------------------------------------------------------------------
def test_map_run_children_are_listed_described_and_traced(cloud, s3):
    """API_ListExecutions.html (mapRunArn, itemCount), API_ListMapRuns.html, API_DescribeMapRun.html; each child
    has its own history (GetExecutionHistory)."""
    put(s3, "items.json", json.dumps([{"n": i} for i in range(5)]))
    definition = distributed(ItemReader=reader("JSON", key="items.json"), ItemBatcher={"MaxItemsPerBatch": 2})
    machine_arn = create(cloud, definition, sfn_role(cloud, actions=("s3:*",)), name="batches")
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    cloud.run_until_idle()
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "SUCCEEDED"
    (map_run,) = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    assert sorted(child["itemCount"] for child in children) == [1, 2, 2]
    assert all(child["status"] == "SUCCEEDED" for child in children)
    described = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])
    assert described["status"] == "SUCCEEDED" and described["executionCounts"]["succeeded"] == 3
    assert described["itemCounts"]["succeeded"] == 5 and described["itemCounts"]["resultsWritten"] == 5
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == map_run["mapRunArn"] and child["status"] == "SUCCEEDED"
    history = sfn.get_execution_history(executionArn=children[0]["executionArn"])["events"]
    assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionSucceeded"
    assert not [
        e
        for e in sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        if e["executionArn"] != execution_arn
    ]
    started = cloud.trace.of_kind("sfn_execution_started")
    parent = next(r for r in started if r["execution_arn"] == execution_arn)
    (note,) = [r for r in cloud.trace.of_kind("sfn_note") if r["cause"] == parent["seq"]]
    assert note["note"] == f"Map state 'Map' started Map Run {map_run['mapRunArn']}"
    assert sum(1 for r in started if r.get("cause") == note["seq"]) == 3


def test_the_lesson_invoice_run_with_lambda_children_end_to_end(cloud, s3, deploy):
    """state-map-distributed.html: a CSV read from S3, batched, each batch priced by a Lambda function in an
    Express child; a bad row fails its batch within ToleratedFailurePercentage; results exported to S3.
    (The definition of courses/content/serverless/step-functions-at-scale.md.)"""
    deploy(
        "def handler(event, context):\n    return [float(row['amount']) * 2 for row in event['Items']]\n",
        FunctionName="price-invoices",
    )
    rows = "id,amount\n" + "".join(f"{i},{i}.5\n" for i in range(9)) + "9,oops\n"
    put(s3, "december.csv", rows)
    definition = distributed(
        {
            "PriceBatch": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "price-invoices", "Payload.$": "$"},
                "ResultSelector": {"prices.$": "$.Payload"},
                "End": True,
            }
        },
        execution_type="EXPRESS",
        ItemReader=reader("CSV", key="december.csv", CSVHeaderLocation="FIRST_ROW"),
        ItemBatcher={"MaxItemsPerBatch": 5},
        MaxConcurrency=500,
        ToleratedFailurePercentage=50,
        ResultWriter={"Resource": PUT_OBJECT, "Parameters": {"Bucket": BUCKET, "Prefix": "results/"}},
    )
    result = run(definition, {}, cloud=cloud)
    assert result["status"] == "SUCCEEDED", result["cause"]
    manifest = read_json(s3, result["output"]["ResultWriterDetails"]["Key"])
    assert manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].startswith("results/")
    (succeeded,) = read_json(s3, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert json.loads(succeeded["Output"]) == {"prices": [1.0, 3.0, 5.0, 7.0, 9.0]}
    (failed,) = read_json(s3, manifest["ResultFiles"]["FAILED"][0]["Key"])
    assert failed["Error"] == "ValueError" and len(json.loads(failed["Input"])["Items"]) == 5
    assert go(definition)["error"] == "States.ItemReaderFailed"  # the same machine with no account


def test_stopping_the_parent_aborts_its_running_children(cloud):
    """API_StopExecution.html: stopping an execution stops the Map Run's child workflow executions."""
    definition = distributed({"W": {"Type": "Wait", "Seconds": 600, "End": True}})
    machine_arn = create(cloud, definition, sfn_role(cloud, actions=()), name="stopper")
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input="[1, 2]")["executionArn"]
    cloud.scheduler.run_for(5)
    (map_run,) = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    assert [child["status"] for child in children] == ["RUNNING", "RUNNING"]
    sfn.stop_execution(executionArn=execution_arn)
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    assert [child["status"] for child in children] == ["ABORTED", "ABORTED"]
    timed = {**definition, "TimeoutSeconds": 60}  # the parent times out: its children are stopped too
    result = go(timed, [1])
    assert result["status"] == "TIMED_OUT"
    assert result["execution"].map_runs[0]["executions"][0].status == "ABORTED"


INVALID_SETTINGS = [
    (
        {"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "FAST"}}},
        "ExecutionType",
    ),
    ({"ItemReader": {**reader("XML"), "ReaderConfig": {"InputType": "XML"}}}, "InputType"),
    ({"ItemReader": reader("CSV", CSVDelimiter="COLON")}, "CSVDelimiter"),
    ({"ItemReader": reader("CSV", CSVHeaderLocation="GIVEN")}, "CSVHeaders"),
    ({"ItemReader": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {}}}, "ItemReader Resource"),
    ({"ResultWriter": {}}, "cannot be empty"),
    ({"ResultWriter": {"Resource": PUT_OBJECT}}, "both Resource and Parameters"),
    ({"ResultWriter": {"WriterConfig": {"Transformation": "SQUASH"}}}, "Transformation"),
    ({"ResultWriter": {"WriterConfig": {"OutputType": "CSV"}}}, "OutputType"),
]


@pytest.mark.parametrize(("fields", "words"), INVALID_SETTINGS, ids=[case[1] for case in INVALID_SETTINGS])
def test_distributed_settings_outside_what_aws_lists_are_refused(fields, words):
    """state-map-distributed.html, input-output-itemreader.html, input-output-resultwriter.html: the values
    each setting takes; ResultWriter cannot be empty and needs Resource with Parameters, or a WriterConfig."""
    definition = distributed(**fields)
    if "ItemProcessor" in fields:
        definition["States"]["Map"]["ItemProcessor"] = {
            **fields["ItemProcessor"],
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": True}},
        }
    problems = validate(definition)
    assert problems and any(words in problem.message for problem in problems), problems
