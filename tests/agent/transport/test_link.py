"""The paho link + flusher against a real Mosquitto: outages, sessions, auth, MQTT 5."""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.publish as mqtt_publish
import pytest

from edgebench.agent.transport.flusher import WINDOW
from edgebench.shared.codec import encode_message
from edgebench.shared.messages import CommandMessage, ReceiptMessage, StatusMessage
from edgebench.shared.topics import TopicLayout
from tests.agent.transport.conftest import DEVICE, Agent, Subscriber, wait_until
from tests.brokers import MosquittoBroker, documented_acl, make_password_file

LAYOUT = TopicLayout()


def test_messages_written_during_an_outage_arrive_once_after_restart(
    tmp_path: Path, mosquitto
) -> None:
    sub = Subscriber(mosquitto.port, client_id="collector-1").start()
    agent = Agent(tmp_path, mosquitto.url).start()
    try:
        before = agent.send(20)
        assert wait_until(lambda: len(sub.received) == 20 and agent.outbox.count() == 0)
        mosquitto.stop()
        assert wait_until(lambda: not agent.link.connected.is_set())
        during = agent.send(200, start=20)
        assert agent.outbox.count() == 200  # nothing acknowledged while the broker is down
        mosquitto.start()  # same port and persistence: the subscriber's session survives
        assert wait_until(lambda: agent.outbox.count() == 0, 30)
        assert wait_until(lambda: len(sub.received) >= 220, 30)
        got = [m.message_id for m in sub.messages()]
        # None lost, each exactly once after deduplication by message_id. A QoS 1 delivery
        # whose acknowledgement the stopped broker never saw may repeat: at most what was
        # unacknowledged then, the agent's window plus the broker's in-flight window to
        # the subscriber (Mosquitto's default max_inflight_messages, 20).
        assert set(got) == set(before + during)
        assert len(got) - len(set(got)) <= WINDOW + 20
        first_seen = list(dict.fromkeys(m.seq for m in sub.messages()))
        assert first_seen == list(range(220))  # and in order
    finally:
        agent.stop()
        sub.stop()


def test_messages_reach_a_collector_that_was_offline(tmp_path: Path, mosquitto) -> None:
    # Persistent session: subscribe once, go away, messages are queued by the broker.
    Subscriber(mosquitto.port, client_id="collector-away").start().stop()
    agent = Agent(tmp_path, mosquitto.url).start()
    try:
        ids = agent.send(50)
        assert wait_until(lambda: agent.outbox.count() == 0)
        sub = Subscriber(mosquitto.port, client_id="collector-away").start()
        assert wait_until(lambda: len(sub.received) >= 50)
        assert [m.message_id for m in sub.messages()] == ids
        sub.stop()
    finally:
        agent.stop()


def test_presence_retained_online_then_offline_on_clean_stop(tmp_path: Path, mosquitto) -> None:
    agent = Agent(tmp_path, mosquitto.url, presence=True).start()
    assert agent.link.wait_connected(10)
    status = [LAYOUT.status(DEVICE)]
    # CONNACK comes before the broker has the birth message: once a first subscriber has
    # seen it, the broker holds it retained, so a later subscriber must get the replay.
    early = Subscriber(mosquitto.port, filters=status).start()
    assert wait_until(lambda: early.received)
    early.stop()
    late = Subscriber(mosquitto.port, filters=status).start()  # joins after the birth message
    assert wait_until(lambda: late.received)
    _topic, _payload, retained = late.received[0]
    assert retained and late.messages()[0].state == "online"
    agent.stop()
    assert wait_until(lambda: len(late.received) == 2)
    last = late.messages()[-1]
    assert isinstance(last, StatusMessage) and (last.state, last.reason) == ("offline", "shutdown")
    late.stop()
    after = Subscriber(mosquitto.port, filters=status).start()
    assert wait_until(lambda: after.received)
    assert after.received[0][2] and after.messages()[0].state == "offline"
    after.stop()


