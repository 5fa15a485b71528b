"""Photo processing: the student's state machine gets S3's "Object Created" events (as EventBridge delivers
them) for a photo, a text file named like a photo, a PDF, and (hidden) photos with other extensions. The
grader reads what the workflow left behind: the DynamoDB item, the thumbnail in S3, the SNS notifications
(through an SQS queue subscribed to the topic) and the execution's history."""

import json
import re

from labs.grading.checks import CheckFailed, check

FILE = "photo-workflow.json"
TABLE = "photos"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1))
OBJECTS = {
    "uploads/cat-on-beach.jpg": JPEG,
    "uploads/notes.jpg": b"Shopping list: milk, eggs. Not a photo at all.",
    "uploads/report.pdf": b"%PDF-1.7\n% a report, not a photo\n",
    "holidays/dog-in-car.png": PNG,
    "2026/mountain-food.jpeg": JPEG[:40] + b"mountain",
}

# The thumbnail function already exists in the student's account (trusted code, written here). It copies
# the first bytes of the photo: the lab is about the workflow, not about resizing images.
THUMBNAIL = """
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    if not isinstance(event, dict) or "bucket" not in event or "key" not in event:
        raise ValueError(f"photo-thumbnail needs {{'bucket': ..., 'key': ...}}, got {event!r}"[:300])
    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    thumbnail = "thumbnails/" + event["key"].rsplit("/", 1)[-1]
    s3.put_object(Bucket=event["bucket"], Key=thumbnail, Body=body[:128])
    return {"thumbnail": thumbnail}
"""


def setup(lab):
    lab.bucket = f"photos-{lab.cloud.account_id}"
    s3 = lab.client("s3")
    s3.create_bucket(Bucket=lab.bucket)
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=lab.bucket, Key=key, Body=body)
    lab.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sns, sqs = lab.client("sns"), lab.client("sqs")
    topic = sns.create_topic(Name="photo-events")["TopicArn"]
    lab.queue_url = sqs.create_queue(QueueName="photo-events-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=lab.queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    allow_topic = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
    }
    sqs.set_queue_attributes(
        QueueUrl=lab.queue_url, Attributes={"Policy": json.dumps({"Statement": [allow_topic]})}
    )
    lab.notifications = []
    lab.deploy_function(
        "photo-thumbnail",
        handler="thumbnail.handler",
        files={"thumbnail.py": THUMBNAIL},
        actions=["s3:GetObject", "s3:PutObject"],
    )
    lab.machine_role = lab.role(
        [
            "lambda:InvokeFunction",
            "rekognition:DetectLabels",
            "s3:GetObject",
            "dynamodb:PutItem",
            "sns:Publish",
        ],
        service="states",
    )
    lab.definition = _definition(lab, {"PhotoTopicArn": topic})


def _definition(lab, extra: dict) -> str:
    """The student's ASL with ${...} placeholders substituted, as SAM's DefinitionSubstitutions do."""
    text = lab.files[FILE]
    lab.json_file(FILE)  # a syntax error fails every check with its line and column
    values = {"AccountId": lab.cloud.account_id, "Region": lab.cloud.region, **extra}
    unknown = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if unknown:
        names = ", ".join(f"${{{name}}}" for name in values)
        raise CheckFailed(f"{FILE} uses ${{{unknown[0]}}}; the substitutions are {names}")
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], text)


