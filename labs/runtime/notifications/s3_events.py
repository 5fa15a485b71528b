"""Amazon S3 event notifications: to Lambda, SQS, SNS and EventBridge, on the simulated clock.

moto stores each bucket's notification configuration and tells us (``backends/hooks.py``) when an object is
created or removed; this module builds the event as S3 sends it and delivers it asynchronously. What AWS
documents and this module copies
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html,
.../EventBridge.html and .../ev-events.html):

- One record per event, ``eventVersion`` 2.1; the object key is URL-encoded as in an HTML form (a space is
  ``+``), so a handler must ``unquote_plus`` it; ``size`` and ``eTag`` only for ObjectCreated; ``sequencer``
  grows for each key, so a consumer can order events of one key; ``versionId`` on versioned buckets.
- Filters are a prefix and/or a suffix on the key (rule names are case-insensitive).
- A Lambda destination is invoked asynchronously (retries, DLQ, destinations of ``awslambda/async_invoke.py``); SQS and SNS
  receive the event as the message body; with ``EventBridgeConfiguration`` every event also goes to the
  account's default bus as ``Object Created`` / ``Object Deleted`` (key not URL-encoded there).
- Saving a configuration checks each destination as S3 does: it must exist and its resource policy must allow
  ``s3.amazonaws.com`` to invoke it / send to it, else ``InvalidArgument: Unable to validate the following
  destination configurations``.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote_plus

from labs.runtime.iam import service_access

__all__ = ["S3Notifier", "validate_configuration"]

_PRINCIPAL_ID = "AWS:AROAEXAMPLEROLEID:labs"


def _iso_ms(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + f".{int(epoch_s * 1000) % 1000:03d}Z"


def _filter_matches(filters: dict, key: str) -> bool:
    rules = ((filters or {}).get("S3Key") or {}).get("FilterRule") or []
    if isinstance(rules, dict):
        rules = [rules]
    for rule in rules:
        name, value = str(rule.get("Name", "")).lower(), str(rule.get("Value", ""))
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def _event_matches(configured: list[str], event_name: str) -> bool:
    family = ":".join(event_name.split(":")[:2]) + ":*"  # s3:ObjectCreated:Put -> s3:ObjectCreated:*
    return event_name in configured or family in configured


class S3Notifier:
    """Builds and delivers one account's S3 event notifications."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._sequencers: dict[tuple[str, str], int] = {}

    def object_event(self, event_name: str, bucket, key) -> None:
        """Called (through ``backends/hooks.py``) when moto creates or removes ``key`` in ``bucket``."""
        config = bucket.notification_configuration
        if config is None:
            return
        name = str(key.name)
        sequence = self._sequencers.get((bucket.name, name), 0) + 1
        self._sequencers[(bucket.name, name)] = sequence
        sequencer = f"{int(self.cloud.clock() * 1000):012X}{sequence:06X}"
        destinations = [("lambda", n) for n in config.cloud_function if self._wants(n, event_name, name)] + [
            ("sqs", n) for n in config.queue if self._wants(n, event_name, name)
        ]
        destinations += [("sns", n) for n in config.topic if self._wants(n, event_name, name)]
        for service, notification in destinations:
            record = self._record(event_name, bucket, key, notification.id, sequencer)
            self.cloud.after_call(
                lambda cause, s=service, arn=notification.arn, r=record: self._deliver(
                    s, arn, r, bucket, cause
                ),
                label=f"s3 notification {bucket.name}/{name}",
            )
        if config.event_bridge is not None:
            event = self._eventbridge_entry(event_name, bucket, key, sequencer)
            if event is not None:
                self.cloud.after_call(
                    lambda cause, e=event: self.cloud.eventbridge_bus.put_service_event(e, cause),
                    label=f"s3 to eventbridge {bucket.name}/{name}",
                )

    @staticmethod
    def _wants(notification, event_name: str, key: str) -> bool:
        return _event_matches(list(notification.events), event_name) and _filter_matches(
            notification.filters, key
        )

    def _record(self, event_name: str, bucket, key, configuration_id: str, sequencer: str) -> dict:
        obj: dict = {"key": quote_plus(str(key.name), safe="/")}
        if event_name.startswith("s3:ObjectCreated"):
            obj["size"] = int(key.size)
            obj["eTag"] = str(key.etag).strip('"')
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["versionId"] = str(version)
        obj["sequencer"] = sequencer
        request_id = self.cloud.new_request_id().replace("-", "")[:16].upper()
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": self.cloud.region,
                    "eventTime": _iso_ms(self.cloud.clock()),
                    "eventName": event_name.removeprefix("s3:"),
                    "userIdentity": {"principalId": _PRINCIPAL_ID},
                    "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                    "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": f"{request_id}/labs"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": configuration_id,
                        "bucket": {
                            "name": bucket.name,
                            "ownerIdentity": {"principalId": "A3EXAMPLEOWNER"},
                            "arn": f"arn:aws:s3:::{bucket.name}",
                        },
                        "object": obj,
                    },
                }
            ]
        }

    def _eventbridge_entry(self, event_name: str, bucket, key, sequencer: str) -> dict | None:
        family = event_name.split(":")[1] if event_name.count(":") >= 2 else ""
        if family not in ("ObjectCreated", "ObjectRemoved"):
            return None
        obj: dict = {"key": str(key.name)}
        if family == "ObjectCreated":
            obj.update(size=int(key.size), etag=str(key.etag).strip('"'))
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["version-id"] = str(version)
        obj["sequencer"] = sequencer
        detail: dict = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": self.cloud.new_request_id().replace("-", "")[:16].upper(),
            "requester": self.cloud.account_id,
            "source-ip-address": "10.0.0.1",
            "reason": {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject"}.get(
                event_name.rsplit(":", 1)[-1],
                "CompleteMultipartUpload" if "Multipart" in event_name else "DeleteObject",
            ),
        }
        if family == "ObjectRemoved":
            detail["deletion-type"] = (
                "Delete Marker Created" if "DeleteMarker" in event_name else "Permanently Deleted"
            )
        return {
            "Source": "aws.s3",
            "DetailType": "Object Created" if family == "ObjectCreated" else "Object Deleted",
            "Detail": json.dumps(detail),
            "Resources": [f"arn:aws:s3:::{bucket.name}"],
        }

    # -- delivery -------------------------------------------------------------------------------------------
    def _deliver(self, service: str, arn: str, record: dict, bucket, cause: int | None) -> None:
        body = json.dumps(record)
        entry = self.cloud.trace.s3_notification(
            self.cloud.clock(),
            cause=cause,
            bucket=bucket.name,
            key=record["Records"][0]["s3"]["object"]["key"],
            event_name=record["Records"][0]["eventName"],
            destination=arn,
        )
        service_access.deliver(
            self.cloud,
            service,
            arn,
            body,
            entry["seq"],
            source="s3",
            source_arn=f"arn:aws:s3:::{bucket.name}",
        )


def validate_configuration(cloud, bucket) -> str | None:
    """The problem S3 would report for ``bucket``'s notification configuration, or None when valid."""
    config = bucket.notification_configuration
    if config is None:
        return None
    source_arn = f"arn:aws:s3:::{bucket.name}"
    failures = []
    for service, notifications in (
        ("lambda", config.cloud_function),
        ("sqs", config.queue),
        ("sns", config.topic),
    ):
        for notification in notifications:
            problem = service_access.check_service_may_send(
                cloud, "s3.amazonaws.com", service, notification.arn, source_arn
            )
            if problem:
                failures.append(f"{notification.arn}: {problem}")
    if not failures:
        return None
    return "Unable to validate the following destination configurations: " + "; ".join(failures)
