"""Receipts end to end on real Mosquitto: a result leaves the board only when it is stored.

Real processes throughout: ``edgebench agent run`` and ``agent daemon``, the collector
(``IngestService`` in this process, or ``edgebench collector ingest`` when it must be
killed), Mosquitto with and without persistence, killed with SIGKILL. No timing
assertions: every wait is a generous liveness bound.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from edgebench.agent.transport.listener import OutboxWriter
from edgebench.agent.transport.outbox import RECEIPTED_KINDS, Outbox
from edgebench.shared.messages import Envelope
from tests.agent.test_cli_run import QUICK, SMALL
from tests.agent.transport.test_daemon import Daemon
from tests.brokers import MosquittoBroker
from tests.collector.conftest import count
from tests.collector.helpers import LAYOUT, run_stream, wait_until

EDGEBENCH = str(Path(sys.executable).with_name("edgebench"))
# Short, so resends come quickly in tests (the default is 30 s).
TIMEOUT = {"EDGEBENCH_RECEIPT_TIMEOUT_S": "1"}


def waiting(state: Path) -> int:
    """Run messages in a board's outbox (what has no receipt yet)."""
    outbox = Outbox.in_state_dir(state, 10_000)
    try:
        return sum(n for kind, (n, _) in outbox.summary().items() if kind in RECEIPTED_KINDS)
    finally:
        outbox.close()


def prefill(state: Path, msgs: list[Envelope]) -> None:
    """Write a run into a board's outbox the way the agent's listener does."""
    outbox = Outbox.in_state_dir(state, 10_000)
    writer = OutboxWriter(outbox, LAYOUT, lambda: None)
    for msg in msgs:
        assert writer.write(msg)
    outbox.close()


def stored_results(engine: sa.Engine) -> dict[str, int]:
    """run_id -> 1 for every run whose result is stored."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT run_id FROM runs WHERE result IS NOT NULL"))
        return {r: 1 for (r,) in rows}


def broker_received(broker: MosquittoBroker, topic_part: str) -> bool:
    """Whether the broker's log shows a PUBLISH on a topic containing ``topic_part``."""
    log = broker.log_path.read_text(errors="replace") if broker.log_path.exists() else ""
    return any("Received PUBLISH" in line and topic_part in line for line in log.splitlines())


def make_daemon(tmp_path: Path, url: str, device_id: str) -> Daemon:
    """An ``edgebench agent daemon`` for one board, with its own folder and a short timeout."""
    folder = tmp_path / device_id
    folder.mkdir()
    return Daemon(folder, url, EDGEBENCH_DEVICE_ID=device_id, **TIMEOUT)


