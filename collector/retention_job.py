"""The background retention job of ``collector serve`` and ``collector ingest``.

A daemon thread with its own engine runs a retention pass (collector/retention.py) soon
after start-up and then every ``retention.interval_s``. Each batch is a short
transaction and the job pauses between batches, so ingest's writer gets the database
(SQLite's one write lock) in between and is never held up for longer than one batch.
A failed pass is logged and tried again at the next interval.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from edgebench.collector import db, retention

if TYPE_CHECKING:
    from edgebench.collector.config import RetentionConfig

log = logging.getLogger(__name__)

FIRST_PASS_DELAY_S = 30.0
PAUSE_BETWEEN_BATCHES_S = 0.05


class RetentionJob:
    """Runs retention passes on ``url`` until :meth:`stop`."""

    def __init__(
        self, url: str, config: RetentionConfig, first_delay_s: float = FIRST_PASS_DELAY_S
    ) -> None:
        self.url = url
        self.config = config
        self.first_delay_s = first_delay_s
        self.passes = 0
        self.last: retention.RetentionReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="edgebench-retention", daemon=True)

    def start(self) -> None:
        """Start the thread (nothing happens when ``raw_days`` is 0: raw samples are kept)."""
        if self.config.raw_days > 0:
            self._thread.start()

    def stop(self) -> None:
        """Stop after the current batch and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def _loop(self) -> None:
        engine = db.make_engine(self.url)
        try:
            delay = self.first_delay_s
            while not self._stop.wait(delay):
                delay = self.config.interval_s
                try:
                    self.last = retention.run_pass(
                        engine,
                        retention.cutoff_for(self.config),
                        self.config.batch_rows,
                        stop=self._stop,
                        pause_s=PAUSE_BETWEEN_BATCHES_S,
                    )
                except Exception:
                    log.exception("retention pass failed; retrying in %.0f s", delay)
                    continue
                self.passes += 1
                if self.last.samples:
                    log.info(
                        "retention: %d samples of %d runs downsampled in %d batches",
                        self.last.samples,
                        self.last.runs,
                        len(self.last.batches),
                    )
        finally:
            engine.dispose()