def test_username_password_auth(tmp_path: Path) -> None:
    pwfile = make_password_file(tmp_path / "pw", {"dev": "s3cret", "collector": "c0llect"})
    broker = MosquittoBroker(tmp_path / "broker", password_file=pwfile)
    broker.start()
    try:
        sub = Subscriber(broker.port, username="collector", password="c0llect").start()
        good = Agent(tmp_path / "good", broker.url, username="dev", password="s3cret").start()
        ids = good.send(5)
        assert wait_until(lambda: len(sub.received) == 5)
        assert [m.message_id for m in sub.messages()] == ids
        good.stop()
        bad = Agent(tmp_path / "bad", broker.url, username="dev", password="wrong").start()
        bad.send(3)
        assert not bad.link.wait_connected(3)
        assert bad.outbox.count() == 3  # refused: kept for when the credentials are fixed
        bad.stop()
        sub.stop()
    finally:
        broker.stop()


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_both_protocol_versions_keep_the_session(tmp_path: Path, mosquitto, protocol) -> None:
    agent = Agent(tmp_path, mosquitto.url, protocol=protocol).start()
    sub = Subscriber(mosquitto.port).start()
    try:
        ids = agent.send(10)
        assert wait_until(lambda: len(sub.received) == 10)
        assert [m.message_id for m in sub.messages()] == ids
        assert set(sub.qos) == {1}  # published at QoS 1 (a delivery gets the lower of the two)
    finally:
        agent.stop()
        sub.stop()
    log = Path(mosquitto.log_path).read_text()
    # The broker saw the fixed client id, a persistent session (clean session off for
    # 3.1.1, clean start off for 5) and the configured keep-alive (make_config: 5 s).
    assert f"as edgebench-{DEVICE} (p{'5' if protocol == '5' else '2'}, c0, k5" in log


@pytest.mark.parametrize(
    ("protocol", "expiry_s", "kept"),
    [("3.1.1", 3600, True), ("5", 3600, True), ("5", 0, False)],
)
def test_commands_sent_while_the_agent_is_away_arrive_on_reconnect(
    tmp_path: Path, mosquitto, protocol: str, expiry_s: int, kept: bool
) -> None:
    # The broker keeps the agent's session (its cmd subscription and queued QoS 1 commands)
    # only with clean session off (3.1.1) or clean start off plus a session expiry (5).
    got: list[CommandMessage] = []
    agent = Agent(
        tmp_path, mosquitto.url, protocol=protocol, session_expiry_s=expiry_s, on_command=got.append
    ).start()
    assert agent.link.wait_connected(10)
    assert wait_until(
        lambda: "Received SUBSCRIBE from edgebench-" in mosquitto.log_path.read_text()
    )
    agent.stop()
    cmd = CommandMessage(device_id=DEVICE, command="run")
    mqtt_publish.single(
        LAYOUT.command(DEVICE),
        encode_message(cmd),
        qos=1,
        hostname="127.0.0.1",
        port=mosquitto.port,
    )
    again = Agent(
        tmp_path, mosquitto.url, protocol=protocol, session_expiry_s=expiry_s, on_command=got.append
    ).start()
    try:
        assert again.link.wait_connected(10)
        if kept:
            assert wait_until(lambda: [c.message_id for c in got] == [cmd.message_id])
        else:
            # Expiry 0: the broker forgot the session, so the command was never queued.
            again.send(1)
            assert wait_until(lambda: again.outbox.count() == 0)
            assert got == []
    finally:
        again.stop()


def test_reconnect_backs_off_exponentially_between_1_and_60_s(tmp_path: Path) -> None:
    # paho doubles the delay after each failed attempt from min to max (and resets it on
    # CONNACK); checking its settings avoids a timing assertion.
    agent = Agent(tmp_path, "mqtt://127.0.0.1:1")
    client = agent.link._client
    assert (client._reconnect_min_delay, client._reconnect_max_delay) == (1, 60)
    agent.outbox.close()


