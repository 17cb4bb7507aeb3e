"""`collector serve` as a real process: waitress over HTTP, start-up refusal, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgebench.collector.webserver import is_loopback
from tests.brokers import free_port
from tests.httplogin import HttpClient, log_in

EDGEBENCH = str(Path(sys.executable).parent / "edgebench")
SERVE = (EDGEBENCH, "collector", "serve")
PASSWORD = "correct horse battery"
FIRST_ADMIN = "`edgebench collector user add NAME --role admin`"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        # The session key goes to the test's folder, not the venv's instance folder.
        "EDGEBENCH_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    env.pop("EDGEBENCH_HOST", None)
    return env


def add_user(tmp_path: Path, db_url: str, name: str = "admin", role: str = "admin") -> None:
    done = subprocess.run(
        [EDGEBENCH, "collector", "user", "add", name, "--role", role, "--db", db_url],
        input=PASSWORD + "\n",
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


class Serve:
    """One `edgebench collector serve` child process."""

    def __init__(self, tmp_path: Path, db_url: str, broker: str, *args: str) -> None:
        self.port = free_port()
        argv = [EDGEBENCH, "collector", "serve", "--db", db_url, "--broker", broker]
        argv += ["--port", str(self.port), *args]
        self.out = tmp_path / f"serve-{self.port}.out"
        with self.out.open("w") as out:
            self.proc = subprocess.Popen(
                argv, env=_env(tmp_path), stdout=out, stderr=subprocess.STDOUT, text=True
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out.read_text()

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("collector serve did not answer: " + self.output())

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@pytest.fixture()
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.stop()


def test_serve_answers_under_waitress_and_stops_on_sigterm(
    tmp_path: Path, db_url: str, mosquitto, serves: list[Serve]
) -> None:
    serve = Serve(tmp_path, db_url, mosquitto.url)
    serves.append(serve)
    serve.wait_ready()
    with urllib.request.urlopen(serve.url + "/healthz", timeout=10) as resp:
        assert resp.status == 200
        server = resp.headers["Server"]
    assert server == "edgebench"
    assert "werkzeug" not in server.lower()
    # Loopback with no user: it starts, and says how to create a login (one line).
    out = serve.output()
    assert f"no login exists yet: create one with {FIRST_ADMIN}" in out
    assert serve.stop() == 0
    assert "Traceback" not in serve.output()
    # The port is free again: the listening socket was closed.
    with socket.create_server(("127.0.0.1", serve.port)):
        pass


def test_beyond_loopback_with_no_user_refuses_before_anything_starts(
    tmp_path: Path, db_url: str, mosquitto
) -> None:
    port = free_port()
    done = subprocess.run(
        [
            *SERVE,
            "--db",
            db_url,
            "--broker",
            mosquitto.url,
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("edgebench: error: refusing to serve on 0.0.0.0")
    assert FIRST_ADMIN in lines[0]
    # Nothing started: no database file, no listener, no MQTT session at the broker.
    assert not Path(db_url.removeprefix("sqlite:///")).exists()
    with socket.create_server(("0.0.0.0", port)):
        pass
    assert "edgebench-collector" not in mosquitto.log_path.read_text()


def test_beyond_loopback_with_a_user_starts(
    tmp_path: Path, db_url: str, mosquitto, serves: list[Serve]
) -> None:
    add_user(tmp_path, db_url)
    serve = Serve(tmp_path, db_url, mosquitto.url, "--host", "0.0.0.0")
    serves.append(serve)
    serve.wait_ready()
    assert "no login exists yet" not in serve.output()
    assert serve.stop() == 0


def test_a_port_in_use_is_one_line(
    tmp_path: Path, db_url: str, mosquitto, serves: list[Serve]
) -> None:
    first = Serve(tmp_path, db_url, mosquitto.url)
    serves.append(first)
    first.wait_ready()
    done = subprocess.run(
        [*SERVE, "--db", db_url, "--broker", mosquitto.url, "--port", str(first.port)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    error = [line for line in done.stderr.splitlines() if line.strip()]
    assert error == [
        f"edgebench: error: cannot listen on 127.0.0.1:{first.port} (Address already in use);"
        " choose --port"
    ]


def test_wsgi_app_serves_under_waitress_serve(tmp_path: Path, db_url: str) -> None:
    # The web side alone, as several workers would run it (webserver module docstring).
    subprocess.run(
        [EDGEBENCH, "collector", "db", "upgrade", "--db", db_url],
        env=_env(tmp_path),
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    env = {**_env(tmp_path), "EDGEBENCH_DB": db_url}
    waitress = str(Path(sys.executable).parent / "waitress-serve")
    argv = [waitress, "--listen", f"127.0.0.1:{port}", "--ident", "edgebench"]
    proc = subprocess.Popen(
        [*argv, "--call", "edgebench.collector.webserver:wsgi_app"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = HttpClient(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = client.request("/healthz")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert status == 200 and '"database":"ok"' in body.replace(" ", "")
        assert headers["Server"] == "edgebench"
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_user_logs_in_over_http_under_waitress(
    tmp_path: Path, db_url: str, mosquitto, serves: list[Serve]
) -> None:
    """Needs the login page (webauth branch)."""
    add_user(tmp_path, db_url)
    serve = Serve(tmp_path, db_url, mosquitto.url)
    serves.append(serve)
    serve.wait_ready()
    status, client = log_in(serve.url, "admin", "wrong password!")
    assert status != 302
    status, client = log_in(serve.url, "admin", PASSWORD)
    assert status == 302
    status, _, _ = client.request("/")
    assert status == 200
    assert HttpClient(serve.url).request("/")[0] in (302, 401)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("192.0.2.10", False),
        ("collector.example", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _echo_app():
    from flask import Flask, request

    app = Flask("echo")

    @app.get("/")
    def echo() -> dict:
        return {"scheme": request.scheme, "remote": request.remote_addr, "host": request.host}

    return app


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_headers_count_only_from_the_trusted_proxy(trusted: bool) -> None:
    import json
    import threading

    from edgebench.collector.webserver import WebServer

    server = WebServer(_echo_app(), "127.0.0.1", 0, "127.0.0.1" if trusted else "")
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        forwarded = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.7",
            "X-Forwarded-Host": "collector.example",
        }
        status, headers, body = HttpClient(f"http://127.0.0.1:{server.port}").request(
            "/", headers=forwarded
        )
    finally:
        server.shutdown()
        thread.join(15)
    assert not thread.is_alive()
    assert status == 200 and headers["Server"] == "edgebench"
    seen = json.loads(body)
    if trusted:
        assert seen == {"scheme": "https", "remote": "198.51.100.7", "host": "collector.example"}
    else:
        assert seen["scheme"] == "http" and seen["remote"] == "127.0.0.1"


def test_closing_the_live_hub_ends_open_streams(engine) -> None:
    # The server's shutdown closes the hub; each stream must end at once instead of
    # holding its request thread until the next keepalive.
    from edgebench.collector.live import LiveHub, sse_stream

    hub = LiveHub(engine)
    stream = sse_stream(hub, max_s=600)
    assert next(stream).startswith("retry:")
    hub.close()
    with pytest.raises(StopIteration):
        next(stream)
