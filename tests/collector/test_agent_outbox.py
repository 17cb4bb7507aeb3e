"""The real agent daemon killed with a full outbox and restarted: nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.codec import encode_message, topic_for
from tests.collector.conftest import count
from tests.collector.helpers import LAYOUT, run_stream, wait_until

BATCHES = 1500
ROWS = 5


def stored_samples(engine: sa.Engine) -> int:
    return count(engine, "samples")


def test_agent_killed_mid_flush_then_restarted_delivers_exactly_once(
    mosquitto, engine, make_config, start_ingest, tmp_path: Path
) -> None:
    start_ingest(make_config(mosquitto.url), engine=engine)
    state = tmp_path / "agent-state"
    state.mkdir()
    outbox = Outbox.in_state_dir(state, 10_000)
    msgs = run_stream("pi-o", "run-o", batches=BATCHES, rows_per_batch=ROWS)
    for msg in msgs:
        kind = {"samples": "samples", "result": "result"}.get(msg.TOPIC_KIND, "event")
        outbox.put(msg.message_id, kind, topic_for(msg, LAYOUT), encode_message(msg))
    outbox.close()
    total = BATCHES * ROWS + 1

    env = {**os.environ, "EDGEBENCH_STATE_DIR": str(state)}
    cmd = [
        str(Path(sys.executable).parent / "edgebench"),
        "agent",
        "daemon",
        "--broker",
        mosquitto.url,
        "--device-id",
        "pi-o",
    ]
    daemon = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: stored_samples(engine) > 0, 30, "the daemon to start flushing")
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        after_kill = stored_samples(engine)
        daemon = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: stored_samples(engine) >= total, 60, "the rest of the outbox")
        wait_until(lambda: Outbox.in_state_dir(state, 10_000).count() == 0, 30, "empty outbox")
    finally:
        daemon.terminate()
        daemon.wait(15)
    with engine.connect() as conn:
        times = conn.execute(sa.text("SELECT t FROM samples WHERE run_id = 'run-o'")).scalars()
        times = sorted(times)
        has_result = conn.execute(sa.text("SELECT result IS NOT NULL FROM runs")).scalar_one()
    print(f"stored before the kill: {after_kill} of {total}")
    assert after_kill < total, "the kill came after the whole outbox was delivered"
    assert len(times) == total == len(set(times))
    assert has_result
