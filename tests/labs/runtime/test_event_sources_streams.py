"""DynamoDB Streams and Kinesis event source mappings on the simulated clock: record shapes, ordering per shard,
retries, bisecting, partial batch responses, record age, on-failure destinations, filtering."""

import base64
import hashlib
import json
import time

import pytest
from botocore.exceptions import ClientError

from labs.runtime import Cloud

# Near the real time: CloudWatch Logs (moto) refuses log events far from it.
START = float(int(time.time()))
RECORDER = """
import json
def handler(event, context):
    print(json.dumps(event))
"""
# Fails a batch holding a Kinesis record whose data is "bad..." or a DynamoDB item whose "state" is "bad".
FAILS_ON_BAD = """
import base64, json
def bad(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).startswith(b"bad")
    return record["dynamodb"].get("NewImage", {}).get("state", {}).get("S") == "bad"
def handler(event, context):
    print(json.dumps(event))
    if any(bad(r) for r in event["Records"]):
        raise RuntimeError("cannot process this batch")
"""
REPORTS_BAD = """
import base64, json
def handler(event, context):
    print(json.dumps(event))
    return {"batchItemFailures": [
        {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
        for r in event["Records"] if base64.b64decode(r["kinesis"]["data"]).startswith(b"bad")
    ]}
"""


@pytest.fixture
def cloud():
    """Overrides conftest's account: this one starts at a known simulated time (``deploy`` uses it)."""
    with Cloud(seed=11, start_time=START) as simulated:
        yield simulated


# -- helpers ------------------------------------------------------------------------------------------------------
def make_table(cloud, name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    description = cloud.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    return description["LatestStreamArn"]


def make_stream(cloud, name: str, shards: int = 1) -> str:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def make_queue(cloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def key_for_shard(cloud, stream: str, shard_id: str, start: int = 0) -> str:
    """A partition key whose MD5 hash falls in the shard's hash key range (how Kinesis picks the shard)."""
    shards = cloud.client("kinesis").describe_stream(StreamName=stream)["StreamDescription"]["Shards"]
    [ranges] = [s["HashKeyRange"] for s in shards if s["ShardId"] == shard_id]
    for n in range(start, start + 10_000):
        value = int(hashlib.md5(f"key-{n}".encode()).hexdigest(), 16)  # noqa: S324 - Kinesis's own hash
        if int(ranges["StartingHashKey"]) <= value <= int(ranges["EndingHashKey"]):
            return f"key-{n}"
    raise AssertionError("no key found")


def put(cloud, stream: str, data: str, key: str = "k") -> dict:
    return cloud.client("kinesis").put_record(StreamName=stream, Data=data.encode(), PartitionKey=key)


def events_of(cloud, function_name: str) -> list[dict]:
    events = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function_name}")["events"]
    return [json.loads(e["message"]) for e in events if e["message"].startswith("{")]


def kinesis_batches(cloud, function_name: str) -> list[list[str]]:
    return [
        [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
        for event in events_of(cloud, function_name)
    ]


def received(cloud, url: str) -> list[dict]:
    messages = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def mapping(cloud, arn: str, name: str, **settings) -> dict:
    settings.setdefault("StartingPosition", "TRIM_HORIZON")
    return cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, **settings
    )


# -- DynamoDB Streams -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("view", "images"),
    [
        ("KEYS_ONLY", [set(), set(), set()]),
        ("NEW_IMAGE", [{"NewImage"}, {"NewImage"}, set()]),
        ("OLD_IMAGE", [set(), {"OldImage"}, {"OldImage"}]),
        ("NEW_AND_OLD_IMAGES", [{"NewImage"}, {"NewImage", "OldImage"}, {"OldImage"}]),
    ],
)
def test_each_view_type_gives_the_records_aws_sends(cloud, deploy, view, images):
    arn = make_table(cloud, "orders", view)
    name = deploy(RECORDER)
    mapping(cloud, arn, name, StartingPosition="LATEST")
    ddb = cloud.client("dynamodb")
    ddb.put_item(TableName="orders", Item={"id": {"S": "o1"}, "total": {"N": "5"}})
    ddb.update_item(
        TableName="orders",
        Key={"id": {"S": "o1"}},
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "total"},  # a reserved word in expressions
        ExpressionAttributeValues={":t": {"N": "7"}},
    )
    ddb.delete_item(TableName="orders", Key={"id": {"S": "o1"}})
    assert cloud.trace.of_kind("invocation") == []  # nothing runs until the simulation does
    cloud.run_until_idle()
    [event] = events_of(cloud, name)
    records = event["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for record, expected in zip(records, images, strict=True):
        assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1" and record["eventSourceARN"] == arn
        assert len(record["eventID"]) == 32
        stream = record["dynamodb"]
        assert stream["Keys"] == {"id": {"S": "o1"}} and stream["StreamViewType"] == view
        assert stream["ApproximateCreationDateTime"] == int(START)
        assert set(stream) & {"NewImage", "OldImage"} == expected
        # DynamoDB's size rules (CapacityUnitCalculations.html): "id" + "o1" = 4 bytes of keys; "id" + "o1" +
        # "total" + a one-digit number (1 byte per two significant digits, plus 1: 2 bytes) = 11 per image
        assert stream["SizeBytes"] == 4 + ("NewImage" in stream) * 11 + ("OldImage" in stream) * 11
    sequence_numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 3
    if view == "NEW_AND_OLD_IMAGES":
        assert records[1]["dynamodb"]["OldImage"]["total"] == {"N": "5"}
        assert records[1]["dynamodb"]["NewImage"]["total"] == {"N": "7"}


def test_an_update_that_creates_the_item_is_one_insert_with_the_whole_item(cloud, deploy):
    arn = make_table(cloud, "counters")
    name = deploy(RECORDER)
    mapping(cloud, arn, name)
    cloud.client("dynamodb").update_item(
        TableName="counters",
        Key={"id": {"S": "c"}},
        UpdateExpression="ADD hits :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    cloud.run_until_idle()
    [event] = events_of(cloud, name)
    [record] = event["Records"]
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "c"}, "hits": {"N": "1"}}