def _event(lab, key):
    """S3's Object Created event as EventBridge delivers it (see the S3 user guide, "EventBridge event
    message structure")."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": lab.cloud.account_id,
        "time": "2026-11-22T10:15:02Z",
        "region": lab.cloud.region,
        "resources": [f"arn:aws:s3:::{lab.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": lab.bucket},
            "object": {"key": key, "size": len(OBJECTS[key]), "etag": "b1946ac92492d2347c6235b4d2611184"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": lab.cloud.account_id,
            "source-ip-address": "192.0.2.10",
            "reason": "PutObject",
        },
    }


def _run(lab, key):
    return lab.run_state_machine(lab.definition, _event(lab, key), role_arn=lab.machine_role, name="photos")


def _where(execution) -> str:
    if execution["status"] == "SUCCEEDED":
        return "it succeeded"
    return f"it ended {execution['status']} with error {execution['error']!r}: {(execution['cause'] or '')[:300]}"


def _item(lab, key):
    return lab.client("dynamodb").get_item(TableName=TABLE, Key={"key": {"S": key}}).get("Item")


def _labels_of(item) -> list[str] | None:
    value = (item or {}).get("labels", {})
    if "SS" in value:
        return sorted(value["SS"])
    if "L" in value and all("S" in element for element in value["L"]):
        return sorted(element["S"] for element in value["L"])
    return None


def _expected_labels(lab, key) -> list[str]:
    found = lab.client("rekognition").detect_labels(
        Image={"S3Object": {"Bucket": lab.bucket, "Name": key}}, MinConfidence=80
    )
    return sorted(label["Name"] for label in found["Labels"])


def _notifications(lab, key) -> list:
    """The JSON messages published to the topic about ``key``, oldest first (every message is kept in
    ``lab.notifications`` for the failure messages)."""
    for body in lab.take_messages(lab.queue_url):
        try:
            lab.notifications.append(json.loads(body))
        except ValueError:
            lab.notifications.append(body)
    return [
        message for message in lab.notifications if isinstance(message, dict) and message.get("key") == key
    ]


def _scheduled(execution, needle: str) -> bool:
    """Whether the execution scheduled a task whose resource or parameters mention ``needle``."""
    for event in execution["history"]:
        details = event.get("taskScheduledEventDetails") or event.get("lambdaFunctionScheduledEventDetails")
        if details and needle in json.dumps(details):
            return True
    return False


def _processes(lab, key):
    execution = _run(lab, key)
    lab.require(
        execution["status"] == "SUCCEEDED", f"The photo {key} should be processed, but {_where(execution)}."
    )
    item = _item(lab, key)
    lab.require(
        item is not None,
        f"No item with key {key!r} in the {TABLE} table: store it with the dynamodb:putItem integration "
        '(the key attribute is "key", a string).',
    )
    labels, expected = _labels_of(item), _expected_labels(lab, key)
    lab.require(
        labels == expected,
        f"The item's labels are {json.dumps(item.get('labels'))}; expected the names of the labels Rekognition "
        f"finds with MinConfidence 80, {expected}, as a string set (SS) or a list (L) of strings.",
    )
    return execution, item


@check("labels_stored", "A photo's labels (confidence 80 and above) are stored in DynamoDB", points=3)
def labels_stored(lab):
    _processes(lab, "uploads/cat-on-beach.jpg")


@check("success_notified", "A processed photo is announced on the topic with its labels", points=2)
def success_notified(lab):
    key = "uploads/cat-on-beach.jpg"
    execution = _run(lab, key)
    lab.require(
        execution["status"] == "SUCCEEDED", f"The photo {key} should be processed, but {_where(execution)}."
    )
    messages = [m for m in _notifications(lab, key) if isinstance(m, dict) and m.get("status") == "PROCESSED"]
    lab.require(
        messages,
        f'No message {{"status": "PROCESSED", "key": "{key}", "labels": [...]}} reached the topic '
        f"${{PhotoTopicArn}}; messages seen: {json.dumps(lab.notifications)[:300]}",
    )
    lab.require(
        sorted(messages[-1].get("labels") or []) == _expected_labels(lab, key),
        f"The PROCESSED message should list the labels {_expected_labels(lab, key)}; it has {json.dumps(messages[-1])}.",
    )


@check("not_an_image", "A file that is not an image goes to the failure branch and is announced", points=3)
def not_an_image(lab):
    key = "uploads/notes.jpg"
    execution = _run(lab, key)
    lab.require(
        execution["status"] == "FAILED" and execution["error"] == "PhotoProcessingFailed",
        f"{key} holds text, so Rekognition fails with InvalidImageFormatException: catch it, notify, and end in "
        f'a Fail state with "Error": "PhotoProcessingFailed"; but {_where(execution)}.',
    )
    lab.require(_item(lab, key) is None, f"An item was stored for {key}, which is not a photo.")
    messages = [m for m in _notifications(lab, key) if isinstance(m, dict) and m.get("status") == "FAILED"]
    lab.require(
        messages and "InvalidImageFormatException" in str(messages[-1].get("error")),
        f'No message {{"status": "FAILED", "key": "{key}", "error": "...InvalidImageFormatException"}} reached '
        f"the topic; messages seen: {json.dumps(lab.notifications)[:300]}. The Catch's ResultPath puts the "
        "error's name under Error.",
    )


@check(
    "unsupported_type_skipped",
    "A file that is not .jpg, .jpeg or .png fails fast, without Rekognition",
    points=2,
)
def unsupported_type_skipped(lab):
    key = "uploads/report.pdf"
    execution = _run(lab, key)
    lab.require(
        execution["status"] == "FAILED" and execution["error"] == "UnsupportedType",
        f'{key} is not a photo type we process: a Choice should send it to a Fail state with "Error": '
        f'"UnsupportedType"; but {_where(execution)}.',
    )
    lab.require(
        not _scheduled(execution, "detectLabels") and not _scheduled(execution, "photo-thumbnail"),
        f"The workflow called Rekognition or the thumbnail function for {key}: check the type before any work.",
    )


@check(
    "thumbnail_and_labels_in_parallel",
    "The thumbnail and the labels are made in parallel and stored",
    points=1,
)
def thumbnail_and_labels_in_parallel(lab):
    key = "uploads/cat-on-beach.jpg"
    execution, item = _processes(lab, key)
    lab.require(
        any(event["type"] == "ParallelStateEntered" for event in execution["history"]),
        "No Parallel state ran: make the thumbnail and detect the labels in two branches of one Parallel state.",
    )
    lab.require(
        (item.get("thumbnail") or {}).get("S") == "thumbnails/cat-on-beach.jpg",
        f'The item should hold "thumbnail": {{"S": "thumbnails/cat-on-beach.jpg"}} (what photo-thumbnail '
        f"returns); it has {json.dumps(item.get('thumbnail'))}.",
    )


@check("other_photo_types", "PNG and .jpeg photos are processed too", points=2)
def other_photo_types(lab):
    for key in ("holidays/dog-in-car.png", "2026/mountain-food.jpeg"):
        _processes(lab, key)
