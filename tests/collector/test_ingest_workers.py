"""``collector ingest --workers N`` on real Mosquitto: shared subscription, SIGKILL, stored once.

Real processes throughout: the command itself (a supervisor and N worker processes, each
with its own receiver process), ``agent daemon`` boards that keep every run message until
its receipt, and Mosquitto. No timing assertions: every wait is a generous liveness bound.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from edgebench.collector.config import load_collector_config
from edgebench.collector.ingest.workers import worker_config
from edgebench.shared.errors import ConfigError
from edgebench.shared.messages import StatusMessage
from tests.collector.conftest import count
from tests.collector.helpers import Publisher, run_stream, wait_until
from tests.collector.test_receipts import (
    EDGEBENCH,
    make_daemon,
    prefill,
    stored_results,
    waiting,
)

PIDS = re.compile(r"ingest workers \(pids ([0-9 ]+)\)")


class Workers:
    """``edgebench collector ingest --workers N`` as a process (the supervisor)."""

    def __init__(self, tmp_path: Path, db_url: str, url: str, n: int) -> None:
        self.cmd = [EDGEBENCH, "collector", "ingest", "--db", db_url, "--broker", url]
        self.cmd += ["--workers", str(n)]
        self.log = tmp_path / "workers.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)

    def pids(self) -> list[int]:
        """The worker pids the supervisor announced at start."""
        wait_until(lambda: PIDS.search(self.log.read_text()), 60, "workers started")
        match = PIDS.search(self.log.read_text())
        assert match is not None
        return [int(p) for p in match.group(1).split()]

    def stop(self) -> int:
        """SIGTERM (the clean stop) and return the exit code."""
        self.proc.terminate()
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def test_worker_config_gives_each_worker_its_own_session_in_one_group() -> None:
    config = load_collector_config(None, {"ingest_workers": 3, "mqtt.url": "mqtt://h:1883"})
    assert config.effective_shared_group == "edgebench-ingest"
    ids = {worker_config(config, i).mqtt.client_id for i in range(3)}
    assert ids == {"edgebench-collector-w0", "edgebench-collector-w1", "edgebench-collector-w2"}
    assert {worker_config(config, i).shared_group for i in range(3)} == {"edgebench-ingest"}
    # One worker subscribes plainly unless a group is named (to join other machines' workers).
    assert load_collector_config(None, {}).effective_shared_group is None
    named = load_collector_config(None, {"shared_group": "site-a"})
    assert named.effective_shared_group == "site-a"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"ingest_workers": 0}, "ingest_workers: 0 is outside 1-64"),
        ({"shared_group": "a/b"}, "shared_group: 'a/b' is not valid"),
        ({"shared_group": "#"}, "shared_group: '#' is not valid"),
    ],
    ids=["zero-workers", "slash-group", "wildcard-group"],
)
def test_bad_worker_settings_are_refused_in_one_line(flags: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_collector_config(None, flags)


def test_workers_without_an_external_broker_are_refused_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    db = f"sqlite:///{tmp_path / 'c.db'}"
    proc = subprocess.run(
        [EDGEBENCH, "collector", "ingest", "--db", db, "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "--workers needs an external MQTT broker with shared subscriptions" in proc.stderr
    assert not (tmp_path / "c.db").exists()  # refused before anything started


@pytest.mark.both_databases
def test_three_workers_one_killed_mid_stream_store_every_message_once(
    tmp_path: Path, db_url: str, engine, mosquitto
) -> None:
    devices = [f"pi-{i}" for i in range(3)]
    runs_per_device, batches = 6, 10
    daemons = [make_daemon(tmp_path, mosquitto.url, device) for device in devices]
    expected = {f"{d}-run{i}" for d in devices for i in range(runs_per_device)}
    workers = Workers(tmp_path, db_url, mosquitto.url, 3)
    fed = threading.Event()

    def feed() -> None:
        """Boards finish runs throughout, one run per board at a time."""
        for i in range(runs_per_device):
            for device, daemon in zip(devices, daemons, strict=True):
                prefill(daemon.state_dir, run_stream(device, f"{device}-run{i}", batches))
            time.sleep(0.3)
        fed.set()

    try:
        victim = workers.pids()[1]
        for daemon in daemons:
            daemon.start()
        feeder = threading.Thread(target=feed)
        feeder.start()
        # Mid-stream: once some (not all) runs are stored, kill one worker outright.
        wait_until(lambda: len(stored_results(engine)) >= 3, 120, "some runs stored")
        os.kill(victim, signal.SIGKILL)
        feeder.join()
        assert fed.is_set()
        wait_until(
            lambda: all(waiting(d.state_dir) == 0 for d in daemons), 300, "every outbox empty"
        )
        log = workers.log.read_text()
        assert f"(pid {victim}) exited with -9; starting it again" in log
    finally:
        code = workers.stop()
        for daemon in daemons:
            daemon.cleanup()
    assert code == 0
    assert set(stored_results(engine)) == expected
    # Every message stored once: no sample row twice (+ the sample inside each result).
    assert count(engine, "samples") == len(expected) * (batches * 5 + 1)
    assert count(engine, "run_events") == len(expected)
    # The work was shared: more than one worker received messages (the broker log names
    # each). Not necessarily all three: under load the killed worker may have had none
    # before its SIGKILL and be back only after the others took the rest.
    broker_log = mosquitto.log_path.read_text(errors="replace")
    receivers = [
        i for i in range(3) if f"Sending PUBLISH to edgebench-collector-w{i}" in broker_log
    ]
    assert len(receivers) >= 2, receivers


def _status(engine, device: str) -> tuple | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, status_reason, status_ts FROM devices WHERE device_id = :d"),
            {"d": device},
        ).first()
    return None if row is None else tuple(row)


def _pubacks(mosquitto) -> int:
    """How many messages the workers have acknowledged: each only after its commit."""
    log = mosquitto.log_path.read_text(errors="replace")
    return len(re.findall(r"Received PUBACK from edgebench-collector-w", log))


@pytest.mark.both_databases
def test_two_workers_keep_each_devices_newest_status(
    tmp_path: Path, db_url: str, engine, mosquitto
) -> None:
    """A board's birth, last will and rebirth, then statuses sent out of order."""
    workers = Workers(tmp_path, db_url, mosquitto.url, 2)
    daemon = make_daemon(tmp_path, mosquitto.url, "pi-s")
    publisher = Publisher(mosquitto.port, "status-feeder")
    try:
        workers.pids()
        daemon.start()
        wait_until(lambda: (_status(engine, "pi-s") or ("",))[0] == "online", 120, "birth")
        birth = _status(engine, "pi-s")
        # The broker sends the will, whose ts is the birth's: it must still win.
        daemon.signal(signal.SIGKILL)
        wait_until(lambda: _status(engine, "pi-s")[0] == "offline", 120, "last will")
        assert _status(engine, "pi-s") == ("offline", "lost", birth[2])
        daemon.start()
        wait_until(lambda: _status(engine, "pi-s")[0] == "online", 120, "rebirth")
        assert _status(engine, "pi-s")[2] > birth[2]
        assert daemon.signal(signal.SIGTERM) == 0
        wait_until(lambda: _status(engine, "pi-s")[1] == "shutdown", 120, "clean stop")
        # Newest first, then two stale births: either worker may write any of them.
        before, now = _pubacks(mosquitto), time.time()
        publisher.publish(
            [
                StatusMessage(device_id="pi-t", state="offline", reason="shutdown", ts=now),
                StatusMessage(device_id="pi-t", state="online", reason="connected", ts=now - 60),
                StatusMessage(device_id="pi-t", state="online", reason="connected", ts=now - 30),
            ]
        )
        publisher.wait_acked()
        wait_until(lambda: _pubacks(mosquitto) >= before + 3, 120, "three statuses stored")
        assert _status(engine, "pi-t") == ("offline", "shutdown", now)
    finally:
        publisher.close()
        daemon.cleanup()
        code = workers.stop()
    assert code == 0
