"""``collector ingest --workers N``: N ingest processes on one MQTT shared subscription.

Each worker is a whole :class:`IngestService` (its own receiver process, writer thread and
database connection) in a process of its own, subscribed as a member of one shared
subscription group (``$share/<group>/...``): the broker hands each PUBLISH to one member.
What makes this safe is what already makes one collector safe: a worker acknowledges a
message only after its commit, the boards keep every run message until a receipt says it
is stored and resend it otherwise (to whichever worker the broker picks), and storage
ignores duplicates. So a worker killed mid-stream loses nothing, and a message stored by
two workers (a resend racing a slow receipt) is still stored once.

The supervisor (the command's own process) upgrades the schema once before any worker
starts (N Alembic runs racing on an empty database would collide), restarts a worker
that dies under the same client id (its persistent session holds what it had not
acknowledged), and stops them all on SIGTERM/Ctrl-C. A worker whose supervisor is gone
(SIGKILL) notices within a second and stops cleanly rather than ingest unsupervised.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from msgspec.structs import replace

from edgebench.collector import db
from edgebench.collector.config import CollectorConfig
from edgebench.shared.errors import ConfigError

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 30.0
PARENT_CHECK_S = 1.0


def worker_config(config: CollectorConfig, index: int) -> CollectorConfig:
    """Return worker ``index``'s config: its own MQTT client id, the group's subscription."""
    client_id = f"{config.mqtt.client_id or config.client_id}-w{index}"
    return replace(
        config,
        client_id=client_id,
        mqtt=replace(config.mqtt, client_id=client_id),
        # Set explicitly: a worker is one member of the group even if N is 1 here.
        shared_group=config.effective_shared_group or "",
    )


def check_workers_config(config: CollectorConfig) -> None:
    """Refuse what cannot work with several workers, in one line (before anything starts)."""
    if config.ingest_workers > 1 and not config.mqtt.url:
        raise ConfigError(
            "--workers needs an external MQTT broker with shared subscriptions (Mosquitto "
            "2, EMQX, ...): pass --broker mqtt://host:1883; the embedded broker has none"
        )


def _worker_main(config: CollectorConfig, index: int, parent: int, level: int) -> None:
    """Body of one worker process: run ingest until told to stop or orphaned."""
    from edgebench.collector.ingest.service import IngestService

    # A spawned process starts without logging set up: log as the command does (-v).
    fmt = f"%(asctime)s w{index} %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Ctrl-C reaches the whole process group; the supervisor decides, so stop cleanly.
        signal.signal(signum, lambda *_: stop.set())
    service = IngestService(config)
    service.start()
    try:
        while not stop.wait(PARENT_CHECK_S):
            if os.getppid() != parent:
                log.error("ingest worker %d: the supervisor is gone; stopping", index)
                break
    finally:
        service.stop()


class IngestWorkers:
    """Starts, watches and stops the worker processes of ``collector ingest --workers N``."""

    def __init__(self, config: CollectorConfig) -> None:
        """Nothing runs until :meth:`start`; ``config.ingest_workers`` says how many."""
        check_workers_config(config)
        self.config = config
        self._ctx = mp.get_context("spawn")  # never fork a process that has threads
        self._procs: dict[int, Any] = {}
        self.restarts = 0

    def start(self) -> None:
        """Upgrade the schema once, then start every worker."""
        from edgebench.collector.ingest.service import database_url

        engine = db.make_engine(database_url(self.config))
        try:
            db.upgrade(engine)
        finally:
            engine.dispose()
        for index in range(self.config.ingest_workers):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        # Not a daemon process: each worker starts a receiver process of its own.
        proc = self._ctx.Process(
            target=_worker_main,
            args=(
                worker_config(self.config, index),
                index,
                os.getpid(),
                logging.getLogger().getEffectiveLevel(),
            ),
            name=f"edgebench-ingest-w{index}",
        )
        proc.start()
        self._procs[index] = proc

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers, in worker order."""
        return [self._procs[i].pid for i in sorted(self._procs)]

    def watch(self, stop: threading.Event) -> None:
        """Restart workers that die, until ``stop`` is set."""
        while not stop.wait(0.5):
            for index, proc in list(self._procs.items()):
                if proc.is_alive():
                    continue
                log.error(
                    "ingest worker %d (pid %s) exited with %s; starting it again",
                    index,
                    proc.pid,
                    proc.exitcode,
                )
                time.sleep(RESTART_DELAY_S)
                self.restarts += 1
                self._spawn(index)

    def stop(self) -> None:
        """Ask every worker to stop (they store and acknowledge what they hold), then wait."""
        for proc in self._procs.values():
            if proc.is_alive():
                proc.terminate()  # SIGTERM: the worker's clean stop
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in self._procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(2.0)