def test_a_write_that_changes_nothing_writes_no_record(cloud, deploy):
    arn = make_table(cloud, "same")
    name = deploy(RECORDER)
    mapping(cloud, arn, name)
    ddb = cloud.client("dynamodb")
    for _ in range(2):
        ddb.put_item(TableName="same", Item={"id": {"S": "x"}, "n": {"N": "1"}})
    ddb.put_item(TableName="same", Item={"id": {"S": "x"}, "n": {"N": "2"}})
    cloud.run_until_idle()
    [event] = events_of(cloud, name)
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY"]


def test_latest_starts_after_existing_records_and_trim_horizon_reads_them(cloud, deploy):
    arn = make_table(cloud, "items")
    ddb = cloud.client("dynamodb")
    ddb.put_item(TableName="items", Item={"id": {"S": "early"}})
    latest, horizon = deploy(RECORDER), deploy(RECORDER)
    mapping(cloud, arn, latest, StartingPosition="LATEST")
    mapping(cloud, arn, horizon, StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="items", Item={"id": {"S": "late"}})
    cloud.run_until_idle()

    def keys(name: str) -> list[str]:
        return [r["dynamodb"]["Keys"]["id"]["S"] for e in events_of(cloud, name) for r in e["Records"]]

    assert keys(latest) == ["late"]
    assert keys(horizon) == ["early", "late"]


def test_a_failing_ddb_batch_goes_to_an_sns_destination_after_its_retries(cloud, deploy):
    arn = make_table(cloud, "jobs")
    topic = cloud.client("sns").create_topic(Name="failed-jobs")["TopicArn"]
    url, queue_arn = make_queue(cloud, "failed-jobs-copy")
    cloud.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    allow_topic = {  # as on AWS, the queue's policy must let the topic send to it
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
    }
    cloud.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [allow_topic]})}
    )
    name = deploy(FAILS_ON_BAD, actions=["sns:Publish"])
    mapping(
        cloud,
        arn,
        name,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": topic}},
    )
    cloud.client("dynamodb").put_item(TableName="jobs", Item={"id": {"S": "j1"}, "state": {"S": "bad"}})
    cloud.run_until_idle()
    assert len(cloud.trace.of_kind("invocation")) == 2
    [record] = received(cloud, url)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    info = record["DDBStreamBatchInfo"]
    assert info["streamArn"] == arn and info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["approximateArrivalOfFirstRecord"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START))


