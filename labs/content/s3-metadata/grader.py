"""Upload metadata: the student's function gets S3 event notifications (built here, shaped like the runtime's
sample ``s3 put`` event) and records each object in the ``uploads`` table. Graded by invoking it and reading
the table back, on the host."""

import copy
import urllib.parse

from labs.grading.checks import check
from labs.runtime.events import generate_event

FUNCTION = "upload-metadata"
TABLE = "uploads"
BUCKET = "lab-uploads"


def setup(lab):
    lab.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "bucket", "KeyType": "HASH"},
            {"AttributeName": "key", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "bucket", "AttributeType": "S"},
            {"AttributeName": "key", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    lab.deploy_function(
        FUNCTION,
        handler="app.lambda_handler",
        actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"],
        environment={"TABLE_NAME": TABLE},
    )


# -- events and the table ------------------------------------------------------------------------------------
def encoded(key: str) -> str:
    """The key as S3 writes it into an event: URL-encoded, spaces as '+', slashes kept."""
    return urllib.parse.quote_plus(key, safe="/")


def record(
    key: str, *, size: int = 1024, etag: str = "0" * 32, sequencer: str = "0A1B2C3D4E5F678901"
) -> dict:
    """One ObjectCreated:Put record for ``key`` (given decoded; the event carries it encoded)."""
    template = copy.deepcopy(generate_event("s3", "put")["Records"][0])
    template["s3"]["bucket"].update(name=BUCKET, arn=f"arn:aws:s3:::{BUCKET}")
    template["s3"]["object"].update(key=encoded(key), size=size, eTag=etag, sequencer=sequencer)
    return template


def deliver(lab, *records: dict):
    event = {"Records": list(records)}
    result = lab.invoke(FUNCTION, event)
    keys = ", ".join(repr(r["s3"]["object"]["key"]) for r in records)
    lab.require(
        result.ok,
        f"Delivering an event with the key(s) {keys} failed with {result.error}. S3 invokes asynchronously: "
        "an error makes Lambda retry the whole event twice more and then drop it. Read the function's logs.",
    )
    return result


def stored(lab, key: str) -> dict | None:
    item = lab.client("dynamodb").get_item(
        TableName=TABLE, Key={"bucket": {"S": BUCKET}, "key": {"S": key}}, ConsistentRead=True
    )
    return item.get("Item")


def stored_keys(lab) -> list[str]:
    items = lab.client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(item["key"]["S"] for item in items if "key" in item)


def require_stored(lab, key: str, event_key: str | None = None) -> dict:
    item = stored(lab, key)
    if item is None:
        seen = ", ".join(repr(k) for k in stored_keys(lab)[-6:]) or "nothing"
        where = f" (the event carried it as {event_key!r})" if event_key and event_key != key else ""
        lab.require(
            False, f"No item for the object key {key!r}{where} in the {TABLE} table; it holds {seen}."
        )
    return item


def require_decoded(lab, keys: list[str]) -> None:
    deliver(lab, *[record(key) for key in keys])
    for key in keys:
        require_stored(lab, key, encoded(key))


def etag_of(item: dict) -> str | None:
    return (item.get("etag") or {}).get("S")


# -- checks --------------------------------------------------------------------------------------------------
@check("stores_upload_metadata", "Stores bucket, key, size and ETag of an uploaded object", points=3)
def stores_upload_metadata(lab):
    deliver(lab, record("reports/march.csv", size=2048, etag="9b2cf535f27731c974343645a3985328"))
    item = require_stored(lab, "reports/march.csv")
    size = item.get("size", {})
    lab.require(
        size.get("N") == "2048",
        f"The item's size is {size or 'missing'}; store the event's s3.object.size as a number (2048).",
    )
    lab.require(
        etag_of(item) == "9b2cf535f27731c974343645a3985328",
        f"The item's etag is {item.get('etag') or 'missing'}; store s3.object.eTag as a string named 'etag'.",
    )


@check("decodes_spaces", "Decodes keys whose spaces arrive as '+'", points=2)
def decodes_spaces(lab):
    require_decoded(lab, ["photos/summer party 2026.jpg"])


@check("processes_every_record", "Stores every record of an event", points=2)
def processes_every_record(lab):
    keys = ["batch/one.txt", "batch/two.txt", "batch/three.txt"]
    deliver(lab, *[record(key) for key in keys])
    missing = [key for key in keys if stored(lab, key) is None]
    lab.require(
        not missing,
        f"One event carried 3 records; {len(missing)} of them are missing from the table ({', '.join(missing)}). "
        "Loop over event['Records']: S3 may put several records in one event.",
    )


@check("ignores_redelivery", "A redelivered older event neither fails nor overwrites newer data", points=3)
def ignores_redelivery(lab):
    key = "docs/contract.pdf"
    first = record(key, size=100, etag="a" * 32, sequencer="0055AED6DCD90281E5")
    second = record(key, size=200, etag="b" * 32, sequencer="0055AED6DCD90281E6")
    deliver(lab, first)
    deliver(lab, second)
    lab.require(
        etag_of(require_stored(lab, key)) == "b" * 32,
        "After the event for version 2 of an object the table still holds version 1: a newer event (greater "
        "sequencer) must replace the stored item.",
    )
    deliver(lab, first)  # delivered again, late: at-least-once delivery does this
    item = require_stored(lab, key)
    lab.require(
        etag_of(item) == "b" * 32,
        f"After the events for version 1, version 2 and version 1 again, the table holds etag {etag_of(item)!r}: "
        "the late copy overwrote newer data. Keep the event's sequencer with the item and write only when the "
        "event's sequencer is greater (a conditional put), treating a failed condition as 'already done'.",
    )


@check("decodes_special_characters", "Decodes '+' signs and non-ASCII characters in keys", points=2)
def decodes_special_characters(lab):
    require_decoded(lab, ["notes/c++ tips.md", "menus/café crème.txt", "1+1=2.txt"])


@check("keeps_the_newest_version", "Keeps the newest version when events arrive out of order", points=2)
def keeps_the_newest_version(lab):
    key = "data/export.json"
    # the newer event arrives first, and its sequencer is longer: compare padded values, not raw strings
    newer = record(key, size=20, etag="d" * 32, sequencer="0100")
    older = record(key, size=10, etag="c" * 32, sequencer="FF")
    deliver(lab, newer)
    deliver(lab, older)
    item = require_stored(lab, key)
    lab.require(
        etag_of(item) == "d" * 32,
        f"The newer event (sequencer 0100) arrived before the older one (sequencer FF), and the table ends with "
        f"etag {etag_of(item)!r}. Sequencers differ in length: left-pad them with zeros to one width before "
        "comparing.",
    )


@check("decodes_unseen_keys", "Decodes any URL-encoded key", points=2)
def decodes_unseen_keys(lab):
    require_decoded(
        lab, ["写真/東京 タワー.jpg", "100% done & dusted.txt", "a=b?c#d.csv", "emoji/🚀 launch.png"]
    )


@check("a_failed_write_fails_the_event", "A write that fails for another reason fails the event", points=2)
def a_failed_write_fails_the_event(lab):
    key = "reports/q3.pdf"
    lab.cloud.faults.service_error(
        "dynamodb",
        "PutItem",
        code="AccessDeniedException",
        message="Injected failure: the table refused the write",
        status=400,
    )
    result = lab.invoke(FUNCTION, {"Records": [record(key)]})
    lab.require(
        not result.ok,
        "The table refused the write of an upload (AccessDeniedException) and the function still succeeded, so "
        "S3's event was never retried and the upload is missing from the index. Only "
        "ConditionalCheckFailedException means 'nothing to do': re-raise every other error.",
    )
    deliver(lab, record(key))  # Lambda's retry of the same event
    require_stored(lab, key)
