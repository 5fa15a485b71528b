"""SNS message sizes per topic, as AWS documents them ("Publishing large messages with Amazon SNS",
https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html):

- ``MaximumMessageSize`` is a topic attribute, an integer from 1,024 to 1,048,576 bytes; every topic has
  262,144 (256 KiB) until it is set.
- Publish checks the message body plus its message attributes against the topic's maximum and answers
  ``InvalidParameter`` when they exceed it.
- A topic whose maximum is above 256 KiB takes only Amazon Data Firehose, Amazon SQS and AWS Lambda
  subscriptions, and at most 100 of them.

moto knows none of this (it stores the attribute without using it and refuses anything above 256 KiB), so the
``Cloud`` answers these checks before moto sees the request; moto's own 256 KiB refusal is lifted for the
accounts a ``Cloud`` owns (``backends.hooks``).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

__all__ = ["DEFAULT_MAXIMUM", "check_request", "describe_attributes", "maximum_message_size"]

DEFAULT_MAXIMUM = 262_144
LOWEST, HIGHEST = 1_024, 1_048_576
LARGE_TOPIC_SUBSCRIPTIONS = 100
LARGE_TOPIC_PROTOCOLS = ("firehose", "lambda", "sqs")
TOO_LONG = "Invalid parameter: Message too long"  # the wording SNS has long used for an oversized message


def check_request(cloud, operation: str, body: bytes) -> str | None:
    """The ``InvalidParameter`` message SNS would answer for this request, or None."""
    form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
    if operation in ("CreateTopic", "SetTopicAttributes"):
        return _attribute_problem(cloud, operation, form)
    if operation == "Publish":
        return _publish_problem(cloud, form.get("TopicArn") or form.get("TargetArn"), form, "")
    if operation == "PublishBatch":
        for index in range(1, 11):
            prefix = f"PublishBatchRequestEntries.member.{index}."
            if prefix + "Message" in form:
                problem = _publish_problem(cloud, form.get("TopicArn"), form, prefix)
                if problem:
                    return problem
        return None
    if operation == "Subscribe":
        return _subscribe_problem(cloud, form)
    return None


def maximum_message_size(topic) -> int:
    """The topic's ``MaximumMessageSize`` in bytes (256 KiB unless it was set)."""
    try:
        return int(getattr(topic, "maximum_message_size", DEFAULT_MAXIMUM))
    except (TypeError, ValueError):
        return DEFAULT_MAXIMUM


def describe_attributes(cloud, body: bytes, response: tuple[int, dict, bytes]) -> tuple[int, dict, bytes]:
    """GetTopicAttributes lists ``MaximumMessageSize`` as AWS does (moto leaves it out)."""
    status, headers, payload = response
    form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
    topic = _topic(cloud, form.get("TopicArn"))
    if status != 200 or topic is None or b"</Attributes>" not in payload:
        return response
    entry = f"<entry><key>MaximumMessageSize</key><value>{maximum_message_size(topic)}</value></entry>"
    return status, headers, payload.replace(b"</Attributes>", entry.encode() + b"</Attributes>", 1)


def _attribute_problem(cloud, operation: str, form: dict) -> str | None:
    if operation == "SetTopicAttributes":
        pairs = [(form.get("AttributeName"), form.get("AttributeValue"))]
    else:
        pairs = [
            (form.get(f"Attributes.entry.{index}.key"), form.get(f"Attributes.entry.{index}.value"))
            for index in range(1, 30)
        ]
    for name, value in pairs:
        if name != "MaximumMessageSize":
            continue
        size = _integer(value)
        if size is None or not LOWEST <= size <= HIGHEST:
            return (
                f"Invalid parameter: Attributes Reason: MaximumMessageSize must be an integer from {LOWEST} "
                f"to {HIGHEST} bytes, got {value!r}"
            )
        topic = _topic(cloud, form.get("TopicArn"))
        if size > DEFAULT_MAXIMUM and topic is not None:
            problem = _large_topic_problem(cloud, topic)
            if problem:
                return problem
    return None


def _large_topic_problem(cloud, topic) -> str | None:
    subscriptions = _subscriptions(cloud, topic)
    unsupported = sorted({s.protocol for s in subscriptions} - set(LARGE_TOPIC_PROTOCOLS))
    if unsupported:
        return (
            "Invalid parameter: Attributes Reason: a MaximumMessageSize above 262144 bytes needs every "
            f"subscription to be Firehose, SQS or Lambda; this topic has {', '.join(unsupported)}"
        )
    if len(subscriptions) > LARGE_TOPIC_SUBSCRIPTIONS:
        return (
            "Invalid parameter: Attributes Reason: a topic with a MaximumMessageSize above 262144 bytes "
            f"takes at most {LARGE_TOPIC_SUBSCRIPTIONS} subscriptions; it has {len(subscriptions)}"
        )
    return None


def _publish_problem(cloud, arn: str | None, form: dict, prefix: str) -> str | None:
    topic = _topic(cloud, arn)
    limit = maximum_message_size(topic) if topic is not None else DEFAULT_MAXIMUM
    size = len(form.get(prefix + "Message", "").encode()) + _attributes_size(form, prefix)
    if size > limit:
        return f"{TOO_LONG} ({size} bytes with its attributes; the topic's MaximumMessageSize is {limit})"
    return None


def _attributes_size(form: dict, prefix: str) -> int:
    """Bytes the message attributes add: each name, data type and value (sns-message-attributes.html)."""
    total = 0
    for index in range(1, 11):
        entry = f"{prefix}MessageAttributes.entry.{index}."
        name = form.get(entry + "Name")
        if name is None:
            break
        total += len(name.encode()) + len(form.get(entry + "Value.DataType", "").encode())
        if entry + "Value.BinaryValue" in form:
            try:
                total += len(base64.b64decode(form[entry + "Value.BinaryValue"]))
            except (binascii.Error, ValueError):
                total += len(form[entry + "Value.BinaryValue"])
        else:
            total += len(form.get(entry + "Value.StringValue", "").encode())
    return total


def _subscribe_problem(cloud, form: dict) -> str | None:
    topic = _topic(cloud, form.get("TopicArn"))
    if topic is None or maximum_message_size(topic) <= DEFAULT_MAXIMUM:
        return None
    protocol = form.get("Protocol", "")
    if protocol not in LARGE_TOPIC_PROTOCOLS:
        return (
            f"Invalid parameter: Protocol Reason: a topic with a MaximumMessageSize above 262144 bytes takes "
            f"only firehose, lambda and sqs subscriptions, not {protocol}"
        )
    if len(_subscriptions(cloud, topic)) >= LARGE_TOPIC_SUBSCRIPTIONS:
        return (
            "Invalid parameter: a topic with a MaximumMessageSize above 262144 bytes takes at most "
            f"{LARGE_TOPIC_SUBSCRIPTIONS} subscriptions"
        )
    return None


def _integer(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _topic(cloud, arn: str | None):
    if not arn:
        return None
    from moto.sns.models import sns_backends

    try:
        return sns_backends[cloud.account_id][cloud.region].topics.get(arn)
    except KeyError:
        return None


def _subscriptions(cloud, topic) -> list:
    # every subscription: moto's list_subscriptions_by_topic answers one page of 100
    return list(topic.sns_backend._get_topic_subscriptions(topic))
