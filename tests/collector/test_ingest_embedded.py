"""The embedded broker's port comes from the config; a busy port is one clear error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.collector.helpers import Publisher, run_stream, wait_until


def test_embedded_broker_port_zero_takes_a_free_port(make_config, start_ingest, engine) -> None:
    service = start_ingest(make_config("", embedded_broker_port=0), engine=engine)
    assert service.embedded is not None and service.embedded.port > 0
    assert service.broker_url == f"mqtt://127.0.0.1:{service.embedded.port}"
    pub = Publisher(service.embedded.port, "pi-z")
    pub.publish(run_stream("pi-z", "run-z", batches=2))
    pub.wait_acked()
    wait_until(lambda: service.health()["accepted"] >= 4, what="embedded delivery")
    pub.close()


def test_a_busy_embedded_broker_port_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "EDGEBENCH_EMBEDDED_BROKER_PORT": str(port)}
        env.pop("EDGEBENCH_MQTT__URL", None)
        argv = [str(Path(sys.executable).parent / "edgebench"), "collector", "ingest"]
        argv += ["--db", f"sqlite:///{tmp_path / 'c.sqlite'}"]
        done = subprocess.run(
            argv, check=False, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgebench: error: "), done.stderr
    assert f"port {port}" in lines[0] and "EDGEBENCH_EMBEDDED_BROKER_PORT" in lines[0]
    assert "embedded_broker_port" in lines[0]
