"""SSH-reachable test hosts on this machine: one sshd per loopback address, each its own.

Every host gets its own sshd config, host key, pid file, log and port on its own loopback
address (127.0.0.2, 127.0.0.3, ...; Linux routes all of 127/8 to ``lo`` with no setup),
and accepts key-based root login with one client key. The hosts share this machine's
filesystem and users, so what runs on them needs its own install root (see the roles'
``*_root`` variables).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


def free_port(address: str) -> int:
    """Return a TCP port that is free on ``address`` right now."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def wait_for_port(address: str, port: int, timeout_s: float = 10.0) -> bool:
    """Wait until something accepts TCP connections on ``address:port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists (and is not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_pid(pid: int, timeout_s: float = 10.0) -> None:
    """SIGTERM ``pid``, then SIGKILL it if it has not gone after ``timeout_s``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def make_client_key(directory: Path) -> Path:
    """Create an ed25519 client key pair without passphrase; return the private key path."""
    key = directory / "id_ed25519"
    if not key.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "edgebench-test", "-f", key],
            check=True,
        )
    return key


@dataclass
class SshHost:
    """One sshd listening on ``address:port`` with its own config under ``workdir``."""

    name: str
    address: str
    workdir: Path
    authorized_keys: Path
    port: int = 0
    pid: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        """The sshd_config of this host."""
        return self.workdir / "sshd_config"

    @property
    def log_path(self) -> Path:
        """sshd's log (``-E``)."""
        return self.workdir / "sshd.log"

    def _write_config(self) -> None:
        host_key = self.workdir / "ssh_host_ed25519_key"
        if not host_key.exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True
            )
        lines = [
            f"ListenAddress {self.address}:{self.port}",
            f"HostKey {host_key}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            f"AuthorizedKeysFile {self.authorized_keys}",
            # The keys live under /tmp, whose permissions sshd's strict mode rejects.
            "StrictModes no",
            "PrintMotd no",
            "MaxSessions 50",
            "MaxStartups 50:30:100",
            f"Subsystem sftp {SFTP_SERVER}",
        ]
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        """Write the config, check it with ``sshd -t`` and start sshd; wait for the port."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.address)
        self._write_config()
        check = subprocess.run(
            [SSHD, "-t", "-f", self.config_path], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"sshd -t for {self.name}: {check.stderr}")
        # sshd daemonizes; its pid file names the listener to stop later.
        subprocess.run([SSHD, "-f", self.config_path, "-E", self.log_path], check=True)
        if not wait_for_port(self.address, self.port):
            raise RuntimeError(f"sshd for {self.name} is not listening: {self.log_path}")
        # sshd may listen a moment before it writes its pid file (seen on a loaded machine).
        pid_file = self.workdir / "sshd.pid"
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid = int(pid_file.read_text().split()[0])

    def stop(self) -> None:
        """Stop this host's sshd by its pid."""
        if self.pid is not None:
            stop_pid(self.pid)
            self.pid = None
