"""Campaign scheduling latency: from a result stored to the device's next command published.

A real Mosquitto broker and the real ``IngestService`` (receiver process, writer,
campaign dispatcher) on SQLite; ``--devices`` simulated agents (paho clients) that
answer each command at once with run_started (naming the command) and a result, so the
figure is the collector's own scheduling path, not a benchmark's run time. The writer's
``on_commit`` hook timestamps the commit of each result; each device timestamps the
arrival of its next command (same machine, same clock). One campaign of
``--jobs`` jobs per device. Target (issue #13): p95 < 0.5 s.

Run: ``.venv/bin/python bench/campaign_latency.py [--devices 5] [--jobs 40]`` (needs
``mosquitto`` on PATH).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import verdict  # noqa: E402 - needs ROOT on sys.path

TARGET_P95_S = 0.5


class SimulatedAgent:
    """Answers every command at once with run_started and a result; records arrivals."""

    def __init__(self, port: int, device_id: str, on_command: Any) -> None:
        import paho.mqtt.client as paho

        from edgebench.shared.topics import TopicLayout

        self.device_id = device_id
        self.layout = TopicLayout()
        self.on_command = on_command
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=device_id)
        self.client.on_connect = self._connected
        self.client.on_message = self._message
        self.ready = threading.Event()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _connected(self, client: Any, *_args: Any) -> None:
        from edgebench.shared.codec import encode_message
        from edgebench.shared.messages import StatusMessage

        client.subscribe(self.layout.command(self.device_id), qos=1)
        online = StatusMessage(device_id=self.device_id, state="online", reason="connected")
        client.publish(self.layout.status(self.device_id), encode_message(online), 1, True)
        self.ready.set()

    def _message(self, client: Any, _userdata: Any, message: Any) -> None:
        from edgebench.shared.codec import decode_message, encode_message
        from edgebench.shared.messages import ResultMessage, RunStartedMessage
        from tests.shared.samples import model_info, run_config, run_result

        arrived = time.time()
        cmd = decode_message(message.topic, message.payload, self.layout)
        self.on_command(self.device_id, arrived)
        run_id = uuid.uuid4().hex
        started = RunStartedMessage(
            device_id=self.device_id,
            run_id=run_id,
            seq=0,
            model=model_info(),
            config=run_config(),
            command_id=cmd.message_id,
        )
        result = ResultMessage(
            device_id=self.device_id,
            run_id=run_id,
            seq=1,
            result=run_result(self.device_id, run_id),
        )
        for msg in (started, result):
            topic = getattr(self.layout, "run_events" if msg is started else "run_result")(
                self.device_id, run_id
            )
            client.publish(topic, encode_message(msg), qos=1)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


class Clock:
    """Pairs each device's stored results with its next command's arrival."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stored: dict[str, float] = {}
        self.latencies: list[float] = []
        self.commands = 0

    def on_commit(self, batch: list, committed_at: float) -> None:
        from edgebench.shared.messages import ResultMessage

        with self.lock:
            for item in batch:
                if isinstance(item.message, ResultMessage):
                    self.stored[item.message.device_id] = committed_at

    def on_command(self, device_id: str, arrived: float) -> None:
        with self.lock:
            self.commands += 1
            stored = self.stored.pop(device_id, None)
            if stored is not None:
                self.latencies.append(arrived - stored)


def main() -> int:
    """Run the campaign and print the latency percentiles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=40, help="jobs per device")
    args = parser.parse_args()

    from edgebench.collector import create_app
    from edgebench.collector.config import load_collector_config
    from edgebench.collector.ingest.service import IngestService
    from tests.brokers import MosquittoBroker
    from tests.collector.dashboard.conftest import serve
    from tests.collector.webauth import add_account, web_config

    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = MosquittoBroker(work / "mosquitto", log_types=("error", "warning"))
        broker.start()
        db_url = f"sqlite:///{work / 'collector.sqlite'}"
        config = load_collector_config(None, {"db": db_url, "mqtt.url": broker.url})
        service = IngestService(config, on_commit=clock.on_commit)
        service.start()
        agents: list[SimulatedAgent] = []
        try:
            assert service.wait_connected(15), "collector did not connect"
            devices = [f"sim-{i:03d}" for i in range(args.devices)]
            agents = [SimulatedAgent(broker.port, d, clock.on_command) for d in devices]
            _wait(lambda: _online(db_url) == len(devices), 30, "devices online")
            token = add_account(db_url, "bench", "operator", "operate")
            app = create_app(web_config(db_url, AUTO_UPGRADE=False))
            body = {"name": "latency", "devices": devices, "models": [None]}
            body["repetitions"] = args.jobs
            with serve(app, token) as server:
                started = time.monotonic()
                _post(server.url + "/api/campaigns", token, body)
                total = args.devices * args.jobs
                _wait(lambda: clock.commands >= total, 600, "every command")
                _wait(lambda: _done(db_url) == total, 60, "every result")
                elapsed = time.monotonic() - started
        finally:
            for agent in agents:
                agent.close()
            service.stop()
            broker.stop()
    lat = sorted(clock.latencies)
    p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
    print(
        f"{len(lat)} result→next command intervals over {args.devices} devices"
        f" ({args.jobs} jobs each, {elapsed:.1f} s): p50 {p50 * 1000:.1f} ms,"
        f" p95 {p95 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms"
    )
    return verdict("result stored → next command p95", p95, TARGET_P95_S, " s")


def _wait(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def _scalar(db_url: str, sql: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def _online(db_url: str) -> int:
    return _scalar(db_url, "SELECT count(*) FROM devices WHERE status = 'online'")


def _done(db_url: str) -> int:
    return _scalar(db_url, "SELECT count(*) FROM campaign_jobs WHERE state = 'done'")


def _post(url: str, token: str | None, body: dict) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 201, response.read()


if __name__ == "__main__":
    sys.exit(main())
