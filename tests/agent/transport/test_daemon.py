"""``edgebench agent daemon`` as a real process against a real broker."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from edgebench.agent.transport.outbox import OUTBOX_FILE, Outbox
from edgebench.shared.codec import encode_message, topic_for
from edgebench.shared.messages import (
    FactsMessage,
    RunProgressMessage,
    SamplesMessage,
    StatusMessage,
)
from tests.agent.transport.conftest import DEVICE, Subscriber, wait_until
from tests.agent.transport.daemonproc import EDGEBENCH, LAYOUT, Daemon, send_command


@pytest.fixture()
def daemon(tmp_path: Path, mosquitto):
    d = Daemon(tmp_path, mosquitto.url, EDGEBENCH_STATUS_INTERVAL_S="1")
    yield d
    d.cleanup()


def _status(sub: Subscriber) -> list[StatusMessage]:
    return [m for m in sub.messages() if isinstance(m, StatusMessage)]


def test_online_facts_then_offline_on_sigterm(daemon: Daemon, subscriber: Subscriber) -> None:
    daemon.start()
    assert wait_until(lambda: len(subscriber.of_type("facts")) >= 2)  # on connect + interval
    assert next((s.state, s.reason) for s in _status(subscriber)) == ("online", "connected")
    facts = subscriber.of_type("facts")[-1]
    assert isinstance(facts, FactsMessage) and facts.facts.device_id == DEVICE
    assert facts.facts.cpu_cores >= 1 and facts.outbox_dropped_samples == 0
    assert daemon.signal(signal.SIGTERM) == 0
    assert wait_until(lambda: _status(subscriber)[-1].state == "offline")
    assert _status(subscriber)[-1].reason == "shutdown"
    assert "Traceback" not in daemon.log.read_text()


def test_sigkill_leaves_the_retained_last_will(daemon: Daemon, mosquitto) -> None:
    daemon.start()
    status = [LAYOUT.status(DEVICE)]
    sub = Subscriber(mosquitto.port, filters=status).start()
    assert wait_until(lambda: sub.received and _status(sub)[-1].state == "online")
    online = _status(sub)[-1]
    daemon.signal(signal.SIGKILL)
    assert wait_until(lambda: _status(sub)[-1].state == "offline")
    will = _status(sub)[-1]
    assert will.reason == "lost" and will.message_id != online.message_id
    # The will carries its connection's ts, which the birth repeats: the collector lets an
    # offline win the tie, so this will replaces this birth (docs/mqtt-contract.md).
    assert will.ts == online.ts
    sub.stop()
    # Retained: a collector connecting later still sees the device as offline.
    late = Subscriber(mosquitto.port, filters=status).start()
    assert wait_until(lambda: late.received)
    assert late.received[0][2] and _status(late)[0].reason == "lost"
    late.stop()


def _prefill(state_dir: Path, n: int, max_messages: int) -> list[str]:
    """Fill the outbox the way a long offline spell does: telemetry and events.

    Written in one transaction straight into the outbox table (one fsync instead of
    one per event) to keep the test fast; the rows are what ``Outbox.put`` writes.
    """
    Outbox.in_state_dir(state_dir, max_messages).close()  # creates the schema
    rows = []
    for i in range(n):
        if i % 2:
            msg = SamplesMessage(device_id=DEVICE, run_id="r1", seq=i, columns={"t": [float(i)]})
        else:
            msg = RunProgressMessage(
                device_id=DEVICE, run_id="r1", seq=i, phase="measure", done=i, elapsed_s=1.0
            )
        kind = "samples" if i % 2 else "event"
        rows.append((msg.message_id, kind, topic_for(msg, LAYOUT), encode_message(msg), 1, 0, 0.0))
    with sqlite3.connect(state_dir / OUTBOX_FILE) as db:
        db.executemany(
            "INSERT INTO outbox (message_id, kind, topic, payload, qos, retain, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return [r[0] for r in rows]


def test_killed_mid_flush_then_restarted_loses_nothing(tmp_path: Path, mosquitto) -> None:
    daemon = Daemon(tmp_path, mosquitto.url, EDGEBENCH_OUTBOX_MAX_MESSAGES="4000")
    ids = _prefill(daemon.state_dir, 4000, 4000)  # a full outbox
    precious = set(ids[::2])
    sub = Subscriber(mosquitto.port, client_id="collector").start()
    try:
        daemon.start()
        assert wait_until(lambda: len(sub.received) >= 100)
        daemon.signal(signal.SIGKILL)
        left = Outbox.in_state_dir(daemon.state_dir, 4000).count()
        assert 0 < left < 4000, "the kill should land in the middle of the flush"
        daemon.start()
        box = Outbox.in_state_dir(daemon.state_dir, 4000)
        assert wait_until(lambda: box.count() == 0, 60)
        box.close()
        # Decoding is the slow part of the check, so count raw deliveries first.
        assert wait_until(lambda: len(sub.received) >= 4000, 30)
        assert wait_until(lambda: precious <= set(sub.by_id()), 30)
        assert daemon.signal(signal.SIGTERM) == 0
        delivered = [m.message_id for m in sub.messages() if m.message_id in set(ids)]
        # Events are never lost. If the daemon's first facts message found the outbox
        # full, the oldest telemetry made room: dropped, counted and reported. The counter
        # is an upper bound: the dropped row may already have been handed to paho (the
        # flusher starts before the facts are written), and then it still arrives.
        missing = set(ids) - set(delivered)
        assert not missing & precious
        reported = sub.of_type("facts")[-1].outbox_dropped_samples
        assert len(missing) <= reported <= 1
        # Resends after the kill (sent, not yet acknowledged) are few; the collector
        # drops them by message_id.
        assert 0 <= len(delivered) - len(set(delivered)) <= 200
        first = {i: delivered.index(i) for i in set(delivered)}
        assert sorted(first, key=first.get) == [i for i in ids if i in first]  # in order
    finally:
        daemon.cleanup()
        sub.stop()


def test_run_command_runs_a_benchmark_and_publishes_it(
    tmp_path: Path, subscriber: Subscriber, mosquitto, models_dir: Path
) -> None:
    # The board's operator configured this model; a command names it by its file name.
    configured = str(models_dir / "mobilenet_v1_0.25_128_quant.tflite")
    daemon = Daemon(tmp_path, mosquitto.url, EDGEBENCH_MODELS=configured)
    try:
        _run_commands(daemon, subscriber, mosquitto, tmp_path)
    finally:
        daemon.cleanup()


def _run_commands(daemon: Daemon, subscriber: Subscriber, mosquitto, tmp_path: Path) -> None:
    daemon.start()
    assert wait_until(lambda: subscriber.of_type("facts"))
    model = "mobilenet_v1_0.25_128_quant.tflite"
    # Paths and URLs a command names are refused before anything is opened: a FIFO would
    # block the daemon forever if it were opened, so a prompt refusal proves it was not.
    fifo = tmp_path / "trap.tflite"
    os.mkfifo(fifo)
    hostile = [str(fifo), "../../etc/passwd", "/etc/shadow", "http://example.invalid/m.tflite"]
    # A store name is 64 hex digits, never a path: these are refused before any fetch.
    hostile_store = ["sha256:../x", f"sha256:{fifo}", "sha256:../../trap.tflite"]
    refused = [send_command(mosquitto.port, model=m) for m in hostile]
    refused_store = [send_command(mosquitto.port, model=m) for m in hostile_store]
    options = {"runs": 5, "min_secs": 0.2, "warmup_runs": 1, "warmup_secs": 0, "threads": 1}
    cmd = send_command(mosquitto.port, model=model, options=options)
    bad = send_command(mosquitto.port, model=model, options={"threads": "many"})
    old = send_command(mosquitto.port, model=model, expires_at=time.time() - 60)
    expected_failures = 2 + len(hostile) + len(hostile_store)
    assert wait_until(lambda: len(subscriber.of_type("run_failed")) >= expected_failures, 120)
    assert wait_until(lambda: subscriber.of_type("result"), 120)
    (started,) = subscriber.of_type("run_started")
    assert started.command_id == cmd.message_id
    (result,) = subscriber.of_type("result")
    assert result.run_id == started.run_id and result.result.config.threads == 1
    assert result.result.model.name.startswith("mobilenet_v1_0.25_128_quant")
    failures = {f.command_id: f.error for f in subscriber.of_type("run_failed")}
    assert "options.threads" in failures[bad.message_id]
    assert failures[old.message_id].startswith("expired: ")
    for cmd in refused:
        assert "refused: a command may name a catalog model" in failures[cmd.message_id]
    for cmd in refused_store:
        assert "refused: a store model is named sha256:" in failures[cmd.message_id]
    assert daemon.signal(signal.SIGTERM) == 0


def test_daemon_without_a_broker_is_a_one_line_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    env["EDGEBENCH_STATE_DIR"] = str(tmp_path)
    out = subprocess.run(
        [EDGEBENCH, "agent", "daemon"], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 2
    assert out.stderr.startswith("edgebench: error: ") and "--broker" in out.stderr
    assert "Traceback" not in out.stderr
