"""Real processes for campaign tests: agent daemons and ``collector ingest``, killable.

Each daemon is ``edgebench agent daemon`` with its own device id and state dir, sharing
one model cache that the test fills first (generating a model costs seconds; three
daemons building the same one at once would only waste the CPU). Ingest runs as
``edgebench collector ingest`` so a test can kill it mid-campaign and start another.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

EDGEBENCH = str(Path(sys.executable).with_name("edgebench"))
# The broker password of every test login (``secured_broker``): devices log in with their
# device id as the user name, as the documented ACL expects, ingest as ``collector``.
BROKER_PASSWORD = "campaign-test-password"
# Tiny runs: a handful of inferences, no minimum time, no busy-board wait.
RUN_OPTIONS = {"runs": 5, "min_secs": 0, "warmup_runs": 1, "warmup_secs": 0, "max_secs": 20}


def broker_users(*device_ids: str) -> dict[str, str]:
    """The broker logins of a campaign test: each device, and the collector."""
    return {user: BROKER_PASSWORD for user in (*device_ids, "collector")}


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any EDGEBENCH_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    return env | extra


class Proc:
    """One child process with a log file; stopped by the test or at teardown."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        """Start the process (appending to its log)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=out)
        return self

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` and wait for the process to end."""
        if self.proc is None:
            return
        self.proc.send_signal(signum)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def daemon(root: Path, device_id: str, broker_url: str, cache: Path, **extra: str) -> Proc:
    """An agent daemon for ``device_id`` (not started); ``extra``: more environment."""
    state = root / device_id
    state.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        EDGEBENCH_DEVICE_ID=device_id,
        EDGEBENCH_STATE_DIR=str(state),
        EDGEBENCH_CACHE_DIR=str(cache),
        EDGEBENCH_SAMPLE_HZ="5",
        EDGEBENCH_BUSY_WINDOW_S="0",
        EDGEBENCH_MQTT__KEEPALIVE_S="5",
        EDGEBENCH_RECEIPT_TIMEOUT_S="5",
        EDGEBENCH_MQTT__USERNAME=device_id,
        EDGEBENCH_MQTT__PASSWORD=BROKER_PASSWORD,
        **extra,
    )
    argv = [EDGEBENCH, "-v", "agent", "daemon", "--broker", broker_url]
    return Proc(argv, env, root / f"{device_id}.log")


def ingest(root: Path, broker_url: str, db_url: str, lost_timeout_s: float = 20) -> Proc:
    """``collector ingest`` on the test's broker and database (not started)."""
    env = clean_env(
        EDGEBENCH_CAMPAIGNS__TICK_S="0.5",
        EDGEBENCH_CAMPAIGNS__LOST_TIMEOUT_S=str(lost_timeout_s),
        EDGEBENCH_RETENTION__RAW_DAYS="0",
        EDGEBENCH_MQTT__USERNAME="collector",
        EDGEBENCH_MQTT__PASSWORD=BROKER_PASSWORD,
    )
    argv = [EDGEBENCH, "-v", "collector", "ingest", "--broker", broker_url, "--db", db_url]
    return Proc(argv, env, root / "ingest.log")


def api(base: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """Call the JSON API with a bearer token; return (status, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
