"""A run inside the arm64 root reaches the collector on the host over a real Mosquitto broker."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.arm64.chroot import MINIMAL_RUN, SMALL, Arm64Root
from tests.brokers import MosquittoBroker

# One worker builds from the source tree at a time (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("source-tree")]

# The collector runs on the host, from the test's own environment (the editable install).
HOST_EDGEBENCH = (sys.executable, "-c", "from edgebench.shared.cli import main; main()")
INGEST = ("collector", "ingest", "--broker")


def _wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> object:
    """Poll until ``predicate()`` is truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


@contextmanager
def _collector(broker: MosquittoBroker, db: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``edgebench collector ingest`` from the host venv, subscribed before this yields."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*HOST_EDGEBENCH, *INGEST, broker.url, "--db", f"sqlite:///{db}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # The broker logs every SUBSCRIBE (log_type all): then no result can be missed.
        _wait_for(
            lambda: proc.poll() is not None or "Received SUBSCRIBE" in broker.log_path.read_text(),
            60,
            "the collector to subscribe",
        )
        assert proc.poll() is None, f"collector exited: {log.read_text()[-3000:]}"
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stored_run(db: Path, run_id: str) -> tuple[str, str, str] | None:
    """(device_id, status, result JSON) of a run in the collector's SQLite file, if stored."""
    if not db.exists():
        return None
    with closing(sqlite3.connect(db)) as conn:
        try:
            row = conn.execute(
                "SELECT device_id, status, result FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        except sqlite3.OperationalError:  # schema not created yet
            return None
    return row if row and row[1] == "complete" else None


def test_run_over_mqtt_from_arm64_reaches_collector(
    arm64: Arm64Root, arm64_data: str, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    db = tmp_path / "collector.db"
    device_id = f"arm64-{arm64.session}"
    with _collector(mosquitto, db, tmp_path / "collector.log") as collector:
        # The chroot shares the host's network namespace, so 127.0.0.1 is the host's broker.
        result = arm64.run_json(
            "mqtt-run",
            f"{arm64_data}/models/{SMALL}",
            *MINIMAL_RUN,
            *("--broker", mosquitto.url, "--device-id", device_id),
        )
        row = _wait_for(
            lambda: collector.poll() is None and _stored_run(db, result["run_id"]),
            60,
            f"run {result['run_id']} in the collector database",
        )
    stored_device, status, document = row
    assert stored_device == device_id
    assert status == "complete"
    stored = json.loads(document)
    assert stored["device"]["architecture"] == "aarch64"
    assert stored["device"]["device_id"] == device_id
    assert stored["latencies_ms"] == result["latencies_ms"]