# -- Kinesis ------------------------------------------------------------------------------------------------------
def test_kinesis_records_have_aws_shape_and_go_to_the_shard_their_key_hashes_to(cloud, deploy):
    arn = make_stream(cloud, "clicks", shards=4)
    name = deploy(RECORDER)
    mapping(cloud, arn, name)
    shards = cloud.client("kinesis").describe_stream(StreamName="clicks")["StreamDescription"]["Shards"]
    placed = {}
    for n in range(12):
        key = f"user-{n}"
        answer = put(cloud, "clicks", json.dumps({"n": n}), key)
        value = int(hashlib.md5(key.encode()).hexdigest(), 16)  # noqa: S324 - Kinesis's own hash
        [expected] = [
            s["ShardId"]
            for s in shards
            if int(s["HashKeyRange"]["StartingHashKey"]) <= value <= int(s["HashKeyRange"]["EndingHashKey"])
        ]
        assert answer["ShardId"] == expected
        placed[key] = (expected, answer["SequenceNumber"])
    cloud.run_until_idle()
    records = [r for event in events_of(cloud, name) for r in event["Records"]]
    assert len(records) == 12
    role = cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["Role"]
    for record in records:
        kinesis = record["kinesis"]
        shard, sequence = placed[kinesis["partitionKey"]]
        assert record["eventID"] == f"{shard}:{sequence}" and kinesis["sequenceNumber"] == sequence
        assert kinesis["kinesisSchemaVersion"] == "1.0"
        assert kinesis["approximateArrivalTimestamp"] == START
        assert json.loads(base64.b64decode(kinesis["data"])) == {"n": int(kinesis["partitionKey"][5:])}
        assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
        assert record["eventVersion"] == "1.0" and record["invokeIdentityArn"] == role
        assert record["awsRegion"] == "us-east-1" and record["eventSourceARN"] == arn


def test_batches_hold_one_shard_each_and_keep_its_order(cloud, deploy):
    arn = make_stream(cloud, "ticks", shards=2)
    name = deploy(RECORDER)
    mapping(cloud, arn, name, BatchSize=3)
    keys = [key_for_shard(cloud, "ticks", f"shardId-00000000000{i}") for i in (0, 1)]
    for n in range(10):
        put(cloud, "ticks", f"{n % 2}:{n}", keys[n % 2])
    cloud.run_until_idle()
    batches = events_of(cloud, name)
    assert all(len(batch["Records"]) <= 3 for batch in batches)
    per_shard: dict[str, list[str]] = {}
    for batch in batches:
        assert len({r["eventID"].split(":")[0] for r in batch["Records"]}) == 1  # one shard per batch
        for record in batch["Records"]:
            shard = record["eventID"].split(":")[0]
            per_shard.setdefault(shard, []).append(base64.b64decode(record["kinesis"]["data"]).decode())
    assert per_shard == {
        "shardId-000000000000": ["0:0", "0:2", "0:4", "0:6", "0:8"],
        "shardId-000000000001": ["1:1", "1:3", "1:5", "1:7", "1:9"],
    }


def test_a_failing_batch_blocks_only_its_shard_and_is_retried_until_it_succeeds(cloud, deploy, zip_files):
    arn = make_stream(cloud, "pay", shards=2)
    name = deploy(FAILS_ON_BAD)
    mapping(cloud, arn, name, BatchSize=1)
    first, second = (key_for_shard(cloud, "pay", f"shardId-00000000000{i}") for i in (0, 1))
    put(cloud, "pay", "bad-1", first)
    put(cloud, "pay", "after-bad", first)
    put(cloud, "pay", "other-shard", second)
    cloud.run_for(10)
    batches = kinesis_batches(cloud, name)
    assert batches.count(["bad-1"]) == 4  # at 0, 1, 3 and 7 s: the retry interval doubles
    assert ["other-shard"] in batches and ["after-bad"] not in batches  # the shard waits, the other goes on
    times = [e["time"] - START for e in cloud.trace.of_kind("stream_batch") if e["shard_id"].endswith("0")]
    assert times == [0, 1, 3, 7]
    fixed = RECORDER.replace("print(json.dumps(event))", "print(json.dumps(event)); return None")
    cloud.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_files({"app.py": fixed}))
    cloud.run_until_idle()
    batches = kinesis_batches(cloud, name)
    assert batches[-2:] == [["bad-1"], ["after-bad"]]
    assert cloud.trace.of_kind("stream_batch")[-2]["time"] == START + 15
    assert cloud.trace.of_kind("stream_discarded") == []


