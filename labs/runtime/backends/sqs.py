"""moto's SQS, made fast enough for fan-out designs with thousands of messages; behaviour unchanged.

Two of moto's SQS paths cost time proportional to the number of messages in the queue on every call: each
``send_message`` builds ``Queue.attributes`` (counting every message three times to fill the Approximate* counts)
only to read ``ContentBasedDeduplication``, and ``receive_message`` asks ``get_queue_attributes`` for the
retention period once per message it returns (counting again). A queue of 10,000 messages then costs seconds
per batch. Here ``Queue.attributes`` is the same mapping with the three counts computed only when read, and the
retention check reads the one attribute it needs. Each received message is copied shallowly, not deeply. Receipt handles (185 random characters, drawn one ``choice``
at a time) come from one random number. Installed once per process by ``Cloud``.
"""

from __future__ import annotations

import copy
import json
import threading

__all__ = ["install"]

_COUNTS = {
    "ApproximateNumberOfMessages": "approximate_number_of_messages",
    "ApproximateNumberOfMessagesDelayed": "approximate_number_of_messages_delayed",
    "ApproximateNumberOfMessagesNotVisible": "approximate_number_of_messages_not_visible",
}
_lock = threading.Lock()
_installed = False


class _QueueAttributes(dict):
    """``Queue.attributes`` whose message counts are computed when read, not when the mapping is built."""

    def __init__(self, queue, values: dict) -> None:
        super().__init__(values)
        self._queue = queue

    def __getitem__(self, key):
        if key in _COUNTS:
            return getattr(self._queue, _COUNTS[key])
        return super().__getitem__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default  # noqa: SIM401 - self.get would recurse

    def items(self):
        return [(key, self[key]) for key in self]

    def values(self):
        return [self[key] for key in self]

    def copy(self):
        return dict(self.items())


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from moto.core.utils import camelcase_to_underscores
        from moto.sqs import models

        def attributes(queue) -> dict:
            names = list(queue.BASE_ATTRIBUTES)
            if queue.fifo_queue:
                names += queue.FIFO_ATTRIBUTES
            if queue.kms_master_key_id:
                names += queue.KMS_ATTRIBUTES
            result: dict = {}
            for name in names:
                if name in _COUNTS:
                    result[name] = None  # computed when read
                    continue
                value = getattr(
                    queue,
                    _UNDERSCORED.get(name) or _UNDERSCORED.setdefault(name, camelcase_to_underscores(name)),
                )
                result[name] = str(value).lower() if isinstance(value, bool) else value
            if queue.policy:
                result["Policy"] = queue.policy
            if queue.redrive_policy:
                result["RedrivePolicy"] = json.dumps(queue.redrive_policy)
            return _QueueAttributes(queue, result)

        def is_message_valid_based_on_retention_period(backend, queue_name: str, message) -> bool:
            retention_s = int(backend.get_queue(queue_name).message_retention_period)
            return retention_s + message.sent_timestamp / 1000 > models.unix_time()

        def generate_receipt_handle() -> str:
            return f"{models.random.getrandbits(740):0185x}"

        def deepcopy(value):
            # receive_message deep-copies every message it returns only so that filtering the copy's
            # message attributes (a new dict assigned to the copy) leaves the stored message alone: a
            # shallow copy does the same for a fraction of the cost
            return copy.copy(value) if isinstance(value, models.Message) else copy.deepcopy(value)

        models.deepcopy = deepcopy
        models.generate_receipt_handle = generate_receipt_handle
        models.Queue.attributes = property(attributes)
        models.SQSBackend.is_message_valid_based_on_retention_period = (
            is_message_valid_based_on_retention_period
        )
        _installed = True


_UNDERSCORED: dict[str, str] = {}
