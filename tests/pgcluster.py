"""A throw-away PostgreSQL cluster for tests and benchmarks (Debian's ``postgresql``).

``initdb`` into a fresh temporary directory, ``pg_ctl start`` on a free TCP port on
127.0.0.1 (the unix socket goes into the same directory, never /var/run/postgresql),
trust authentication for one superuser, ``pg_ctl stop -m immediate`` and the directory
removed at the end. Each test database is created from the cluster with
:meth:`PgCluster.create_database`, so tests never see each other's rows.

PostgreSQL refuses to run as root, and CI runs the tests as root: then the server runs as
the ``postgres`` system user the Debian package creates (``runuser -u postgres --``),
which owns the temporary directory. As any other user it runs as that user.

``fast=True`` (the tests) turns off fsync and synchronous commit: a crash of a test
cluster loses nothing anyone needs, and it saves a disk flush per commit. The benchmark
uses ``fast=False``, the durable defaults.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "edgebench"
SYSTEM_USER = "postgres"


def find_bindir() -> Path | None:
    """Return the newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb``, if any."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """One PostgreSQL server in a temporary directory; :meth:`stop` removes everything."""

    def __init__(self, bindir: Path, fast: bool = True) -> None:
        self.bindir = bindir
        self.fast = fast
        self.dir = Path(tempfile.mkdtemp(prefix="edgebench-pg-"))
        self.port = 0
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, SYSTEM_USER, SYSTEM_USER)
            self._as_user = ["runuser", "-u", SYSTEM_USER, "--"]

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """Create the cluster and start its server (waits until it accepts connections)."""
        data = self.dir / "data"
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.port = _free_port()
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        if self.fast:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            # Room for the pools of many tests' engines on one worker's cluster.
            options += " -c max_connections=300"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL (psycopg 3) of ``database`` on this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """Create a new empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def server_pids(self) -> list[int]:
        """Return the PIDs of the server and its backends (for CPU accounting)."""
        import psutil

        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        main = psutil.Process(postmaster)
        return [main.pid, *(child.pid for child in main.children(recursive=True))]

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept) and remove the directory."""
        if self.port:
            subprocess.run(
                [
                    *self._as_user,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.dir / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
            self.port = 0
        shutil.rmtree(self.dir, ignore_errors=True)
