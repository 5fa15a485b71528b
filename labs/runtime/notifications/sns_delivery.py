"""Amazon SNS deliveries: a published message reaches each subscription whose filter policy matches.

moto keeps topics and subscriptions; ``backends/hooks.py`` hands each (subscription, message) pair to this
module, which delivers it asynchronously on the simulated clock, as AWS documents
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html,
.../sns-large-payload-raw-message-delivery.html, .../sns-lambda-as-subscriber.html,
.../sns-dead-letter-queues.html):

- The subscription's ``FilterPolicy`` (``FilterPolicyScope`` MessageAttributes or MessageBody) is applied with
  ``sns.compile_filter_policy``; a message it rejects is not delivered and the trace says so.
- SQS receives the JSON envelope (Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion,
  Signature, SigningCertURL, UnsubscribeURL, MessageAttributes), or with ``RawMessageDelivery`` the bare message
  with its attributes as SQS message attributes. The queue's policy must allow ``sns.amazonaws.com``.
- Lambda is invoked asynchronously with ``{"Records": [{"EventSource": "aws:sns", ..., "Sns": {...}}]}``
  (note ``SigningCertUrl`` / ``UnsubscribeUrl`` there); the function's policy must allow ``sns.amazonaws.com``.
- E-mail, HTTP/S and SMS endpoints are recorded in the account's outbox (nothing leaves the machine);
  subscriptions to them are treated as confirmed.
- A delivery that fails goes to the subscription's dead-letter queue (``RedrivePolicy``) when it has one.
"""

from __future__ import annotations

import json
import time

from labs.runtime.iam import service_access
from labs.runtime.notifications.filter_policies import InvalidFilterPolicyError, compile_filter_policy

__all__ = ["SnsDelivery"]

_SIGNING_CERT = "https://sns.{region}.amazonaws.com/SimpleNotificationService-labs.pem"
_UNSUBSCRIBE = "https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={arn}"
_SIGNATURE = (
    "bGFicy5ydW50aW1lIGRvZXMgbm90IHNpZ24gbWVzc2FnZXM="  # base64 of "labs.runtime does not sign messages"
)


