"""The broker fixture itself: a real Mosquitto that keeps retained state across restarts."""

from __future__ import annotations

import subprocess


def test_retained_message_survives_restart(mosquitto) -> None:
    pub = [
        "mosquitto_pub",
        "-h",
        "127.0.0.1",
        "-p",
        str(mosquitto.port),
        "-t",
        "t/x",
        "-m",
        "hello",
        "-r",
        "-q",
        "1",
    ]
    subprocess.run(pub, check=True, timeout=10)
    mosquitto.restart()
    sub = [
        "mosquitto_sub",
        "-h",
        "127.0.0.1",
        "-p",
        str(mosquitto.port),
        "-t",
        "t/x",
        "-C",
        "1",
        "-W",
        "5",
    ]
    out = subprocess.run(sub, check=True, capture_output=True, text=True, timeout=10)
    assert out.stdout.strip() == "hello"
