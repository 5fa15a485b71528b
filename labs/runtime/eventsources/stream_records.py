"""Stream records as Lambda reads them: moto's DynamoDB Streams and Kinesis shards, and the record shapes.

``DynamoDBShard`` and ``KinesisShard`` read moto's shards by position and build the record the function
receives, in AWS's shape (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, .../with-kinesis.html):
DynamoDB's ``eventID`` / ``eventName`` / ``eventVersion`` 1.1 / ``dynamodb`` (``ApproximateCreationDateTime`` in
whole seconds, ``Keys``, ``NewImage`` / ``OldImage`` as the stream's view type says, ``SequenceNumber``,
``SizeBytes`` by DynamoDB's item size rules, ``StreamViewType``) / ``eventSourceARN``; Kinesis's ``kinesis``
(``kinesisSchemaVersion``, ``partitionKey``, ``sequenceNumber``, base64 ``data``,
``approximateArrivalTimestamp``) / ``eventID`` ``shardId:sequenceNumber`` / ``eventName`` aws:kinesis:record /
``invokeIdentityArn``. moto picks a record's Kinesis shard as Kinesis does (the MD5 of the partition key, as a
128-bit number, falls in the shard's hash key range). ``failure_record`` is the document an on-failure
destination receives for a discarded batch.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import time
import weakref
from dataclasses import dataclass

from labs.runtime.backends.clock import epoch_seconds
from labs.runtime.eventsources.filter_criteria import kinesis_view

__all__ = ["DYNAMODB_RETENTION_S", "StreamRecord", "detach_mappings", "failure_record", "shards_of", "watch"]

DYNAMODB_RETENTION_S = 24 * 3600
_traces: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # account id -> its Cloud's trace
_installed = False


@dataclass
class StreamRecord:
    """One record of a shard: ``event`` is what the function receives, ``view`` what filters see."""

    position: int
    sequence_number: str
    arrival: float  # epoch seconds on the simulated clock
    event: dict
    view: dict
    size: int
    written_by: int | None = None  # trace seq of the api_call that wrote it, when known


def _iso(epoch_s: float, millis: bool = True) -> str:
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s))
    return text + (f".{int(epoch_s * 1000) % 1000:03d}Z" if millis else "Z")


def failure_record(
    kind: str,
    mapping,
    shard_id: str,
    records: list[StreamRecord],
    condition: str,
    batch,
    request_id: str,
    now: float,
) -> dict:
    """AWS's invocation record for a discarded stream batch (``kind``: "kinesis" or "dynamodb")."""
    result = batch.last_result if batch is not None else None
    record: dict = {
        "requestContext": {
            "requestId": result.request_id if result is not None else request_id,
            "functionArn": mapping.function_arn,
            "condition": condition,
            "approximateInvokeCount": batch.attempts if batch is not None else 0,
        }
    }
    if result is not None:
        context = {"statusCode": 200, "executedVersion": result.executed_version}
        if result.function_error:
            context["functionError"] = result.function_error
        record["responseContext"] = context
    # AWS's examples: Kinesis arrival times carry milliseconds, DynamoDB's (whole seconds) do not
    millis = kind == "kinesis"
    record.update(
        version="1.0",
        timestamp=_iso(now),
        **{
            "KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0].sequence_number,
                "endSequenceNumber": records[-1].sequence_number,
                "approximateArrivalOfFirstRecord": _iso(records[0].arrival, millis),
                "approximateArrivalOfLastRecord": _iso(records[-1].arrival, millis),
                "batchSize": len(records),
                "streamArn": mapping.event_source_arn,
            }
        },
    )
    return record


