"""``edgebench agent status``: what waits in the outbox for the collector's receipt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from edgebench.agent.transport.listener import OutboxWriter
from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.messages import FactsMessage
from edgebench.shared.topics import TopicLayout
from tests.collector.helpers import run_stream
from tests.shared.samples import device_facts

EDGEBENCH = str(Path(sys.executable).with_name("edgebench"))


def status(state: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    environ |= {"EDGEBENCH_STATE_DIR": str(state), **env}
    return subprocess.run(
        [EDGEBENCH, "agent", "status", *args],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_status_lists_what_waits_for_a_receipt(tmp_path: Path) -> None:
    state = tmp_path / "state"
    outbox = Outbox.in_state_dir(state, 10_000)
    writer = OutboxWriter(outbox, TopicLayout(), lambda: None)
    for msg in run_stream("pi-s", "run-s", batches=4):
        writer.write(msg)
    writer.write(FactsMessage(device_id="pi-s", facts=device_facts("pi-s")))
    outbox.close()

    proc = status(state, "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["pending"] == 7
    assert info["awaiting_receipt"] == 6  # the run's messages; facts need only a PUBACK
    assert {k: v["messages"] for k, v in info["by_kind"].items()} == {
        "event": 1,
        "facts": 1,
        "result": 1,
        "samples": 4,
    }
    text = status(state).stdout
    assert "for a receipt   6" in text
    assert "collector receipts" in text
    off = json.loads(status(state, "--json", EDGEBENCH_RECEIPT_TIMEOUT_S="0").stdout)
    assert off["awaiting_receipt"] == 0 and not off["receipts"]


def test_status_of_a_board_that_never_published(tmp_path: Path) -> None:
    proc = status(tmp_path / "state")
    assert proc.returncode == 0, proc.stderr
    assert "Waiting           0 messages" in proc.stdout
    assert not (tmp_path / "state").exists()  # looking does not create the outbox


def test_a_bad_receipt_timeout_is_one_line(tmp_path: Path) -> None:
    proc = status(tmp_path / "state", EDGEBENCH_RECEIPT_TIMEOUT_S="-1")
    assert proc.returncode != 0
    assert "receipt_timeout_s" in proc.stderr
    assert "Traceback" not in proc.stderr
