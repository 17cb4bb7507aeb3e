"""Receipts: after each commit, tell every device which of its run messages are stored.

MQTT's acknowledgements are hop by hop: a PUBACK says the broker has a message, and a
broker that loses its state loses it. The agent therefore keeps each run message
(events, samples, result) in its outbox until the collector confirms it on the device's
``receipts`` topic (``docs/mqtt-contract.md``, "Receipts").

Division of work, for the writer's sake (its thread is ingest's bottleneck): after each
commit the writer only groups the batch's message ids by device (:func:`receipted_ids`)
and hands them to the receiver process with the batch's acknowledgements
(``ReceiverProcess.send_receipts``); there :func:`publish_receipts` builds, encodes and
publishes the receipts on the collector's own session, right after the PUBACKs. So a
receipt never runs ahead of the database.

A receipt lost on the way (the collector killed between commit and publish, a broker
restart) costs only a resend: the agent sends the message again after its receipt
timeout, storage ignores the duplicate, and the next receipt lists it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edgebench.collector.received import Received
from edgebench.shared.codec import encode_message
from edgebench.shared.messages import MAX_RECEIPT_IDS, ReceiptMessage
from edgebench.shared.topics import RUN_KINDS, TopicLayout

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


def receipts_for(by_device: dict[str, list[str]]) -> list[ReceiptMessage]:
    """Return the receipts for these ids: per device, at most MAX_RECEIPT_IDS ids each."""
    out = []
    for device_id, ids in by_device.items():
        unique = list(dict.fromkeys(ids))  # a batch may hold a message and its resend
        for start in range(0, len(unique), MAX_RECEIPT_IDS):
            chunk = unique[start : start + MAX_RECEIPT_IDS]
            out.append(ReceiptMessage(device_id=device_id, message_ids=chunk))
    return out


def publish_receipts(client: Any, layout: TopicLayout, by_device: dict[str, list[str]]) -> int:
    """Publish the receipts (QoS 1, not retained) on ``client``; return how many.

    Never raises for a lost connection: paho queues QoS 1 until it reconnects, and a
    receipt that never arrives only costs the agent a resend.
    """
    receipts = receipts_for(by_device)
    for receipt in receipts:
        client.publish(layout.receipts(receipt.device_id), encode_message(receipt), qos=RECEIPT_QOS)
    return len(receipts)
