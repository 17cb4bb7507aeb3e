"""The campaign dispatcher: ingest's thread that runs scheduling passes and sends commands.

It runs a pass (``collector/campaigns/scheduler.py``) every ``campaigns.tick_s`` and at
once when woken: the writer wakes it after committing a batch that can change a job
(run_started, run_failed, a result, a device's status), so the next job of a device is
sent moments after its last result is stored (``bench/campaign_latency.py``), without
the writer's thread doing the work. Commands leave through the receiver process's MQTT
session (QoS 1), like receipts, after the pass has committed.

A pass that fails (the database locked for too long, or down) is logged and the next
tick tries again; nothing is lost, since every decision is in the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from edgebench.collector.campaigns.schedule import zone
from edgebench.collector.campaigns.scheduler import PassReport, Scheduler
from edgebench.collector.received import Received
from edgebench.shared.codec import encode_message
from edgebench.shared.messages import (
    ResultMessage,
    RunFailedMessage,
    RunStartedMessage,
    StatusMessage,
)
from edgebench.shared.topics import TopicLayout

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from edgebench.collector.config import CampaignConfig

log = logging.getLogger(__name__)

# Messages after whose commit a job may move on or a device may take its next job.
_WAKING = (RunStartedMessage, RunFailedMessage, ResultMessage, StatusMessage)


def wakes_scheduler(batch: Iterable[Received]) -> bool:
    """Return whether a committed batch holds a message that can change a job."""
    return any(isinstance(item.message, _WAKING) for item in batch)


class Dispatcher:
    """Runs scheduling passes in a thread and publishes their commands."""

    def __init__(
        self,
        engine: Engine,
        config: CampaignConfig,
        topic_prefix: str,
        publish: Callable[[list[tuple[str, bytes]]], None],
    ) -> None:
        """``publish`` sends ``(topic, payload)`` pairs at QoS 1 (the receiver process)."""
        self.scheduler = Scheduler(engine, config.lost_timeout_s, zone(config.timezone))
        self.tick_s = config.tick_s
        self.layout = TopicLayout(topic_prefix)
        self.publish = publish
        self.passes = 0
        self.commands_sent = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="edgebench-campaigns", daemon=True)

    def start(self) -> None:
        """Start the thread (its first pass runs at once)."""
        self._wake.set()
        self._thread.start()

    def wake(self) -> None:
        """Ask for a pass now (called by the writer after a commit; never blocks)."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the current pass and end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            self.run_once()

    def run_once(self) -> PassReport | None:
        """Run one pass and publish its commands; None if the pass failed (logged)."""
        try:
            report = self.scheduler.run_pass()
        except Exception as exc:
            self.failures += 1
            log.warning("campaign scheduling pass failed; retrying: %s", _first_line(exc))
            return None
        self.passes += 1
        if report.commands:
            self.publish(
                [(self.layout.command(c.device_id), encode_message(c)) for c in report.commands]
            )
            self.commands_sent += len(report.commands)
            for command in report.commands:
                log.info("campaign command %s to %s", command.message_id, command.device_id)
        return report


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
