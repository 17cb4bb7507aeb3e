"""The receiver process: order kept, a dead receiver replaced, every stored message acked."""

from __future__ import annotations

import os
import random
import signal

import sqlalchemy as sa

from edgebench.shared.messages import StatusMessage
from tests.collector.helpers import Publisher, run_stream, wait_until
from tests.collector.test_fuzz import malformed
from tests.collector.test_ingest import assert_exactly, stored


def test_decoded_messages_are_stored_in_arrival_order(
    mosquitto, engine, make_config, start_ingest
) -> None:
    """Status is last-one-wins: batching across the pipe must not reorder messages."""
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    pub = Publisher(mosquitto.port, "pi-o")
    states = [("online", "connected"), ("offline", "shutdown")] * 150
    pub.publish(
        StatusMessage(device_id="pi-o", state=s, reason=r, ts=1000.0 + i)  # type: ignore[arg-type]
        for i, (s, r) in enumerate(states)
    )
    pub.wait_acked()
    last_ts = 1000.0 + len(states) - 1

    def device_row() -> tuple[str, float] | None:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT status, status_ts FROM devices")).first()
        return None if row is None else (row[0], row[1])

    # "accepted" may count a redelivered duplicate (a loaded broker can resend before
    # the ack), so wait for the last status itself; a reordering never reaches it.
    wait_until(lambda: service.health()["accepted"] >= len(states), what="every status stored")
    wait_until(lambda: (device_row() or ("", 0.0))[1] == last_ts, what="the last status")
    assert device_row() == ("offline", last_ts)
    pub.close()


def test_a_killed_receiver_is_replaced_and_loses_nothing(
    mosquitto, engine, make_config, start_ingest
) -> None:
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    pub = Publisher(mosquitto.port, "pi-k")
    msgs = run_stream("pi-k", "run-k", batches=30)
    pub.publish(msgs[:10])
    pub.wait_acked()
    wait_until(lambda: service.health()["accepted"] >= 10, what="first messages")
    victim = service.receiver.pid
    os.kill(victim, signal.SIGKILL)
    pub.publish(msgs[10:])
    pub.wait_acked()
    wait_until(lambda: stored(engine, 151, 1), what="the rest stored")
    assert_exactly(engine, {"run-k": 30})
    health = service.health()
    assert health["receiver_pid"] != victim and health["receiver_restarts"] == 1
    assert health["rejected"] == 0 and health["connected"]
    pub.close()


def test_malformed_input_is_rejected_and_counted_and_honest_traffic_stored(
    mosquitto, engine, make_config, start_ingest
) -> None:
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    rng = random.Random(99)
    bad = [malformed(rng, i) for i in range(300)]
    hostile = Publisher(mosquitto.port, "pi-f")
    honest = Publisher(mosquitto.port, "pi-ok")
    for topic, payload in bad:
        hostile.publish_raw(topic, payload)
    honest.publish(run_stream("pi-ok", "run-ok", batches=5))
    hostile.wait_acked(60)
    honest.wait_acked(60)
    wait_until(lambda: service.health()["messages"] >= len(bad) + 7, 60, "all processed")
    health = service.health()
    assert (health["rejected"], health["accepted"]) == (len(bad), 7)
    assert health["writer_alive"] and health["connected"]
    assert_exactly(engine, {"run-ok": 5})
    hostile.close()
    honest.close()


def test_every_stored_message_is_acknowledged_to_the_broker(
    mosquitto, engine, make_config, start_ingest
) -> None:
    """PUBACKs are queued per batch with one wake-up of paho's loop: all must go out."""
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    pub = Publisher(mosquitto.port, "pi-q")
    pub.publish(run_stream("pi-q", "run-q", batches=30))
    pub.wait_acked()
    wait_until(lambda: stored(engine, 151, 1), what="stored")
    acked = "Received PUBACK from edgebench-collector "

    def broker_got_all() -> bool:
        log = mosquitto.log_path.read_text(errors="replace")
        return sum(acked in line for line in log.splitlines()) >= 32

    wait_until(broker_got_all, what="32 PUBACKs at the broker")
    assert service.health()["accepted"] == 32
    pub.close()
