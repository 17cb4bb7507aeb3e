"""Looking at the test fleet from outside: pid files, processes, the API, MQTT clients."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.ansible.fleet import BOARD_A, BOARD_B, FleetLab
from tests.collector.webauth import multipart

BOARDS = (BOARD_A, BOARD_B)


def read_pid(path: Path) -> int:
    """The pid in a pid file."""
    return int(path.read_text().split()[0])


def service_pids(fleet: FleetLab) -> dict[str, int]:
    """``{"server/mosquitto": pid, ...}`` from the pid files the roles wrote."""
    return {f"{p.parts[-4]}/{p.stem}": read_pid(p) for p in fleet.pid_files()}


def uid_of(pid: int) -> int:
    """The real uid of a running process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def get(
    fleet: FleetLab, path: str, auth: bool = True, token: str | None = None
) -> tuple[int, dict]:
    """GET a collector API path with ``token`` (default: the admin's; none if not ``auth``)."""
    request = urllib.request.Request(fleet.api(path))
    if auth:
        request.add_header("Authorization", f"Bearer {token or fleet.api_token()}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def upload_model(fleet: FleetLab, model: Path, token: str) -> dict:
    """Upload a .tflite to the collector's model store (``POST /api/models``); its answer."""
    body, kind = multipart({}, model.read_bytes(), model.name)
    request = urllib.request.Request(fleet.api("/models"), data=body, method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", kind)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)
        return json.loads(response.read())


def wait_devices_online(fleet: FleetLab, timeout_s: float = 60) -> dict[str, dict]:
    """Wait until the collector lists both boards online; return its devices by id."""
    deadline = time.monotonic() + timeout_s
    devices: dict[str, dict] = {}
    while time.monotonic() < deadline:
        _, body = get(fleet, "/devices")
        devices = {d["device_id"]: d for d in body.get("items", [])}
        if all(devices.get(b, {}).get("status") == "online" for b in BOARDS):
            return devices
        time.sleep(0.5)
    raise AssertionError(f"boards not online in the collector: {devices}")


def groups_of(user: str) -> list[str]:
    """Group names of a user account."""
    out = subprocess.run(["id", "-nG", user], capture_output=True, text=True, check=True)
    return out.stdout.split()


def client(fleet: FleetLab, username: str, password: str, client_id: str) -> mqtt.Client:
    """A connected MQTT 5 client with its network loop running."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.username_pw_set(username, password)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: connected.set() if not rc.is_failure else None
    client.connect(*fleet.broker)
    client.loop_start()
    assert connected.wait(10), f"{username} could not log in"
    return client
