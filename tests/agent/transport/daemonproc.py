"""``edgebench agent daemon`` as a real subprocess, and commands published to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import paho.mqtt.publish as mqtt_publish

from edgebench.shared.codec import encode_message
from edgebench.shared.messages import CommandMessage
from edgebench.shared.topics import TopicLayout
from tests.agent.transport.conftest import DEVICE

LAYOUT = TopicLayout()
EDGEBENCH = str(Path(sys.executable).with_name("edgebench"))


class Daemon:
    """One ``edgebench agent daemon`` process with its own state dir."""

    def __init__(self, tmp_path: Path, url: str, **env: str) -> None:
        self.state_dir = tmp_path / "state"
        self.url = url
        self.log = tmp_path / "daemon.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
        self.env |= {
            "EDGEBENCH_DEVICE_ID": DEVICE,
            "EDGEBENCH_STATE_DIR": str(self.state_dir),
            "EDGEBENCH_CACHE_DIR": str(tmp_path / "cache"),
            "EDGEBENCH_MQTT__KEEPALIVE_S": "5",
            # These tests listen with a bare subscriber, not a collector that sends
            # receipts: PUBACK confirms (receipts: tests/collector/test_receipts.py).
            "EDGEBENCH_RECEIPT_TIMEOUT_S": "0",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [EDGEBENCH, "-vv", "agent", "daemon", "--broker", self.url],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def signal(self, signum: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(signum)
        code = self.proc.wait(30)
        self.proc = None
        return code

    def cleanup(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def send_command(port: int, **fields: Any) -> CommandMessage:
    """Publish a new ``run`` command to the test device (QoS 1, as the collector does)."""
    return publish_command(port, CommandMessage(device_id=DEVICE, command="run", **fields))


def publish_command(port: int, cmd: CommandMessage) -> CommandMessage:
    """Publish ``cmd`` (again, for a redelivery: the same message_id)."""
    mqtt_publish.single(
        LAYOUT.command(DEVICE), encode_message(cmd), qos=1, hostname="127.0.0.1", port=port
    )
    return cmd
