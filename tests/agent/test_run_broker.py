"""``agent run --broker``: the run's events and result reach a real Mosquitto broker."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt

from tests.agent.test_cli_run import QUICK, SMALL, agent_run


def test_run_publishes_events_and_result(mosquitto, models_dir, tmp_path):
    received: list[tuple[str, bytes]] = []
    got_result = threading.Event()

    def on_message(client, userdata, message):
        received.append((message.topic, message.payload))
        if message.topic.endswith("/result"):
            got_result.set()

    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="h1-test-sub")
    subscriber.on_message = on_message
    subscriber.connect("127.0.0.1", mosquitto.port)
    subscriber.subscribe("#", qos=1)
    subscriber.loop_start()
    try:
        out = tmp_path / "run.json"
        proc = agent_run(
            tmp_path,
            str(models_dir / SMALL),
            *QUICK,
            "--sample-hz",
            "10",
            "--broker",
            mosquitto.url,
            "--device-id",
            "bench-01",
            "--json",
            str(out),
        )
        assert proc.returncode == 0, proc.stderr
        assert got_result.wait(20), [topic for topic, _ in received]
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()
    run_id = json.loads(out.read_text())["run_id"]
    topics = [topic for topic, _ in received]
    result_topics = [t for t in topics if t.endswith(f"/bench-01/runs/{run_id}/result")]
    assert len(result_topics) >= 1, topics
    assert any(t.endswith(f"/bench-01/runs/{run_id}/events") for t in topics), topics
    payload = next(p for t, p in received if t in result_topics)
    assert run_id.encode() in payload
    # Without a daemon, the run itself puts the board's facts on the broker, retained.
    facts = [json.loads(p) for t, p in received if t.endswith("/bench-01/facts")]
    assert facts, topics
    assert facts[0]["facts"]["device_id"] == "bench-01"
    assert facts[0]["facts"]["architecture"]
