"""A fleet of one: the embedded broker path end to end, with the real agent as a child."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from edgebench.collector import db
from tests.brokers import free_port
from tests.collector.helpers import Publisher, run_stream, wait_until


def test_embedded_broker_ingest(make_config, start_ingest, engine) -> None:
    service = start_ingest(make_config(""), engine=engine, embedded_port=free_port())
    assert service.embedded is not None and service.broker_url.startswith("mqtt://127.0.0.1:")
    pub = Publisher(service.embedded.port, "pi-e")
    pub.publish(run_stream("pi-e", "run-e", batches=5))
    pub.wait_acked()
    wait_until(lambda: service.health()["accepted"] >= 7, what="embedded delivery")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one() == 26
    pub.close()


def test_fleet_once_stores_the_agents_result(tmp_path: Path, models_dir: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    # Port 0: any free port for the embedded broker (1883 may be taken on a shared machine).
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "EDGEBENCH_EMBEDDED_BROKER_PORT": "0",
    }
    env.pop("EDGEBENCH_MQTT__URL", None)
    argv = [
        str(Path(sys.executable).parent / "edgebench"),
        "fleet",
        "--once",
        "--db",
        db_url,
        "--port",
        str(free_port()),
        "--agent-arg=--runs=10",
        "--agent-arg=--min-secs=0.2",
        "--agent-arg=--warmup-secs=0.1",
        str(models_dir / "mobilenet_v1_0.25_128_quant.tflite"),
    ]
    done = subprocess.run(argv, check=False, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "embedded broker" in done.stdout
    assert "stored in the collector" in done.stdout
    engine = db.make_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM runs")).mappings().one()
        samples = conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one()
    engine.dispose()
    assert row["model_name"] == "mobilenet_v1_0.25_128_quant"
    assert row["result"] is not None and row["verdict"] in ("VALID", "INVALID")
    assert row["run_id"] in done.stdout
    assert samples >= 1
