"""The agent's MQTT connection: a paho 2.x client set up the way the contract asks.

A fixed client id derived from the device id with a persistent session (clean session
off for 3.1.1, ``clean_start=False`` plus a session expiry for 5), keep-alive, automatic
reconnect with exponential back-off, username/password and TLS from ``MqttConfig``.
With ``presence`` (the daemon) it also owns the device status: a retained ``offline``
last will and a retained ``online`` birth message on every connect, both with the
connection's ts. It subscribes to the device's ``cmd`` topic when given ``on_command``
and to its ``receipts`` topic when given ``on_receipt`` (the flusher sets it).

paho calls the callbacks from its network thread; this class only records state and
hands acknowledgements to ``on_ack`` (which must not block: paho holds its message lock
while calling it). Durability is the outbox's job, not paho's memory-only session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from edgebench.shared.codec import decode_message, encode_message
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import CommandMessage, ReceiptMessage, StatusMessage
from edgebench.shared.mqtt_client import make_client, session_connect_args
from edgebench.shared.mqtt_config import MqttConfig
from edgebench.shared.topics import TopicLayout
from edgebench.shared.version import __version__

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 60
# Status is published directly (never spooled: a replayed "online" would lie) at QoS 1,
# so a collector with a persistent session gets every change even if it was away.
STATUS_QOS = 1


def client_id_for(mqtt: MqttConfig, device_id: str, role: str = "") -> str:
    """Return the MQTT client id: configured, else ``edgebench-<device_id>[-role]``."""
    base = mqtt.client_id or f"edgebench-{device_id}"
    return f"{base}-{role}" if role else base


class MqttLink:
    """One persistent-session paho client for a device, started in the background."""

    def __init__(
        self,
        mqtt: MqttConfig,
        device_id: str,
        layout: TopicLayout,
        *,
        role: str = "",
        presence: bool = False,
        on_ack: Callable[[int, bool], None] | None = None,
        on_command: Callable[[CommandMessage], None] | None = None,
        on_receipt: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.mqtt = mqtt
        self.device_id = device_id
        self.layout = layout
        self.presence = presence
        self.on_ack = on_ack
        self.on_command = on_command
        self.on_receipt = on_receipt
        self.connected = threading.Event()
        self.connects = 0
        self.client_id = client_id_for(mqtt, device_id, role)
        # The ts of the will registered for the coming connection, which its birth repeats.
        self._will_ts = 0.0
        self._client = self._make_client()

    def _make_client(self) -> Any:
        client = make_client(
            self.mqtt,
            self.client_id,
            reconnect_min_s=RECONNECT_MIN_S,
            reconnect_max_s=RECONNECT_MAX_S,
        )
        client.enable_logger(logging.getLogger("edgebench.agent.transport.paho"))
        client.max_inflight_messages_set(50)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        if self.presence:
            # paho calls it before every connection attempt, reconnects included.
            client.on_pre_connect = self._on_pre_connect
        return client

    def _status(self, state: str, reason: str, ts: float | None = None) -> StatusMessage:
        return StatusMessage(
            device_id=self.device_id,
            state=state,  # type: ignore[arg-type]
            reason=reason,  # type: ignore[arg-type]
            edgebench_version=__version__,
            ts=time.time() if ts is None else ts,
        )

    def _on_pre_connect(self, client: Any, _u: Any) -> None:
        """Register a fresh ``offline`` last will for the connection about to be made.

        A new message_id per connection, so a collector deduplicating by message_id
        never mistakes a second loss for a resend. Its ts is the connection's: the birth
        message repeats it, and the collector lets an ``offline`` win a tie
        (docs/mqtt-contract.md, "Status order"), so this connection's will replaces its
        birth but never a later connection's.
        """
        will = self._status("offline", "lost")
        self._will_ts = will.ts
        client.will_set(self.layout.status(self.device_id), encode_message(will), STATUS_QOS, True)

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until ``stop``."""
        kwargs = session_connect_args(self.mqtt)
        try:
            self._client.connect_async(
                self.mqtt.host, self.mqtt.port, self.mqtt.keepalive_s, **kwargs
            )
        except (OSError, ValueError) as exc:
            raise EdgebenchError(f"cannot use broker {self.mqtt.url}: {exc}") from None
        self._client.loop_start()

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for a connection; True when connected."""
        return self.connected.wait(timeout_s)

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        """Hand one message to paho; return its mid, or None if paho refused it."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (0, 4):  # 4 = MQTT_ERR_NO_CONN: queued, sent after reconnect
            log.warning("publish to %s refused by paho: rc=%s", topic, info.rc)
            return None
        return int(info.mid)

    def stop(self, *, clean: bool = True, timeout_s: float = 5.0) -> None:
        """Disconnect; with ``presence`` and ``clean`` publish retained ``offline`` first."""
        if self.presence and clean and self.connected.is_set():
            msg = self._status("offline", "shutdown")
            info = self._client.publish(
                self.layout.status(self.device_id), encode_message(msg), STATUS_QOS, True
            )
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError):
                log.warning("offline status not confirmed before shutdown")
        # paho's network thread runs its loop once more after writing our DISCONNECT and
        # closing the socket (loop_stop() has not yet told it to end) and logs a spurious
        # "Client is not connected" error; nothing it logs from here on is actionable.
        self._client.disable_logger()
        self._client.disconnect()
        self._client.loop_stop()

    # --- paho callbacks (network thread) -------------------------------------------------

    def _on_connect(self, client: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.mqtt.url, reason)
            return
        self.connects += 1
        log.info("connected to %s (session present: %s)", self.mqtt.url, flags.session_present)
        if self.presence:
            online = self._status("online", "connected", ts=self._will_ts)
            client.publish(
                self.layout.status(self.device_id), encode_message(online), STATUS_QOS, True
            )
        # Subscribing on every connect renews it even if the broker lost the session.
        filters = []
        if self.on_command is not None:
            filters.append((self.layout.command(self.device_id), 1))
        if self.on_receipt is not None:
            filters.append((self.layout.receipts(self.device_id), 1))
        if filters:
            client.subscribe(filters)
        self.connected.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        log.info("disconnected from %s: %s", self.mqtt.url, reason)

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        if self.on_ack is not None:
            self.on_ack(mid, not reason.is_failure)

    def _on_message(self, _c: Any, _u: Any, message: Any) -> None:
        try:
            msg = decode_message(message.topic, message.payload, self.layout)
        except EdgebenchError as exc:
            log.warning("ignoring bad message on %s: %s", message.topic, exc.format_message())
            return
        if isinstance(msg, CommandMessage) and self.on_command is not None:
            self.on_command(msg)
        elif isinstance(msg, ReceiptMessage) and self.on_receipt is not None:
            self.on_receipt(msg.message_ids)
