"""benchmark.yml's publish_command.py, run the way the playbook runs it, against real Mosquitto."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from edgebench.shared.codec import decode_message
from edgebench.shared.messages import CommandMessage
from edgebench.shared.topics import TopicLayout
from tests.ansible.fleet import ANSIBLE_DIR
from tests.brokers import MosquittoBroker

SCRIPT = (ANSIBLE_DIR / "files" / "publish_command.py").read_text()


def _publish(settings: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``python -c <script>`` with the settings on stdin, as the playbook's task does."""
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(port: int, **changes: Any) -> dict[str, Any]:
    return {
        "url": f"mqtt://127.0.0.1:{port}",
        "username": "edgebench-collector",
        "password": "secret",
        "tls_ca": "",
        "topic_prefix": "lab",
        "device_id": "pi5-01",
        "command": "run",
        "model": "/opt/edgebench-agent/models/m.tflite",
        "options": {"runs": 100, "threads": 2},
        # Ansible renders the number into the JSON as text.
        "ttl_s": "600",
    } | changes


def test_the_command_is_the_contracts_message_on_the_boards_topic(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    subscribed = threading.Event()
    board = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pi5-01")
    board.on_message = lambda _c, _u, m: received.put((m.topic, m.payload))
    board.on_subscribe = lambda *_args: subscribed.set()
    try:
        board.connect("127.0.0.1", broker.port)
        board.loop_start()
        board.subscribe("lab/v1/+/cmd", qos=1)
        assert subscribed.wait(10)
        run = _publish(_settings(broker.port))
        assert run.returncode == 0, run.stderr
        topic, payload = received.get(timeout=10)
    finally:
        board.disconnect()
        board.loop_stop()
        broker.stop()
    assert topic == TopicLayout("lab").command("pi5-01")
    msg = decode_message(topic, payload, TopicLayout("lab"))
    assert isinstance(msg, CommandMessage)
    assert (msg.command, msg.model) == ("run", "/opt/edgebench-agent/models/m.tflite")
    assert msg.options == {"runs": 100, "threads": 2}
    assert msg.expires_at is not None and round(msg.expires_at - msg.ts) == 600
    assert json.loads(run.stdout) == json.loads(payload)


def test_a_device_id_outside_the_contract_is_refused_in_one_line() -> None:
    run = _publish(_settings(1, device_id="pi5/+"))
    assert run.returncode != 0
    assert run.stderr.startswith("edgebench: error: device id 'pi5/+'")
    assert len(run.stderr.strip().splitlines()) == 1
