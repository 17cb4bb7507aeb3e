"""Fixtures for transport tests: agent configs pointing at the real broker, a subscriber."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.transport.flusher import Flusher
from edgebench.agent.transport.link import MqttLink
from edgebench.agent.transport.listener import OutboxWriter
from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.codec import decode_message
from edgebench.shared.messages import Message, RunProgressMessage
from edgebench.shared.mqtt_config import MqttConfig
from edgebench.shared.topics import TopicLayout

DEVICE = "bench-dev-1"


def make_config(tmp_path: Path, url: str, **mqtt_fields: Any) -> AgentConfig:
    """An agent config with its own state dir, talking to ``url``.

    PUBACK confirms (``receipt_timeout_s=0``): these tests listen with a bare subscriber,
    not a collector that sends receipts (receipts: ``tests/collector/test_receipts.py``).
    """
    return AgentConfig(
        device_id=DEVICE,
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        outbox_max_messages=1000,
        receipt_timeout_s=0.0,
        mqtt=MqttConfig(url=url, keepalive_s=5, **mqtt_fields),
    )


def wait_until(predicate: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Poll ``predicate`` until true or the timeout (a liveness bound, not a timing check)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Subscriber:
    """A collector-like test client: persistent session, QoS 1, records every delivery."""

    def __init__(
        self,
        port: int,
        *,
        filters: list[str] | None = None,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.layout = TopicLayout()
        self.filters = filters or self.layout.subscriptions()
        self.port = port
        self.received: list[tuple[str, bytes, bool]] = []
        self.qos: list[int] = []  # the QoS of each delivery (min of publish and subscribe)
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-sub-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message

    def _on_connect(self, client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe([(f, 1) for f in self.filters])

    def _on_message(self, _c: Any, _u: Any, message: Any) -> None:
        with self.lock:
            self.received.append((message.topic, message.payload, bool(message.retain)))
            self.qos.append(int(message.qos))

    def start(self) -> Subscriber:
        self.client.connect("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()
        assert self.subscribed.wait(10), "subscriber did not subscribe"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def messages(self) -> list[Message]:
        """Every delivery decoded (duplicates included)."""
        with self.lock:
            items = list(self.received)
        return [decode_message(t, p, self.layout) for t, p, _ in items]

    def by_id(self) -> dict[str, Message]:
        """Deliveries deduplicated by message_id, as the collector stores them."""
        return {m.message_id: m for m in self.messages()}

    def of_type(self, kind: str) -> list[Message]:
        return [m for m in self.messages() if m.type == kind]


class Agent:
    """An in-process agent: outbox + link + flusher, as the daemon wires them."""

    def __init__(
        self,
        tmp_path: Path,
        url: str,
        *,
        presence: bool = False,
        on_command: Callable[[Any], None] | None = None,
        receipt_timeout_s: float | None = None,
        **mqtt: Any,
    ) -> None:
        config = make_config(tmp_path, url, **mqtt)
        self.outbox = Outbox.in_state_dir(config.state_dir, 1000)
        self.link = MqttLink(
            config.mqtt, DEVICE, TopicLayout(), presence=presence, on_command=on_command
        )
        self.flusher = Flusher(self.outbox, self.link, receipt_timeout_s)
        self.writer = OutboxWriter(self.outbox, TopicLayout(), self.flusher.notify)

    def start(self) -> Agent:
        self.link.start()
        self.flusher.start()
        return self

    def send(self, n: int, start: int = 0) -> list[str]:
        ids = []
        for i in range(start, start + n):
            msg = RunProgressMessage(
                device_id=DEVICE, run_id="r1", seq=i, phase="measure", done=i, elapsed_s=0.1
            )
            assert self.writer.write(msg)
            ids.append(msg.message_id)
        return ids

    def stop(self) -> None:
        self.flusher.stop()
        self.link.stop()
        self.outbox.close()


@pytest.fixture()
def subscriber(mosquitto) -> Iterator[Subscriber]:
    """A subscriber to everything devices publish, connected before the test acts."""
    sub = Subscriber(mosquitto.port).start()
    yield sub
    sub.stop()
