"""The one place edgebench touches paho-mqtt's private attributes.

paho has no public API for two things the collector's subscriber needs:

* the raw bytes of a topic that is not valid UTF-8 (``MQTTMessage.topic`` raises; the
  bytes are kept in ``MQTTMessage._topic``), to record the rejected message;
* queuing many packets (a batch of PUBACKs) with one wake-up of the network loop instead
  of one per packet (paho writes a byte to ``Client._sockpairW`` for every queued packet).

pyproject.toml pins paho-mqtt to the minor release these were checked on, and
tests/shared/test_paho_adapter.py runs both against the installed paho and a real
broker, so a paho release that renames or changes them fails there, not in production.
paho itself is never imported here: the caller passes its objects in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# The attribute holding the write end of paho's wake-up socket pair (paho 2.x).
_WAKE_ATTR = "_sockpairW"


def raw_topic(message: Any) -> bytes:
    """Return the topic bytes of a paho ``MQTTMessage`` as received, decodable or not."""
    return bytes(message._topic)


@contextlib.contextmanager
def one_wakeup(client: Any) -> Iterator[None]:
    """Queue packets inside the block (e.g. ``client.ack``) and wake paho's loop once after.

    Each wake-up is a syscall that hands the GIL to the busy MQTT thread and waits to get
    it back (~0.1 s per 1,000 acks under load; bench/ingest_throughput.py). The socket is
    only put back if paho did not replace the pair meanwhile (a reconnect).
    """
    wake = getattr(client, _WAKE_ATTR, None)
    if wake is not None:
        setattr(client, _WAKE_ATTR, None)
    try:
        yield
    finally:
        if wake is not None and getattr(client, _WAKE_ATTR, None) is None:
            setattr(client, _WAKE_ATTR, wake)
        current = getattr(client, _WAKE_ATTR, None)
        if current is not None:
            with contextlib.suppress(OSError):
                current.send(b"0")
