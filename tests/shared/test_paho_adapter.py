"""shared/paho_adapter against the installed paho and a real Mosquitto.

These tests pin down what the adapter assumes of paho's private attributes, so a paho
release that changes them fails here; pyproject.toml pins paho-mqtt to the tested minor.
"""

from __future__ import annotations

import importlib.metadata
import socket
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from edgebench.shared.paho_adapter import one_wakeup, raw_topic

paho = pytest.importorskip("paho.mqtt.client")

ROOT = Path(__file__).resolve().parents[2]


def test_raw_topic_keeps_bytes_that_are_not_utf8() -> None:
    message = paho.MQTTMessage(mid=1, topic=b"edgebench/v1/\xff\xfe/result")
    with pytest.raises(UnicodeDecodeError):
        _ = message.topic  # why the adapter is needed
    assert raw_topic(message) == b"edgebench/v1/\xff\xfe/result"
    assert raw_topic(paho.MQTTMessage(mid=2, topic=b"a/b")) == b"a/b"


def _client(client_id: str, **kwargs: object) -> paho.Client:
    return paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, **kwargs
    )


def _loop_until(client: paho.Client, done: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "broker did not answer in time"
        client.loop(0.05)


def _wakeups(client: paho.Client) -> int:
    """Bytes paho wrote to its wake-up socket pair since the last call (read end drained)."""
    reader: socket.socket = client._sockpairR
    reader.setblocking(False)
    total = 0
    while True:
        try:
            chunk = reader.recv(4096)
        except BlockingIOError:
            return total
        total += len(chunk)


def test_one_wakeup_sends_every_ack_with_one_wakeup(mosquitto) -> None:
    received: list[paho.MQTTMessage] = []
    subscribed: list[bool] = []
    sub = _client("adapter-sub", manual_ack=True)
    sub.on_message = lambda _c, _u, message: received.append(message)
    sub.on_subscribe = lambda *_args: subscribed.append(True)
    sub.connect("127.0.0.1", mosquitto.port)
    sub.subscribe("adapter/#", qos=1)
    _loop_until(sub, lambda: subscribed)

    pub = _client("adapter-pub")
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    for n in range(6):
        pub.publish(f"adapter/{n}", b"x", qos=1).wait_for_publish(10)
    _loop_until(sub, lambda: len(received) == 6)

    # paho's assumption: one wake-up byte per queued packet.
    _wakeups(sub)
    for message in received[:3]:
        sub.ack(message.mid, message.qos)
    assert _wakeups(sub) == 3
    # The adapter: the same acks, one wake-up for the batch, and the socket is put back.
    writer = sub._sockpairW
    with one_wakeup(sub):
        for message in received[3:]:
            sub.ack(message.mid, message.qos)
    assert _wakeups(sub) == 1
    assert sub._sockpairW is writer
    sub.loop(0.1)
    sub.disconnect()

    # Every ack reached the broker: the persistent session resends nothing.
    again: list[paho.MQTTMessage] = []
    resumed = _client("adapter-sub", manual_ack=True)
    resumed.on_message = lambda _c, _u, message: again.append(message)
    connected: list[bool] = []
    resumed.on_connect = lambda *_args: connected.append(True)
    resumed.connect("127.0.0.1", mosquitto.port)
    _loop_until(resumed, lambda: connected)
    pub.publish("adapter/marker", b"end", qos=1).wait_for_publish(10)
    _loop_until(resumed, lambda: again)
    assert [m.topic for m in again] == ["adapter/marker"]
    resumed.disconnect()
    pub.loop_stop()
    pub.disconnect()


def test_installed_paho_is_within_the_pinned_range() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    pins = {
        str(req.specifier)
        for extra in ("agent", "collector")
        for req in map(Requirement, extras[extra])
        if req.name == "paho-mqtt"
    }
    assert len(pins) == 1, pins  # the agent and the collector pin the same range
    (pin,) = pins
    assert importlib.metadata.version("paho-mqtt") in Requirement(f"paho-mqtt{pin}").specifier
