"""The collector's MQTT session: persistent, QoS 1, acknowledging only what is stored.

A fixed client id with ``clean_session=False`` (MQTT 3.1.1), or ``clean_start=False`` and
a session expiry (MQTT 5), makes the broker queue QoS 1 messages while the collector is
down. With paho's ``manual_ack`` a PUBLISH is acknowledged only after the writer has
committed it, so a crash between receipt and commit loses nothing: the broker resends
every unacknowledged message when the session resumes, and storage ignores duplicates.

The paho network thread validates each message (``decode_message``; telemetry is also
turned into table rows here) and hands it to ``sink``, which may block: that is the
back-pressure, since the broker stops sending once its in-flight window of
unacknowledged messages is used up.
It runs in the receiver process (``ingest/receiver.py``), whose sink ships batches to
the writer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from edgebench.collector.ingest.receipts import publish_receipts
from edgebench.collector.received import Received, refused
from edgebench.collector.sample_rows import sample_rows
from edgebench.shared.codec import decode_message
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import SamplesMessage
from edgebench.shared.mqtt_client import make_client, session_connect_args
from edgebench.shared.mqtt_config import MAX_RECEIVE_MAXIMUM
from edgebench.shared.paho_adapter import one_wakeup, raw_topic
from edgebench.shared.topics import TopicLayout

if TYPE_CHECKING:
    from edgebench.shared.mqtt_config import MqttConfig

log = logging.getLogger(__name__)

SAMPLES_SUFFIX = "/samples"
COMMAND_QOS = 1


def receive(
    topic: str, payload: bytes, layout: TopicLayout, now: float, *, keep_rows: bool = True
) -> Received:
    """Validate one PUBLISH into a :class:`Received` (never raises).

    A samples message arrives with its ``samples`` table rows built (here, in the
    receiver process, off the writer's core); ``keep_rows=False`` then drops the message's
    own columns, which nothing needs any more. Other messages keep their JSON object
    (``msg.raw``) for storage.
    """
    try:
        telemetry = topic.endswith(SAMPLES_SUFFIX)
        msg = decode_message(topic, payload, layout, keep_raw=not telemetry)
        if not isinstance(msg, SamplesMessage):
            return Received(topic, now, len(payload), message=msg)
        rows = sample_rows(msg.run_id, msg.columns)
        if not keep_rows:
            msg = msgspec.structs.replace(msg, columns={})
        return Received(topic, now, len(payload), message=msg, rows=rows)
    except SchemaError as exc:
        return refused(topic, payload, now, str(exc))
    except Exception as exc:  # a validator bug must not stop ingest
        log.exception("unexpected error decoding a message on %r", topic)
        return refused(topic, payload, now, f"internal: {type(exc).__name__}")


class Subscriber:
    """Owns the paho client; feeds ``sink`` and acknowledges stored messages."""

    def __init__(
        self,
        mqtt: MqttConfig,
        client_id: str,
        sink: Callable[[Received], None],
        receive_maximum: int = MAX_RECEIVE_MAXIMUM,
        *,
        connected: Any = None,
        stopping: Any = None,
        shared_group: str | None = None,
    ) -> None:
        """``connected``/``stopping``: events to share (the receiver's are process-wide).

        ``shared_group``: subscribe as one member of that MQTT shared subscription group
        (``collector ingest --workers N``), so the broker gives each message to one member.
        """
        self.mqtt = mqtt
        self.shared_group = shared_group
        self.client_id = client_id
        self.sink = sink
        self.layout = TopicLayout(mqtt.topic_prefix)
        # The collector's config refuses values outside 1-65,535 (MQTT 5's range).
        self.receive_maximum = receive_maximum
        # Set once the broker has acknowledged our subscriptions on the current connection.
        self.connected = connected if connected is not None else threading.Event()
        # Bumped on every CONNACK: tokens from an older connection are never acknowledged
        # on a newer one (the broker resends those messages itself).
        self._generation = 0
        self._stopping = stopping if stopping is not None else threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> Any:
        client = make_client(self.mqtt, self.client_id, manual_ack=True, reconnect_max_s=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        """Connect in the background (retrying until the broker is up) and start the loop."""
        kwargs = session_connect_args(self.mqtt, receive_maximum=self.receive_maximum)
        self._client.connect_async(
            self.mqtt.host, self.mqtt.port, keepalive=self.mqtt.keepalive_s, **kwargs
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect; messages not yet acknowledged stay queued at the broker."""
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def acknowledge(self, tokens: list[Any]) -> None:
        """Acknowledge stored messages (relayed from the writer after each commit)."""
        generation = self._generation
        mids = [(mid, qos) for mid, qos, gen in tokens if gen == generation and qos > 0]
        if not mids:
            return
        client = self._client
        # One wake-up of paho's loop for the whole batch, not one per PUBACK.
        with one_wakeup(client):
            for mid, qos in mids:
                client.ack(mid, qos)

    def publish_receipts(self, by_device: dict[str, list[str]]) -> None:
        """Publish receipts for stored messages (relayed from the writer after a commit)."""
        publish_receipts(self._client, self.layout, by_device)

    def publish_commands(self, commands: tuple[tuple[str, bytes], ...]) -> None:
        """Publish campaign commands (QoS 1, not retained; paho queues them while offline)."""
        with one_wakeup(self._client):
            for topic, payload in commands:
                self._client.publish(topic, payload, qos=COMMAND_QOS)

    def _on_connect(
        self, client: Any, _userdata: Any, flags: Any, reason_code: Any, _props: Any
    ) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        self._generation += 1
        log.info(
            "connected to %s:%s (session present: %s)",
            self.mqtt.host,
            self.mqtt.port,
            flags.session_present,
        )
        # Subscribing on every connect renews the subscriptions if the session was lost.
        filters = self.layout.subscriptions(self.shared_group)
        client.subscribe([(f, 1) for f in filters])

    def _on_subscribe(
        self, _client: Any, _userdata: Any, _mid: int, reason_codes: Any, _props: Any
    ) -> None:
        failed = [rc for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("broker refused subscriptions: %s (check the broker ACL)", failed)
        # "connected" means subscribed: only then are new publishes sure to reach us.
        self.connected.set()

    def _on_disconnect(
        self, _client: Any, _userdata: Any, _flags: Any, reason_code: Any, _props: Any
    ) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        """Validate one PUBLISH and hand it on; never raises (that would kill paho's loop)."""
        now = time.time()
        payload = bytes(message.payload)
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = repr(raw_topic(message))[:500]  # the raw bytes, for the record
        if self._stopping.is_set():
            return  # shutting down: unacknowledged, so the broker resends it later
        item = receive(topic, payload, self.layout, now, keep_rows=False)
        item.token = (message.mid, message.qos, self._generation)
        self.sink(item)
