"""A real Mosquitto broker per test, on a free port, with its own config and persistence."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MosquittoBroker:
    """Starts, stops and restarts one ``mosquitto`` process; state survives restarts.

    ``password_file`` and ``acl_file`` turn on authentication; without them the broker
    allows anonymous clients (tests only; deployments always authenticate).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        password_file: Path | None = None,
        acl_file: Path | None = None,
        extra_config: str = "",
        autosave_interval_s: int = 1,
        log_types: tuple[str, ...] = ("all",),
        persistence: bool = True,
    ) -> None:
        """Tests save state every second and log everything; benchmarks pass the deployment's
        settings (``ansible/roles/mosquitto/defaults/main.yml``). ``persistence=False``: a
        restart forgets every session and queued message (a broker that loses its state)."""
        self.workdir = workdir
        self.autosave_interval_s = autosave_interval_s
        self.log_types = log_types
        self.port = port or free_port()
        self.password_file = password_file
        self.acl_file = acl_file
        self.extra_config = extra_config
        self.persistence = persistence
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "mosquitto.log"
        (workdir / "data").mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """The broker's URL as edgebench config expects it."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        lines = [
            # As root, mosquitto otherwise drops to the "mosquitto" user, which cannot
            # write the persistence file or log under the test's temp dir.
            f"user {getpass.getuser()}",
            f"listener {self.port} 127.0.0.1",
            f"persistence {str(self.persistence).lower()}",
            f"persistence_location {self.workdir / 'data'}/",
            f"autosave_interval {self.autosave_interval_s}",
            f"log_dest file {self.log_path}",
            *(f"log_type {t}" for t in self.log_types),
            "max_queued_messages 100000",
        ]
        if self.password_file:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n" + self.extra_config)
        return conf

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the broker and wait until it accepts TCP connections."""
        if self.proc is not None:
            return
        conf = self._write_config()
        self.proc = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                log = self.log_path.read_text() if self.log_path.exists() else ""
                raise RuntimeError(f"mosquitto exited: {err} {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout_s}s")

    def stop(self) -> None:
        """Stop the broker gracefully (it saves its persistence file on SIGTERM)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Kill the broker with SIGKILL: nothing is saved since its last autosave."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop()
        self.start()


def make_password_file(path: Path, users: dict[str, str]) -> Path:
    """Write a Mosquitto password file with hashed passwords (uses mosquitto_passwd)."""
    path.write_text("")
    for user, password in users.items():
        subprocess.run(
            ["mosquitto_passwd", "-b", str(path), user, password],
            check=True,
            capture_output=True,
        )
    return path


def documented_acl() -> str:
    """The ACL block of docs/mqtt-contract.md, so the documented ACL is the tested one."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "mqtt-contract.md").read_text()
    section = doc.split("### Broker ACL", 1)[1]
    return section.split("```", 2)[1].strip() + "\n"


def secured_broker(workdir: Path, users: dict[str, str]) -> MosquittoBroker:
    """A broker (not started) that logs ``users`` in by password and applies the
    documented ACL: each device id its own topics, ``collector`` the rest."""
    workdir.mkdir(parents=True, exist_ok=True)
    passwords = make_password_file(workdir / "passwords", users)
    acl = workdir / "acl"
    acl.write_text(documented_acl())
    return MosquittoBroker(workdir, password_file=passwords, acl_file=acl)
