"""Commanded runs as the collector stores them: a store model's run, and a run lost to a kill.

The real agent daemon (subprocess) and the real ingest service on a real Mosquitto, with
receipts on; a real HTTP server stands in for the model store's download endpoint. What
the campaign scheduler reads: the run row of a command, its status and error.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.agent.storeserver import TOKEN, StoreServer
from tests.agent.transport.daemonproc import Daemon, send_command
from tests.collector.conftest import count
from tests.collector.helpers import wait_until

SMALL = "mobilenet_v1_0.25_128_quant.tflite"
QUICK = {"runs": 5, "min_secs": 0.2, "warmup_runs": 1, "warmup_secs": 0, "threads": 1}
LONG = {"runs": 10**6, "min_secs": 300, "max_secs": 300, "rate_hz": 10, "threads": 1}


def _run_row(engine: sa.Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, error FROM runs WHERE run_id = :r"), {"r": run_id}
        ).one_or_none()
    return dict(row._mapping) if row else None


def _commanded_run(engine: sa.Engine, command_id: str) -> str | None:
    """The run id the daemon used for a command, from its stored events."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT run_id, data FROM run_events")).all()
    for run_id, data in rows:
        if _data(data).get("command_id") == command_id:
            return run_id
    return None


def _data(value: Any) -> dict[str, Any]:
    """An event's JSON data as a dict (a plain SQL query returns SQLite's JSON as text)."""
    return (json.loads(value) if isinstance(value, str) else value) or {}


def _kinds(engine: sa.Engine, run_id: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT kind, data FROM run_events WHERE run_id = :r ORDER BY id"),
            {"r": run_id},
        ).all()
    return [f"{kind}:{_data(data).get('phase', '')}" for kind, data in rows]


def test_store_model_run_and_lost_run_as_stored(
    mosquitto, engine, make_config, start_ingest, tmp_path: Path, models_dir: Path
) -> None:
    start_ingest(make_config(mosquitto.url), engine=engine)
    store = StoreServer(models_dir).start()
    token = tmp_path / "token"
    token.write_text(TOKEN)
    daemon = Daemon(
        tmp_path,
        mosquitto.url,
        EDGEBENCH_RECEIPT_TIMEOUT_S="30",  # the collector sends receipts
        EDGEBENCH_COLLECTOR_URL=store.url,
        EDGEBENCH_COLLECTOR_TOKEN_FILE=str(token),
    )
    try:
        daemon.start()
        # Its facts stored: it is connected and subscribed (subscribe precedes publishing).
        wait_until(lambda: count(engine, "devices"), 60, "the daemon's facts")
        digest = store.names[SMALL]
        cmd = send_command(mosquitto.port, model=f"sha256:{digest}", options=QUICK)
        run_id = wait_until(lambda: _commanded_run(engine, cmd.message_id), 120, "run")
        wait_until(
            lambda: (_run_row(engine, run_id) or {}).get("status") == "complete", 120, "result"
        )
        kinds = _kinds(engine, run_id)
        # The download's progress comes first, under the run's own id.
        assert kinds[0] == "run_progress:download" and "run_started:" in kinds

        long = send_command(mosquitto.port, model=f"sha256:{digest}", options=LONG)
        lost = wait_until(lambda: _commanded_run(engine, long.message_id), 120, "run")
        wait_until(lambda: "run_started:" in _kinds(engine, lost), 60, "run_started")
        daemon.signal(signal.SIGKILL)
        daemon.start()
        row = wait_until(
            lambda: (r := _run_row(engine, lost)) and r["status"] == "failed" and r, 60, "lost"
        )
        assert row["error"].startswith("lost: ")
        assert daemon.signal(signal.SIGTERM) == 0
    finally:
        daemon.cleanup()
        store.stop()