def agent_env(tmp_path: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    return env | {
        "EDGEBENCH_STATE_DIR": str(state),
        "EDGEBENCH_CACHE_DIR": str(tmp_path / "cache"),
        **TIMEOUT,
    }


def run_once(tmp_path: Path, models_dir: Path, url: str, state: Path, out: Path) -> str:
    """``edgebench agent run --broker``; return the run id."""
    env = agent_env(tmp_path, state)
    cmd = [EDGEBENCH, "agent", "run", str(models_dir / SMALL), *QUICK, "-q"]
    cmd += ["--broker", url, "--device-id", "pi-r", "--json", str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=180)
    return json.loads(out.read_text())["run_id"]


def test_a_broker_without_persistence_restarted_loses_no_result(
    tmp_path: Path, models_dir: Path, engine, make_config, start_ingest
) -> None:
    """The issue's scenario: the daemon flushes before the collector resubscribes."""
    broker = MosquittoBroker(tmp_path / "broker", persistence=False)
    broker.start()
    daemon = make_daemon(tmp_path, broker.url, "pi-r")
    state = daemon.state_dir
    try:
        first = start_ingest(make_config(broker.url), engine=engine)
        run1 = run_once(tmp_path, models_dir, broker.url, state, tmp_path / "r1.json")
        wait_until(lambda: run1 in stored_results(engine), 60, "run 1 stored")
        wait_until(lambda: waiting(state) == 0, 60, "run 1 confirmed")

        broker.stop()
        run2 = run_once(tmp_path, models_dir, broker.url, state, tmp_path / "r2.json")
        assert waiting(state) > 0, "run 2 waits in the outbox"
        first.stop()  # the collector is away while the broker restarts

        broker.start()  # without persistence: every session and subscription is gone
        daemon.start()
        wait_until(lambda: broker_received(broker, f"/runs/{run2}/result"), 60, "daemon flush")
        # The broker acknowledged run 2 with nobody subscribed; before receipts that
        # emptied the outbox and the result was lost. Now it stays until stored.
        assert waiting(state) > 0
        assert run2 not in stored_results(engine)

        start_ingest(make_config(broker.url), engine=engine)
        wait_until(lambda: waiting(state) == 0, 120, "run 2 confirmed")
        # Receipts follow the commit: an empty outbox means the result is stored.
        assert run2 in stored_results(engine)
        assert set(stored_results(engine)) == {run1, run2}
    finally:
        daemon.cleanup()
        broker.stop()


def test_broker_killed_while_the_collector_is_away_then_everything_arrives_once(
    tmp_path: Path, engine, make_config, start_ingest
) -> None:
    # autosave far away: the SIGKILL loses the broker's queue for the collector.
    broker = MosquittoBroker(tmp_path / "broker", autosave_interval_s=3600)
    broker.start()
    daemon = make_daemon(tmp_path, broker.url, "pi-k")
    state = daemon.state_dir
    runs = [run_stream("pi-k", f"run-k{i}", batches=20) for i in range(3)]
    try:
        # The collector subscribed once (the broker queues for its session), then left.
        start_ingest(make_config(broker.url), engine=engine).stop()
        for msgs in runs:
            prefill(state, msgs)
        daemon.start()
        wait_until(lambda: broker_received(broker, "/runs/run-k2/result"), 60, "queued")
        assert waiting(state) == sum(len(m) for m in runs)  # PUBACK deleted nothing
        broker.kill()
        broker.start()
        start_ingest(make_config(broker.url), engine=engine)
        wait_until(lambda: waiting(state) == 0, 120, "all confirmed")
    finally:
        daemon.cleanup()
        broker.stop()
    assert set(stored_results(engine)) == {"run-k0", "run-k1", "run-k2"}
    assert count(engine, "samples") == 3 * (20 * 5 + 1)  # + the sample inside each result
    assert count(engine, "run_events") == 3


COLLECTOR_DIES_AFTER_COMMIT = """
import os, signal, sys, threading
from edgebench.collector.config import load_collector_config
from edgebench.collector.ingest import receipts, service
from edgebench.collector.ingest.service import IngestService

def die(batch):
    # The commit is done; the receipts for the run's first messages would go out now.
    by_device = receipts.receipted_ids(batch)
    if by_device:
        os.kill(os.getpid(), signal.SIGKILL)
    return by_device

if __name__ == "__main__":  # the receiver process is spawned and imports this module
    service.receipted_ids = die
    config = load_collector_config(None, {"db": sys.argv[1], "mqtt.url": sys.argv[2]})
    IngestService(config).start()
    threading.Event().wait()
"""


def test_collector_killed_between_commit_and_receipt_stores_the_resend_once(
    tmp_path: Path, db_url: str, engine, make_config, start_ingest, mosquitto
) -> None:
    daemon = make_daemon(tmp_path, mosquitto.url, "pi-c")
    state = daemon.state_dir
    msgs = run_stream("pi-c", "run-c", batches=50)
    prefill(state, msgs)
    script = tmp_path / "dies.py"
    script.write_text(COLLECTOR_DIES_AFTER_COMMIT)
    collector = subprocess.Popen(
        [sys.executable, str(script), db_url, mosquitto.url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        daemon.start()
        assert collector.wait(120) == -signal.SIGKILL  # died right after its first commit
        stored_before = count(engine, "samples") + count(engine, "run_events")
        assert stored_before > 0, "the kill came after a commit"
        assert waiting(state) == len(msgs), "no receipt, so nothing left the outbox"
        start_ingest(make_config(mosquitto.url), engine=engine)
        wait_until(lambda: waiting(state) == 0, 120, "all confirmed")
    finally:
        if collector.poll() is None:
            collector.kill()
        daemon.cleanup()
    assert set(stored_results(engine)) == {"run-c"}
    # Resent and redelivered rows stored once (+ the sample inside the result).
    assert count(engine, "samples") == 50 * 5 + 1
    assert count(engine, "run_events") == 1


class Collector:
    """``edgebench collector ingest`` as a process, to be killed with SIGKILL."""

    def __init__(self, tmp_path: Path, db_url: str, url: str) -> None:
        self.cmd = [EDGEBENCH, "collector", "ingest", "--db", db_url, "--broker", url]
        self.log = tmp_path / "collector.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None


def test_three_daemons_under_broker_and_collector_kills_store_every_run_once(
    tmp_path: Path, db_url: str, engine, mosquitto
) -> None:
    devices = [f"pi-{i}" for i in range(3)]
    runs_per_device, batches = 6, 10
    daemons = [make_daemon(tmp_path, mosquitto.url, device) for device in devices]
    collector = Collector(tmp_path, db_url, mosquitto.url)
    expected = {f"{d}-run{i}" for d in devices for i in range(runs_per_device)}
    done = threading.Event()

    def feed() -> None:
        """Boards finish runs throughout the chaos, one run per board at a time."""
        for i in range(runs_per_device):
            for device, daemon in zip(devices, daemons, strict=True):
                prefill(daemon.state_dir, run_stream(device, f"{device}-run{i}", batches))
            time.sleep(0.5)
        done.set()

    try:
        collector.start()
        for daemon in daemons:
            daemon.start()
        feeder = threading.Thread(target=feed)
        feeder.start()
        for round_ in range(6):
            time.sleep(1.0)  # let traffic flow between kills (not a timing assertion)
            if round_ % 2 == 0:
                mosquitto.kill()
                mosquitto.start()
            else:
                collector.kill()
                collector.start()
        feeder.join()
        assert done.is_set()
        wait_until(
            lambda: all(waiting(d.state_dir) == 0 for d in daemons), 300, "every outbox empty"
        )
    finally:
        collector.stop()
        for daemon in daemons:
            daemon.cleanup()
    assert set(stored_results(engine)) == expected
    assert count(engine, "samples") == len(expected) * (batches * 5 + 1)
    assert count(engine, "run_events") == len(expected)