class DynamoDBShard:
    """The one shard moto keeps per table stream, read as Lambda's records."""

    kind = "dynamodb"

    def __init__(self, table, stream_arn: str, region: str) -> None:
        self._items = table.stream_shard.items
        self._first = table.stream_shard.starting_sequence_number
        self.shard_id = table.stream_shard.id
        self.stream_arn, self.region = stream_arn, region
        self.retention_s = DYNAMODB_RETENTION_S

    def __len__(self) -> int:
        return len(self._items)

    def record(self, position: int) -> StreamRecord:
        source = self._items[position].record
        dynamodb = source["dynamodb"]
        arrival = epoch_seconds(dynamodb["ApproximateCreationDateTime"])  # on the simulated clock
        sequence = str(dynamodb["SequenceNumber"])
        images = {name: dynamodb[name] for name in ("Keys", "NewImage", "OldImage") if name in dynamodb}
        event = {
            # a stable id per record (AWS's are 32 hex digits): retries deliver the same eventID
            "eventID": hashlib.md5(f"{self.stream_arn}:{sequence}".encode()).hexdigest(),  # noqa: S324
            "eventName": source["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": {
                "ApproximateCreationDateTime": int(arrival),
                **images,
                "SequenceNumber": sequence,
                "SizeBytes": sum(_attributes_size(attributes) for attributes in images.values()),
                "StreamViewType": dynamodb["StreamViewType"],
            },
            "eventSourceARN": self.stream_arn,
        }
        writer = getattr(self._items[position], "labs_written_by", None)
        return StreamRecord(position, sequence, arrival, event, event, len(json.dumps(event)), writer)

    def position_at(self, timestamp: float) -> int:
        return 0


def _attributes_size(attributes: dict) -> int:
    """An item's size by DynamoDB's rules, the ones AWS's ``SizeBytes`` counts: attribute names plus values
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).

    Our own, not moto's: moto's sizes changed between releases (5.2.6 counts numbers as DynamoDB does, earlier
    releases counted their characters), and a record's size must not move with a dependency's release.
    """
    return sum(len(name.encode()) + _value_size(value) for name, value in attributes.items())


def _number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1; leading and trailing zeroes do not count."""
    mantissa = text.strip().lstrip("+-").lower().partition("e")[0].replace(".", "")
    digits = mantissa.strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def _value_size(value: dict) -> int:
    """The size of one attribute value in DynamoDB's JSON form (``{"S": ...}``, ``{"N": ...}``, ...)."""
    [(kind, inner)] = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner) if isinstance(inner, bytes) else len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in inner)
    if kind == "NS":
        return sum(_number_size(member) for member in inner)
    if kind == "BS":
        return sum(_value_size({"B": member}) for member in inner)
    if kind == "L":  # 3 bytes for the list, 1 more for each element
        return 3 + sum(1 + _value_size(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(member) for name, member in inner.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


class KinesisShard:
    """One shard of a Kinesis stream, read as Lambda's records."""

    kind = "kinesis"

    def __init__(self, stream, shard, region: str) -> None:
        self._records = shard.records  # moto numbers a shard's records 1, 2, 3...
        self.shard_id = shard.shard_id
        self.stream_arn, self.region = stream.arn, region
        self.retention_s = float(stream.retention_period_hours) * 3600

    def __len__(self) -> int:
        return len(self._records)

    def _moto_record(self, position: int):
        record = self._records.get(position + 1)
        return record if record is not None else list(self._records.values())[position]

    def record(self, position: int) -> StreamRecord:
        source = self._moto_record(position)
        sequence = str(source.sequence_number)
        kinesis = {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": source.partition_key,
            "sequenceNumber": sequence,
            "data": _base64_data(source.data),
            "approximateArrivalTimestamp": round(epoch_seconds(source.created_at), 3),
        }
        event = {
            "kinesis": kinesis,
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{self.shard_id}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "",  # the function's role, filled in when the batch is sent
            "awsRegion": self.region,
            "eventSourceARN": self.stream_arn,
        }
        size = len(json.dumps(event)) + 128  # and the role ARN filled in later
        writer = getattr(source, "labs_written_by", None)
        return StreamRecord(
            position, sequence, epoch_seconds(source.created_at), event, kinesis_view(kinesis), size, writer
        )

    def position_at(self, timestamp: float) -> int:
        arrivals = [epoch_seconds(record.created_at) for record in self._records.values()]
        return bisect.bisect_left(arrivals, timestamp)


def _base64_data(data: bytes | str) -> str:
    """A Kinesis record's data as Lambda receives it (base64 text), whatever moto's release keeps: moto 5.2.6
    keeps the producer's raw bytes, 5.2.5 and earlier the base64 text the producer's request carried."""
    return base64.b64encode(data).decode() if isinstance(data, bytes) else str(data)


def _install() -> None:
    """Patch moto once:

    - moto's UpdateItem on a missing item first puts a key-only item (an INSERT stream record) and then
      records the update as a second INSERT; DynamoDB writes one INSERT with the whole new item. An INSERT that
      directly follows an INSERT of the same key can only be that (a second write of an existing item is a
      MODIFY), so the first one is dropped.
    - a PutItem or UpdateItem that changes nothing writes no stream record (DynamoDB's developer guide,
      "Change data capture for DynamoDB Streams"); moto wrote a MODIFY.
    - each new record of an account registered with ``watch`` is stamped with the trace seq its write's
      ``api_call`` entry is about to get (the host records it right after moto answers, so it is the trace's
      length now), for causal links; the poller checks the entry is that api_call before linking to it.
    """
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import StreamShard
    from moto.kinesis.models import Stream

    original_add, original_put = StreamShard.add, Stream.put_record

    def add(shard, old, new) -> None:
        if old is not None and new is not None and old.to_json() == new.to_json():
            return  # a write that changes nothing writes no stream record on DynamoDB
        if old is None and new is not None and shard.items:
            last = shard.items[-1].record
            keys = {shard.table.hash_key_attr: new.hash_key.to_json()}
            if shard.table.range_key_attr is not None:
                keys[shard.table.range_key_attr] = new.range_key.to_json()
            if last["eventName"] == "INSERT" and last["dynamodb"]["Keys"] == keys:
                shard.items.pop()
        original_add(shard, old, new)
        _stamp(shard.account_id, shard.items[-1] if shard.items else None)

    def put_record(stream, partition_key, explicit_hash_key, data):
        sequence_number, shard_id = original_put(stream, partition_key, explicit_hash_key, data)
        _stamp(stream.account_id, stream.shards[shard_id].records.get(int(sequence_number)))
        return sequence_number, shard_id

    StreamShard.add, Stream.put_record = add, put_record
    _installed = True


def _stamp(account_id: str, record) -> None:
    trace = _traces.get(account_id)
    if trace is not None and record is not None:
        record.labs_written_by = len(trace)


def watch(account_id: str, trace) -> None:
    """Stamp records written to ``account_id``'s tables and streams with their writer's trace seq."""
    _install()
    _traces[account_id] = trace


def detach_mappings(account_id: str, region: str) -> None:
    """Stop moto from invoking functions on writes (through Docker): the stream poller owns the mappings."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    if account_id in dynamodb_backends and region in dynamodb_backends[account_id]:
        for table in dynamodb_backends[account_id][region].tables.values():
            table.lambda_event_source_mappings.clear()
    if account_id in kinesis_backends and region in kinesis_backends[account_id]:
        for stream in kinesis_backends[account_id][region].streams.values():
            stream.lambda_event_source_mappings.clear()


def shards_of(arn: str, region: str) -> list | None:
    """The shards of the stream ``arn`` names, or None when there is no such (current) stream."""
    service, account, resource = arn.split(":")[2], arn.split(":")[4], arn.split(":", 5)[-1]
    if service == "dynamodb":
        from moto.dynamodb.models import dynamodb_backends

        table_name = resource.split("/")[1] if resource.count("/") >= 3 else ""
        table = dynamodb_backends[account][region].tables.get(table_name)
        if table is None or table.stream_shard is None:
            return None
        if f"{table.table_arn}/stream/{table.latest_stream_label}" != arn:
            return None  # an older stream of the table: disabled once a new one was enabled
        return [DynamoDBShard(table, arn, region)]
    from moto.kinesis.models import kinesis_backends

    for stream in kinesis_backends[account][region].streams.values():
        if stream.arn == arn:
            return [KinesisShard(stream, shard, region) for shard in stream.shards.values()]
    return None