def test_documented_acl_lets_a_device_publish_its_own_topics_only(tmp_path: Path) -> None:
    users = {DEVICE: "devpw", "other-dev": "otherpw", "collector": "colpw"}
    pwfile = make_password_file(tmp_path / "pw", users)
    acl = tmp_path / "acl"
    acl.write_text(documented_acl())
    broker = MosquittoBroker(tmp_path / "broker", password_file=pwfile, acl_file=acl)
    broker.start()
    try:
        sub = Subscriber(broker.port, username="collector", password="colpw").start()
        agent = Agent(
            tmp_path / "dev", broker.url, presence=True, username=DEVICE, password="devpw"
        ).start()
        ids = agent.send(3)
        assert wait_until(lambda: len(sub.received) >= 4)  # online status + 3 events
        assert {m.message_id for m in sub.messages()} >= set(ids)
        agent.stop()
        # Another device's credentials cannot write this device's topics.
        impostor = Agent(
            tmp_path / "imp", broker.url, protocol="5", username="other-dev", password="otherpw"
        ).start()
        impostor.send(2)
        assert wait_until(lambda: impostor.outbox.count() == 0)  # refused, not retried forever
        assert impostor.flusher.rejected == 2
        impostor.stop()
        assert not any(m.message_id not in ids and m.type != "status" for m in sub.messages())
        sub.stop()
    finally:
        broker.stop()


def test_documented_acl_lets_only_the_collector_confirm_and_only_the_device_read(
    tmp_path: Path,
) -> None:
    users = {DEVICE: "devpw", "other-dev": "otherpw", "collector": "colpw"}
    pwfile = make_password_file(tmp_path / "pw", users)
    acl = tmp_path / "acl"
    acl.write_text(documented_acl())
    broker = MosquittoBroker(tmp_path / "broker", password_file=pwfile, acl_file=acl)
    broker.start()
    try:
        snoop = Subscriber(
            broker.port,
            filters=[LAYOUT.receipts(DEVICE)],
            username="other-dev",
            password="otherpw",
        ).start()
        agent = Agent(
            tmp_path / "dev", broker.url, receipt_timeout_s=60, username=DEVICE, password="devpw"
        ).start()
        ids = agent.send(3)
        assert wait_until(lambda: agent.flusher.awaiting_receipt == 3)
        assert agent.outbox.count() == 3  # the broker's PUBACK does not confirm them

        def receipt(message_ids: list[str], user: str, password: str) -> None:
            msg = ReceiptMessage(device_id=DEVICE, message_ids=message_ids)
            mqtt_publish.single(
                LAYOUT.receipts(DEVICE),
                encode_message(msg),
                qos=1,
                hostname="127.0.0.1",
                port=broker.port,
                auth={"username": user, "password": password},
            )

        receipt(ids[:1], "other-dev", "otherpw")  # denied: a device cannot confirm
        receipt(ids[1:2], DEVICE, "devpw")  # denied: nor can the device itself
        receipt(ids[2:], "collector", "colpw")
        assert wait_until(lambda: agent.outbox.count() == 2)
        assert {i.message_id for i in agent.outbox.pending()} == set(ids[:2])
        agent.stop()
        snoop.stop()
        assert snoop.received == []  # another device never reads this device's receipts
    finally:
        broker.stop()


def test_without_receipts_only_a_probe_is_resent_until_the_collector_answers(
    tmp_path: Path, mosquitto, subscriber
) -> None:
    agent = Agent(tmp_path, mosquitto.url, receipt_timeout_s=0.2).start()

    def deliveries() -> dict[str, int]:
        got: dict[str, int] = {}
        for msg in subscriber.messages():
            got[msg.message_id] = got.get(msg.message_id, 0) + 1
        return got

    def confirm(message_ids: list[str]) -> None:
        msg = ReceiptMessage(device_id=DEVICE, message_ids=message_ids)
        mqtt_publish.single(
            LAYOUT.receipts(DEVICE), encode_message(msg), qos=1, port=mosquitto.port
        )

    try:
        ids = agent.send(20)
        # Nobody confirms: the silent collector gets the oldest message again and again.
        assert wait_until(lambda: deliveries().get(ids[0], 0) >= 3, 60)
        got = deliveries()
        assert all(got[i] == 1 for i in ids[1:]), "only the probe is resent"
        assert agent.outbox.count() == 20
        # The collector answers the probe: everything that waited is resent at once ...
        confirm(ids[:1])
        assert wait_until(lambda: all(deliveries().get(i, 0) >= 2 for i in ids[1:]), 60)
        # ... and the rows go only when confirmed.
        assert agent.outbox.count() == 19
        confirm(ids[1:])
        assert wait_until(lambda: agent.outbox.count() == 0)
        assert agent.flusher.awaiting_receipt == 0
    finally:
        agent.stop()