def test_retries_exhausted_sends_aws_failure_record_and_the_shard_moves_on(cloud, deploy):
    arn = make_stream(cloud, "orders")
    url, queue_arn = make_queue(cloud, "orders-failures")
    name = deploy(FAILS_ON_BAD, actions=["sqs:SendMessage"])
    mapping(
        cloud,
        arn,
        name,
        BatchSize=10,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    first = put(cloud, "orders", "good-1")
    put(cloud, "orders", "bad-2")
    last = put(cloud, "orders", "good-3")
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["good-1", "bad-2", "good-3"]] * 3
    attempts = cloud.trace.of_kind("stream_batch")
    assert cloud.trace[attempts[0]["cause"]]["operation"] == "PutRecord"  # the write of the first record
    assert [a["cause"] for a in attempts[1:]] == [a["seq"] for a in attempts[:-1]]  # each retry: its attempt
    assert [a["retries"] for a in attempts] == [0, 1, 2]
    [record] = received(cloud, url)
    function_arn = cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == function_arn
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["KinesisBatchInfo"] == {
        "shardId": first["ShardId"],
        "startSequenceNumber": first["SequenceNumber"],
        "endSequenceNumber": last["SequenceNumber"],
        "approximateArrivalOfFirstRecord": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(START)),
        "approximateArrivalOfLastRecord": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(START)),
        "batchSize": 3,
        "streamArn": arn,
    }
    put(cloud, "orders", "good-4")  # the shard is no longer blocked
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name)[-1] == ["good-4"]


