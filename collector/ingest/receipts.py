"""Receipts: after each commit, tell every device which of its run messages are stored.

MQTT's acknowledgements are hop by hop: a PUBACK says the broker has a message, and a
broker that loses its state loses it. The agent therefore keeps each run message
(events, samples, result) in its outbox until the collector confirms it on the device's
``receipts`` topic (``docs/mqtt-contract.md``, "Receipts"). The writer calls
:meth:`ReceiptPublisher.committed` after its commit (and after acknowledging the batch to
the broker), so a receipt never runs ahead of the database.

The publisher has its own MQTT connection (``<client id>-receipts``) in the writer's
process: the receiver process's session only reads, and keeping the two apart means a
stalled receipt can never hold up ingest. A receipt lost on the way (the collector killed
between commit and publish, a broker restart) costs only a resend: the agent sends the
message again after its receipt timeout, storage ignores the duplicate, and the next
receipt lists it again. So the connection needs no durability of its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from edgebench.collector.received import Received
from edgebench.shared.codec import encode_message
from edgebench.shared.messages import MAX_RECEIPT_IDS, ReceiptMessage
from edgebench.shared.mqtt_client import make_client, session_connect_args
from edgebench.shared.topics import RUN_KINDS, TopicLayout

if TYPE_CHECKING:
    from edgebench.shared.mqtt_config import MqttConfig

log = logging.getLogger(__name__)

RECEIPT_QOS = 1


def receipted_ids(batch: Iterable[Received]) -> dict[str, list[str]]:
    """Return ``device_id -> message ids`` of the batch's run messages, in arrival order.

    Only decoded messages: a payload the collector cannot read has no trustworthy id, and
    the agent resending it (for example after the collector is upgraded) is what we want.
    """
    by_device: dict[str, list[str]] = {}
    for item in batch:
        msg = item.message
        if msg is not None and msg.TOPIC_KIND in RUN_KINDS:
            by_device.setdefault(msg.device_id, []).append(msg.message_id)
    return by_device


def receipts_for(batch: Iterable[Received]) -> list[ReceiptMessage]:
    """Return the receipts for one committed batch: per device, at most MAX_RECEIPT_IDS ids."""
    out = []
    for device_id, ids in receipted_ids(batch).items():
        unique = list(dict.fromkeys(ids))  # a batch may hold a message and its resend
        for start in range(0, len(unique), MAX_RECEIPT_IDS):
            chunk = unique[start : start + MAX_RECEIPT_IDS]
            out.append(ReceiptMessage(device_id=device_id, message_ids=chunk))
    return out


class ReceiptPublisher:
    """The collector's connection that publishes receipts (QoS 1, not retained)."""

    def __init__(self, mqtt: MqttConfig, client_id: str) -> None:
        """Nothing connects until :meth:`start`."""
        self.mqtt = mqtt
        self.client_id = client_id
        self.layout = TopicLayout(mqtt.topic_prefix)
        self.sent = 0
        self._client: Any = None
        self._last: Any = None  # the newest publish, waited for on a clean stop

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself until :meth:`stop`."""
        self._client = make_client(self.mqtt, self.client_id, reconnect_max_s=30)
        self._client.on_connect = self._on_connect
        kwargs = session_connect_args(self.mqtt)
        self._client.connect_async(
            self.mqtt.host, self.mqtt.port, keepalive=self.mqtt.keepalive_s, **kwargs
        )
        self._client.loop_start()

    def committed(self, batch: list[Received]) -> None:
        """Publish the receipts for a batch the writer has just committed."""
        client = self._client
        if client is None:
            return
        for receipt in receipts_for(batch):
            topic = self.layout.receipts(receipt.device_id)
            # Never raises for a lost connection: paho queues QoS 1 until it reconnects,
            # and a receipt that never arrives only costs the agent a resend.
            info = client.publish(topic, encode_message(receipt), qos=RECEIPT_QOS)
            if info.rc not in (0, 4):  # 4 = not connected: queued
                log.warning("receipt for %s not queued: rc=%s", receipt.device_id, info.rc)
            self._last = info
            self.sent += 1

    def stop(self, timeout_s: float = 2.0) -> None:
        """Send what is queued (bounded wait), then disconnect.

        Receipts still unsent after ``timeout_s`` are dropped: the agents resend those
        messages and the next collector confirms them.
        """
        if self._client is not None:
            if self._last is not None and self._client.is_connected():
                with contextlib.suppress(RuntimeError, ValueError):
                    self._last.wait_for_publish(timeout_s)
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the receipts connection: %s", reason)