def _iso_ms(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + f".{int(epoch_s * 1000) % 1000:03d}Z"


class SnsDelivery:
    """Delivers one account's SNS messages to their subscriptions."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.outbox: list[dict] = []  # e-mail, HTTP/S and SMS deliveries, in order
        self._policies: dict[tuple[str, str], object] = {}

    def deliver(self, subscription, message: str, message_id: str, **options) -> None:
        """Called (through ``backends/hooks.py``) once per subscription of a topic a message was published to."""
        published_at = self.cloud.clock()
        self.cloud.after_call(
            lambda cause: self._deliver_now(subscription, message, message_id, published_at, cause, options),
            label=f"sns delivery {subscription.arn}",
        )

    def deliver_all(self, subscriptions: list, message: str, message_id: str, **options) -> None:
        """Called (through ``backends/hooks.py``) once per message published to a topic, with its subscriptions."""
        published_at = self.cloud.clock()
        self.cloud.after_call(
            lambda cause: [
                self._deliver_now(subscription, message, message_id, published_at, cause, options)
                for subscription in subscriptions
            ],
            label=f"sns deliveries of {message_id}",
        )

    def _deliver_now(self, subscription, message, message_id, published_at, cause, options) -> None:
        attributes = options.get("message_attributes") or {}
        if options.get("message_structure") == "json":
            try:
                message = subscription._parse_message_structure(message, subscription.protocol)
            except Exception as error:  # noqa: BLE001 - moto's InvalidParameterValue: not deliverable
                self._trace_failed(subscription, cause, str(error))
                return
        if not self._passes_filter(subscription, message, attributes, cause):
            return
        protocol = subscription.protocol
        envelope = self._envelope(subscription, message, message_id, published_at, attributes, options)
        entry = self.cloud.trace.sns_delivery(
            self.cloud.clock(),
            cause=cause,
            topic=subscription.topic.arn,
            subscription=subscription.arn,
            protocol=protocol,
            endpoint=subscription.endpoint,
            message_id=message_id,
        )
        raw = str(subscription.attributes.get("RawMessageDelivery", "false")).lower() == "true"
        if protocol == "sqs":
            body = message if raw else json.dumps(envelope)
            delivered = service_access.deliver(
                self.cloud,
                "sqs",
                subscription.endpoint,
                body,
                entry["seq"],
                source="sns",
                source_arn=subscription.topic.arn,
                message_attributes=self._sqs_attributes(attributes) if raw else None,
                group_id=options.get("group_id"),
                deduplication_id=options.get("deduplication_id")
                or (message_id if options.get("group_id") else None),
            )
        elif protocol == "lambda":
            event = {"Records": [self._lambda_record(subscription, envelope)]}
            delivered = service_access.deliver(
                self.cloud,
                "lambda",
                subscription.endpoint,
                json.dumps(event),
                entry["seq"],
                source="sns",
                source_arn=subscription.topic.arn,
            )
        elif protocol in ("email", "email-json", "http", "https", "sms"):
            body = message if protocol in ("email", "sms") else json.dumps(envelope)
            self.outbox.append(
                {
                    "channel": f"sns:{protocol}",
                    "to": subscription.endpoint,
                    "subject": options.get("subject") or "AWS Notification Message",
                    "body": body,
                    "time": self.cloud.clock(),
                    "topic": subscription.topic.arn,
                }
            )
            self.cloud.trace.delivery(
                self.cloud.clock(), cause=entry["seq"], source="sns", target=subscription.endpoint
            )
            delivered = True
        else:
            self._trace_failed(subscription, entry["seq"], f"protocol {protocol!r} is not simulated")
            delivered = False
        if not delivered:
            self._to_dead_letter_queue(subscription, message, attributes, entry["seq"])

    def _envelope(self, subscription, message, message_id, published_at, attributes, options) -> dict:
        """The JSON document SNS delivers (to SQS without raw delivery, HTTP, e-mail-json, inside Lambda's
        record)."""
        envelope = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": subscription.topic.arn,
            **({"Subject": options["subject"]} if options.get("subject") else {}),
            "Message": message,
            "Timestamp": _iso_ms(published_at),
            "SignatureVersion": "1",
            "Signature": _SIGNATURE,
            "SigningCertURL": _SIGNING_CERT.format(region=self.cloud.region),
            "UnsubscribeURL": _UNSUBSCRIBE.format(region=self.cloud.region, arn=subscription.arn),
        }
        if attributes:
            envelope["MessageAttributes"] = {
                name: {"Type": value.get("Type"), "Value": value.get("Value")}
                for name, value in attributes.items()
            }
        return envelope

    # -- filter policies ------------------------------------------------------------------------------------
    def _passes_filter(self, subscription, message: str, attributes: dict, cause) -> bool:
        text = subscription.attributes.get("FilterPolicy")
        if not text:
            return True
        scope = subscription.attributes.get("FilterPolicyScope") or "MessageAttributes"
        key = (text, scope)
        if key not in self._policies:
            try:
                self._policies[key] = compile_filter_policy(text, scope)
            except InvalidFilterPolicyError as error:
                self._policies[key] = error
        policy = self._policies[key]
        if isinstance(policy, InvalidFilterPolicyError):
            self._trace_failed(subscription, cause, str(policy))
            return False
        plain_attributes = {name: dict(value) for name, value in attributes.items()}
        matched = policy.matches({"MessageAttributes": plain_attributes, "Message": message})
        if not matched:
            self.cloud.trace.sns_filtered_out(
                self.cloud.clock(),
                cause=cause,
                topic=subscription.topic.arn,
                subscription=subscription.arn,
                scope=scope,
            )
        return matched

    # -- shapes ---------------------------------------------------------------------------------------------
    def _lambda_record(self, subscription, envelope: dict) -> dict:
        sns = {
            "Type": envelope["Type"],
            "MessageId": envelope["MessageId"],
            "TopicArn": envelope["TopicArn"],
            "Subject": envelope.get("Subject"),
            "Message": envelope["Message"],
            "Timestamp": envelope["Timestamp"],
            "SignatureVersion": envelope["SignatureVersion"],
            "Signature": envelope["Signature"],
            "SigningCertUrl": envelope["SigningCertURL"],
            "UnsubscribeUrl": envelope["UnsubscribeURL"],
            "MessageAttributes": envelope.get("MessageAttributes", {}),
        }
        return {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription.arn,
            "Sns": sns,
        }

    @staticmethod
    def _sqs_attributes(attributes: dict) -> dict:
        converted = {}
        for name, value in attributes.items():
            kind = str(value.get("Type", "String"))
            field = "BinaryValue" if kind.startswith("Binary") else "StringValue"
            converted[name] = {"DataType": kind, field: str(value.get("Value"))}
        return converted

    # -- failures -------------------------------------------------------------------------------------------
    def _to_dead_letter_queue(self, subscription, message: str, attributes: dict, cause) -> None:
        try:
            policy = json.loads(subscription.attributes.get("RedrivePolicy") or "{}")
        except ValueError:
            return
        target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
        if target:
            service_access.deliver(
                self.cloud,
                "sqs",
                target,
                message,
                cause,
                source="sns",
                source_arn=subscription.topic.arn,
                message_attributes=self._sqs_attributes(attributes),
            )

    def _trace_failed(self, subscription, cause, error: str) -> None:
        self.cloud.trace.delivery_failed(
            self.cloud.clock(),
            cause=cause,
            source="sns",
            target=subscription.endpoint,
            subscription=subscription.arn,
            error=error,
        )