def test_a_role_that_may_not_send_loses_the_failure_record_and_says_so(cloud, deploy):
    arn = make_stream(cloud, "quiet")
    url, queue_arn = make_queue(cloud, "quiet-failures")
    name = deploy(FAILS_ON_BAD)
    mapping(
        cloud, arn, name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    put(cloud, "quiet", "bad")
    cloud.run_until_idle()
    assert received(cloud, url) == []
    [failed] = cloud.trace.of_kind("destination_failed")
    assert "sqs:SendMessage" in failed["error"]
    assert cloud.trace[failed["cause"]]["kind"] == "stream_discarded"


def test_bisecting_isolates_the_bad_record_without_spending_retries(cloud, deploy):
    arn = make_stream(cloud, "split")
    url, queue_arn = make_queue(cloud, "split-failures")
    name = deploy(FAILS_ON_BAD, actions=["sqs:SendMessage"])
    mapping(
        cloud,
        arn,
        name,
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    bad = None
    for data in ("r0", "r1", "bad-r2", "r3"):
        answer = put(cloud, "split", data)
        bad = answer if data.startswith("bad") else bad
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [
        ["r0", "r1", "bad-r2", "r3"],
        ["r0", "r1"],
        ["bad-r2", "r3"],
        ["bad-r2"],
        ["r3"],
    ]
    [record] = received(cloud, url)
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == bad["SequenceNumber"]
    assert record["requestContext"]["approximateInvokeCount"] == 1
    outcomes = [e["outcome"] for e in cloud.trace.of_kind("stream_batch_result")]
    assert outcomes == ["bisected", "success", "bisected", "function_error", "success"]


def test_partial_batch_response_checkpoints_at_the_lowest_failed_record(cloud, deploy):
    arn = make_stream(cloud, "partial")
    url, queue_arn = make_queue(cloud, "partial-failures")
    name = deploy(REPORTS_BAD, actions=["sqs:SendMessage"])
    mapping(
        cloud,
        arn,
        name,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    answers = [put(cloud, "partial", data) for data in ("ok-0", "ok-1", "bad-2", "ok-3", "bad-4")]
    cloud.run_until_idle()
    # bad-4 is reported too, but the checkpoint is the lowest one: the retry starts at bad-2
    assert kinesis_batches(cloud, name) == [
        ["ok-0", "ok-1", "bad-2", "ok-3", "bad-4"],
        ["bad-2", "ok-3", "bad-4"],
    ]
    [record] = received(cloud, url)
    info = record["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == answers[2]["SequenceNumber"]
    assert info["endSequenceNumber"] == answers[4]["SequenceNumber"] and info["batchSize"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}  # no function error


@pytest.mark.parametrize(
    "answer",
    [
        "{'batchItemFailures': [{'itemIdentifier': 'no-such-sequence-number'}]}",
        "{'batchItemFailures': [{'itemIdentifier': ''}]}",
        "{'batchItemFailures': [{'itemId': '1'}]}",
    ],
)
def test_a_malformed_partial_batch_response_fails_the_whole_batch(cloud, deploy, answer):
    arn = make_stream(cloud, "odd")
    name = deploy(
        f"import json\ndef handler(event, context):\n    print(json.dumps(event))\n    return {answer}\n"
    )
    mapping(cloud, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=1)
    put(cloud, "odd", "a")
    put(cloud, "odd", "b")
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["a", "b"], ["a", "b"]]
    assert cloud.trace.of_kind("stream_discarded")[0]["condition"] == "RetryAttemptsExhausted"


@pytest.mark.parametrize("answer", ["{'batchItemFailures': []}", "{'batchItemFailures': None}", "None", "{}"])
def test_empty_or_null_partial_batch_responses_are_success(cloud, deploy, answer):
    arn = make_stream(cloud, "fine")
    name = deploy(f"def handler(event, context):\n    return {answer}\n")
    mapping(cloud, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"])
    put(cloud, "fine", "a")
    cloud.run_until_idle()
    assert [e["outcome"] for e in cloud.trace.of_kind("stream_batch_result")] == ["success"]


def test_records_older_than_the_maximum_age_are_discarded(cloud, deploy):
    arn = make_stream(cloud, "aging")
    url, queue_arn = make_queue(cloud, "aging-failures")
    name = deploy(FAILS_ON_BAD, actions=["sqs:SendMessage"])
    mapping(
        cloud,
        arn,
        name,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    put(cloud, "aging", "bad-forever")
    cloud.run_until_idle()
    times = [e["time"] - START for e in cloud.trace.of_kind("stream_batch")]
    assert times == [0, 1, 3, 7, 15, 31]  # retried until the record is over 60 s old (the next try: 63 s)
    [record] = received(cloud, url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 6
    assert cloud.trace.of_kind("stream_discarded")[0]["time"] == START + 63


def test_a_throttled_function_is_never_invoked_and_its_records_age_out(cloud, deploy):
    arn = make_stream(cloud, "throttled")
    url, queue_arn = make_queue(cloud, "throttled-failures")
    name = deploy(RECORDER, actions=["sqs:SendMessage"])
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    mapping(
        cloud,
        arn,
        name,
        MaximumRetryAttempts=0,  # throttles do not count as retries
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    put(cloud, "throttled", "x")
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == [] and len(cloud.trace.of_kind("throttle")) == 6
    [record] = received(cloud, url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0 and "responseContext" not in record


def test_records_past_the_retention_period_are_never_read(cloud, deploy):
    arn = make_stream(cloud, "old")
    put(cloud, "old", "yesterday")
    cloud.run_for(24 * 3600 + 1)
    name = deploy(RECORDER)
    mapping(cloud, arn, name)
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == []
    [skipped] = cloud.trace.of_kind("stream_records_skipped")
    assert skipped["expired"] == 1 and skipped["filtered_out"] == 0


def test_the_batching_window_waits_for_a_full_batch(cloud, deploy):
    arn = make_stream(cloud, "windowed")
    name = deploy(RECORDER)
    mapping(cloud, arn, name, BatchSize=3, MaximumBatchingWindowInSeconds=20)
    put(cloud, "windowed", "a")
    cloud.run_for(10)
    assert cloud.trace.of_kind("invocation") == []
    put(cloud, "windowed", "b")
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["a", "b"]]
    assert cloud.trace.of_kind("invocation")[0]["time"] == START + 20
    for data in ("c", "d", "e"):  # a full batch goes at once
        put(cloud, "windowed", data)
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name)[1] == ["c", "d", "e"]
    assert cloud.trace.of_kind("invocation")[1]["time"] == START + 20


def test_at_timestamp_starts_at_the_first_record_that_arrived_then(cloud, deploy):
    arn = make_stream(cloud, "history")
    put(cloud, "history", "old")
    cloud.run_for(100)
    put(cloud, "history", "new")
    name = deploy(RECORDER)
    mapping(cloud, arn, name, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=START + 50)
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["new"]]


def test_moto_is_detached_so_writes_never_try_docker(cloud, deploy):
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    table_arn, stream_arn = make_table(cloud, "t"), make_stream(cloud, "s")
    name = deploy(RECORDER)
    mapping(cloud, table_arn, name)
    mapping(cloud, stream_arn, name)
    table = dynamodb_backends[cloud.account_id][cloud.region].tables["t"]
    [stream] = kinesis_backends[cloud.account_id][cloud.region].streams.values()
    assert table.lambda_event_source_mappings == {} and stream.lambda_event_source_mappings == {}
    assert len(cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]) == 2


def test_a_deleted_mapping_stops_reading(cloud, deploy):
    arn = make_stream(cloud, "gone")
    name = deploy(RECORDER)
    uuid = mapping(cloud, arn, name)["UUID"]
    put(cloud, "gone", "first")
    cloud.run_until_idle()
    cloud.client("lambda").delete_event_source_mapping(UUID=uuid)
    put(cloud, "gone", "second")
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["first"]]


def test_a_disabled_mapping_keeps_its_place(cloud, deploy):
    arn = make_stream(cloud, "paused")
    name = deploy(RECORDER)
    uuid = mapping(cloud, arn, name, StartingPosition="LATEST", Enabled=False)["UUID"]
    put(cloud, "paused", "while-disabled")
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == []
    cloud.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [["while-disabled"]]


PRODUCER = """
import boto3
def handler(event, context):
    kinesis = boto3.client("kinesis")
    try:
        return kinesis.put_record(StreamName="events", Data=event["data"].encode(), PartitionKey="p")["ShardId"]
    except kinesis.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
"""


def test_a_handler_puts_records_with_its_role(cloud, deploy, invoke):
    arn = make_stream(cloud, "events")
    allowed = deploy(PRODUCER, policy=[{"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": arn}])
    denied = deploy(PRODUCER, actions=["kinesis:DescribeStream"])
    consumer = deploy(RECORDER)
    mapping(cloud, arn, consumer)
    assert invoke(allowed, {"data": "from a function"})[1] == "shardId-000000000000"
    assert invoke(denied, {"data": "never written"})[1] == "AccessDeniedException"
    cloud.run_until_idle()
    assert kinesis_batches(cloud, consumer) == [["from a function"]]
    [put_call] = [
        e for e in cloud.trace.of_kind("api_call") if e["operation"] == "PutRecord" and e["status"] == 200
    ]
    assert cloud.trace.of_kind("stream_batch")[0]["cause"] == put_call["seq"]


# -- filtering ------------------------------------------------------------------------------------------------------
def test_kinesis_filters_look_at_decoded_json_data(cloud, deploy):
    arn = make_stream(cloud, "readings")
    name = deploy(RECORDER)
    pattern = {"data": {"temperature": [{"numeric": [">", 30]}]}}
    mapping(cloud, arn, name, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    for data in ('{"temperature": 35}', '{"temperature": 20}', "not json at all", '{"temperature": 31}'):
        put(cloud, "readings", data)
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [['{"temperature": 35}', '{"temperature": 31}']]
    [batch] = cloud.trace.of_kind("stream_batch")
    assert batch["filtered_out"] == 2
    assert cloud.trace.of_kind("stream_records_skipped")[0]["filtered_out"] == 2


def test_kinesis_records_matching_no_filter_are_skipped_without_invoking(cloud, deploy):
    arn = make_stream(cloud, "none-match")
    name = deploy(RECORDER)
    filters = [{"Pattern": json.dumps({"data": {"kind": [k]}})} for k in ("a", "b")]  # ORed
    mapping(cloud, arn, name, FilterCriteria={"Filters": filters})
    put(cloud, "none-match", '{"kind": "c"}')
    cloud.run_until_idle()
    assert cloud.trace.of_kind("invocation") == []
    put(cloud, "none-match", '{"kind": "b"}')  # the iterator moved past the skipped record
    cloud.run_until_idle()
    assert kinesis_batches(cloud, name) == [['{"kind": "b"}']]


def test_dynamodb_filters_see_the_event_name_and_images(cloud, deploy):
    arn = make_table(cloud, "accounts")
    name = deploy(RECORDER)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"tier": {"S": ["gold"]}}}}
    mapping(cloud, arn, name, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    ddb = cloud.client("dynamodb")
    ddb.put_item(TableName="accounts", Item={"id": {"S": "a"}, "tier": {"S": "gold"}})
    ddb.put_item(TableName="accounts", Item={"id": {"S": "b"}, "tier": {"S": "silver"}})
    ddb.put_item(
        TableName="accounts", Item={"id": {"S": "a"}, "tier": {"S": "gold"}, "n": {"N": "2"}}
    )  # MODIFY
    ddb.delete_item(TableName="accounts", Key={"id": {"S": "a"}})
    cloud.run_until_idle()
    [event] = events_of(cloud, name)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in event["Records"]] == [("INSERT", "a")]


@pytest.mark.parametrize(
    ("arn_kind", "criteria", "problem"),
    [
        ("kinesis", {"Filters": [{"Pattern": "{not json"}]}, "not valid JSON"),
        ("kinesis", {"Filters": [{"Pattern": json.dumps({"data": {"x": "bare"}})}]}, "$.data.x"),
        ("kinesis", {"Filters": [{"Pattern": json.dumps({"data": ["plain"]})}]}, "JSON object pattern"),
        (
            "dynamodb",
            {"Filters": [{"Pattern": json.dumps({"dynamodb": {"n": [{"numeric": ["<>", 1]}]}})}]},
            "<>",
        ),
        ("dynamodb", {"Filters": [{"Pattern": json.dumps({"a": [1]})}] * 6}, "at most 5"),
        ("dynamodb", {"Filters": [{"Pattern": "  "}]}, "Filters[0].Pattern must be a JSON string"),
    ],
)
def test_an_invalid_filter_is_refused_when_the_mapping_is_created(cloud, deploy, arn_kind, criteria, problem):
    arn = make_stream(cloud, "s") if arn_kind == "kinesis" else make_table(cloud, "t")
    name = deploy(RECORDER)
    with pytest.raises(ClientError) as raised:
        mapping(cloud, arn, name, FilterCriteria=criteria)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith("Invalid filter pattern definition.") and problem in error["Message"]
    assert cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


def test_an_invalid_filter_is_refused_on_update_too(cloud, deploy):
    arn = make_stream(cloud, "s")
    name = deploy(RECORDER)
    uuid = mapping(cloud, arn, name)["UUID"]
    with pytest.raises(ClientError, match="Invalid filter pattern definition"):
        cloud.client("lambda").update_event_source_mapping(
            UUID=uuid, FilterCriteria={"Filters": [{"Pattern": '{"data": {"a": [{"prefix": 5}]}}'}]}
        )


@pytest.mark.parametrize(
    ("settings", "code", "text"),
    [
        ({"StartingPosition": None}, "InvalidParameterValueException", "StartingPosition is required"),
        ({"StartingPosition": "AT_TIMESTAMP"}, "InvalidParameterValueException", "not valid for a dynamodb"),
        ({"MaximumRetryAttempts": 10001}, "ValidationException", "less than or equal to 10000"),
        ({"MaximumRecordAgeInSeconds": 30}, "InvalidParameterValueException", "between 60 and 604800"),
        ({"TumblingWindowInSeconds": 60}, "InvalidParameterValueException", "not simulated"),
    ],
)
def test_stream_settings_aws_refuses_are_refused(cloud, deploy, settings, code, text):
    arn = make_table(cloud, "t")
    name = deploy(RECORDER)
    request = {"EventSourceArn": arn, "FunctionName": name, "StartingPosition": "LATEST", **settings}
    request = {k: v for k, v in request.items() if v is not None}
    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").create_event_source_mapping(**request)
    assert (
        raised.value.response["Error"]["Code"] == code and text in raised.value.response["Error"]["Message"]
    )


# -- a design, end to end -----------------------------------------------------------------------------------------
AGGREGATOR = """
import base64, json, boto3
table = boto3.resource("dynamodb").Table("device-totals")
def handler(event, context):
    for record in event["Records"]:
        reading = json.loads(base64.b64decode(record["kinesis"]["data"]))
        item = table.update_item(
            Key={"device": reading["device"]},
            UpdateExpression="ADD #total :v, readings :one",
            ExpressionAttributeNames={"#total": "total"},
            ExpressionAttributeValues={":v": reading["value"], ":one": 1},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        if item["total"] > 100 and not item.get("alert"):
            table.update_item(Key={"device": reading["device"]}, UpdateExpression="SET alert = :t",
                              ExpressionAttributeValues={":t": True})
"""
ALERTER = """
import json, os, boto3
sqs = boto3.client("sqs")
def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        sqs.send_message(QueueUrl=os.environ["ALERTS"], MessageBody=json.dumps(
            {"device": image["device"]["S"], "total": int(image["total"]["N"])}))
"""
# The alert flag turns true: numbers in DynamoDB records are strings ({"N": "120"}), which EventBridge's
# "numeric" operator never matches, so designs filter on a flag the writer sets.
ALERT_RAISED = {
    "eventName": ["MODIFY"],
    "dynamodb": {
        "NewImage": {"alert": {"BOOL": [True]}},
        "OldImage": {"alert": {"BOOL": [{"exists": False}]}},
    },
}


def test_real_time_streaming_kinesis_to_lambda_to_dynamodb_with_a_filtered_alert(cloud, deploy):
    """Sensors -> Kinesis (2 shards) -> aggregator Lambda -> DynamoDB table -> stream (filtered: the alert flag
    turning true) -> alerter Lambda -> SQS. Handlers run in the sandbox and call DynamoDB/SQS with their roles."""
    stream_arn = make_stream(cloud, "readings", shards=2)
    table_arn = cloud.client("dynamodb").create_table(
        TableName="device-totals",
        KeySchema=[{"AttributeName": "device", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "device", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    alerts_url, _ = make_queue(cloud, "alerts")
    aggregator = deploy(AGGREGATOR, actions=["dynamodb:UpdateItem"])
    readings = [("pump-1", 40), ("fan-2", 5), ("pump-1", 50), ("fan-2", 7), ("pump-1", 30), ("pump-1", 9)]
    alerter = deploy(ALERTER, actions=["sqs:SendMessage"], Environment={"Variables": {"ALERTS": alerts_url}})
    mapping(cloud, stream_arn, aggregator, StartingPosition="LATEST", BatchSize=5)
    mapping(
        cloud,
        table_arn,
        alerter,
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(ALERT_RAISED)}]},
    )
    for device, value in readings:
        put(cloud, "readings", json.dumps({"device": device, "value": value}), device)
    cloud.run_until_idle()
    totals = {
        item["device"]["S"]: (int(item["total"]["N"]), int(item["readings"]["N"]))
        for item in cloud.client("dynamodb").scan(TableName="device-totals")["Items"]
    }
    assert totals == {"pump-1": (129, 4), "fan-2": (12, 2)}
    assert received(cloud, alerts_url) == [{"device": "pump-1", "total": 120}]  # once, when it crossed 100
    denied = [e for e in cloud.trace.of_kind("api_call") if e["status"] >= 400]
    assert denied == []
    # the trace links the alert back to the reading that caused it: alert batch <- UpdateItem <- invocation
    # <- Kinesis batch <- PutRecord
    [alert_batch] = [e for e in cloud.trace.of_kind("stream_batch") if e["event_source_arn"] == table_arn]
    assert alert_batch["filtered_out"] >= 1
    chain, entry = [], alert_batch
    while entry["cause"] is not None:
        entry = cloud.trace[entry["cause"]]
        chain.append((entry["kind"], entry.get("operation")))
    assert chain == [
        ("api_call", "UpdateItem"),
        ("invocation", None),
        ("stream_batch", None),
        ("api_call", "PutRecord"),
    ]


# services-kinesis-parameters.html: MaximumRetryAttempts -1 (the default) "means infinite: failed records are
# retried until the record expires", and MaximumRecordAgeInSeconds -1 leaves the stream's retention to apply.
def test_unlimited_retries_of_a_throttled_batch_end_at_the_retention_period(cloud, deploy):
    arn = make_stream(cloud, "forever")
    url, queue_arn = make_queue(cloud, "forever-failures")
    name = deploy(RECORDER, actions=["sqs:SendMessage"])
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    mapping(cloud, arn, name, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    put(cloud, "forever", "x")
    cloud.run_until_idle()
    retries = cloud.trace.of_kind("stream_retry_scheduled")
    assert len(retries) > 1024  # past the point where an uncapped 2 ** n back-off overflowed
    assert max(r["delay_s"] for r in retries) == 60.0
    assert retries[-1]["time"] - retries[0]["time"] <= 24 * 3600
    [record] = received(cloud, url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"


def test_unlimited_retries_of_a_failing_function_end_at_the_retention_period(cloud, deploy):
    arn = make_stream(cloud, "always-failing")
    url, queue_arn = make_queue(cloud, "always-failing-failures")
    name = deploy("def handler(event, context):\n    raise RuntimeError('no')\n", actions=["sqs:SendMessage"])
    mapping(cloud, arn, name, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    put(cloud, "always-failing", "x")
    cloud.run_until_idle()
    results = cloud.trace.of_kind("stream_batch_result")
    assert len(results) > 1024 and {r["outcome"] for r in results} == {"function_error"}
    [record] = received(cloud, url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == len(results)
