"""Where moto's services would deliver events themselves, the owning ``Cloud`` delivers them instead.

moto keeps the configuration and data of S3, SNS and EventBridge, and it also tries to deliver their events:
S3 notifications, SNS deliveries to subscriptions and EventBridge rule targets. It does so at once, on the real
clock, with event shapes that differ from AWS's, invoking Lambda through Docker and posting HTTP subscriptions to
the network. The runtime owns that behaviour (DESIGN.md: moto is the data plane, the runtime owns routing), so
these three entry points are replaced once per process by functions that look up which ``Cloud`` owns the
account and hand the work to it. An account no ``Cloud`` owns (a plain ``mock_aws`` user in the same process)
gets moto's own behaviour unchanged.
"""

from __future__ import annotations

import threading
import weakref

__all__ = ["register", "unregister", "owner_of"]

_owners: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # account id -> Cloud
_install_lock = threading.Lock()
_installed = False


def register(cloud) -> None:
    """Route the deliveries of ``cloud.account_id`` to ``cloud`` (installs the hooks on first use)."""
    _install()
    _owners[cloud.account_id] = cloud


def unregister(cloud) -> None:
    if _owners.get(cloud.account_id) is cloud:
        del _owners[cloud.account_id]


def owner_of(account_id: str):
    """The ``Cloud`` that owns ``account_id``, or None."""
    return _owners.get(account_id)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        import moto.events.models as events_models
        import moto.s3.notifications as s3_notifications
        import moto.sns.models as sns_models

        moto_send_event = s3_notifications.send_event

        def send_event(account_id, event_name, bucket, key) -> None:
            cloud = owner_of(account_id)
            if cloud is None:
                return moto_send_event(account_id, event_name, bucket, key)
            cloud.s3_events.object_event(str(getattr(event_name, "value", event_name)), bucket, key)

        s3_notifications.send_event = send_event

        moto_subscription_publish = sns_models.Subscription.publish

        def subscription_publish(subscription, message, message_id, **options) -> None:
            cloud = owner_of(subscription.account_id)
            if cloud is None:
                return moto_subscription_publish(subscription, message, message_id, **options)
            cloud.sns_delivery.deliver(subscription, message, message_id, **options)

        sns_models.Subscription.publish = subscription_publish

        moto_topic_publish = sns_models.Topic.publish

        def topic_publish(topic, message, **options) -> str:
            # one scheduled delivery for all of a topic's subscriptions (moto calls each in turn)
            cloud = owner_of(topic.account_id)
            if cloud is None:
                return moto_topic_publish(topic, message, **options)
            message_id = str(sns_models.mock_random.uuid4())
            # every subscription (moto's list_subscriptions_by_topic would answer only the first page of 100)
            subscriptions = topic.sns_backend._get_topic_subscriptions(topic)
            cloud.sns_delivery.deliver_all(list(subscriptions), message, message_id, **options)
            topic.sent_notifications.append(
                (
                    message_id,
                    message,
                    options.get("subject"),
                    options.get("message_attributes"),
                    options.get("group_id"),
                )
            )
            return message_id

        sns_models.Topic.publish = topic_publish

        # A topic's MaximumMessageSize (up to 1 MiB) is checked by the owning Cloud before moto sees the
        # request (notifications.sns_topics); moto's fixed 256 KiB refusal stays for accounts no Cloud owns.
        moto_backend_publish = sns_models.SNSBackend.publish
        sns_models.MAXIMUM_MESSAGE_LENGTH = 1_048_576

        def backend_publish(backend, message, arn, *args, **kwargs) -> str:
            if owner_of(backend.account_id) is None and len(message) > 262_144:
                raise sns_models.InvalidParameterValue("Invalid parameter: Message too long")
            return moto_backend_publish(backend, message, arn, *args, **kwargs)

        sns_models.SNSBackend.publish = backend_publish

        moto_put_events = events_models.EventsBackend.put_events

        def put_events(backend, events):
            cloud = owner_of(backend.account_id)
            if cloud is None or backend.region_name != cloud.region:
                return moto_put_events(backend, events)
            return cloud.eventbridge_bus.put_events(backend, events)

        events_models.EventsBackend.put_events = put_events
        _installed = True
