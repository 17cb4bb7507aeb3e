"""Run events: the listener protocol the engine calls while a benchmark runs.

The terminal progress display and the MQTT publisher (``edgebench.agent.transport``)
are both listeners. The engine calls every method from the thread that runs the
benchmark (never from the sampling thread), so a listener needs no locking of its own.
A listener must not block for long: ``progress`` is called about once a second from
inside the measured phase (between two timed inferences, never inside one).

Order for one run: ``run_started``, then ``progress`` (phases ``busy-wait`` while the board
is busy, ``warmup``, ``measure``,
``accuracy``) interleaved with ``samples`` batches, then exactly one of ``finished``
(status complete or interrupted) or ``failed``. Errors found before the run starts
(missing model, bad images or labels, bad options) raise EdgebenchError without any
event, so a listener never sees ``failed`` for a run it was not told had started.
(The agent daemon, which is not the engine, may publish ``download`` progress and a
``run_failed`` under a run id it chose before the run: see docs/mqtt-contract.md.)
``close`` is called by whoever created the listener (one listener may serve many runs).
"""

from __future__ import annotations

import logging
from typing import Protocol

from edgebench.shared.result import ModelInfo, RunConfig, RunResult

log = logging.getLogger(__name__)

# Phases reported through ``progress``.
# Waiting for other processes to quieten down, before the warm-up (the busy guard).
PHASE_BUSY_WAIT = "busy-wait"
PHASE_WARMUP = "warmup"
PHASE_MEASURE = "measure"
PHASE_ACCURACY = "accuracy"


class RunListener(Protocol):
    """Receives the events of one or more benchmark runs."""

    def run_started(self, run_id: str, model: ModelInfo, config: RunConfig) -> None:
        """Handle a run that loaded its model and is about to warm up."""

    def progress(self, run_id: str, phase: str, done: int, elapsed_s: float) -> None:
        """Handle progress: ``done`` runs of ``phase`` after ``elapsed_s`` seconds."""

    def samples(self, run_id: str, rows: list[dict[str, float | None]]) -> None:
        """Handle new telemetry rows (``t`` plus metric keys) from the measured phase."""

    def finished(self, result: RunResult) -> None:
        """Handle the end of a run with a result (status complete or interrupted)."""

    def failed(self, run_id: str, error: str) -> None:
        """Handle a run stopped by an error; ``error`` is the one-line message."""

    def close(self) -> None:
        """Flush and release resources; no more events will come."""


class FanOut:
    """A listener that forwards every event to several listeners.

    A failing listener (a broker hiccup, a closed terminal) must not end the
    benchmark, so each call is guarded and logged instead of raised.
    """

    def __init__(self, listeners: list[RunListener | None]) -> None:
        self.listeners = [item for item in listeners if item is not None]

    def _each(self, method: str, *args: object) -> None:
        """Call ``method`` on every listener, logging (not raising) their errors."""
        for listener in self.listeners:
            try:
                getattr(listener, method)(*args)
            except Exception:
                log.warning(
                    "run listener %s.%s failed", type(listener).__name__, method, exc_info=True
                )

    def run_started(self, run_id: str, model: ModelInfo, config: RunConfig) -> None:
        """Forward ``run_started``."""
        self._each("run_started", run_id, model, config)

    def progress(self, run_id: str, phase: str, done: int, elapsed_s: float) -> None:
        """Forward ``progress``."""
        self._each("progress", run_id, phase, done, elapsed_s)

    def samples(self, run_id: str, rows: list[dict[str, float | None]]) -> None:
        """Forward ``samples``."""
        self._each("samples", run_id, rows)

    def finished(self, result: RunResult) -> None:
        """Forward ``finished``."""
        self._each("finished", result)

    def failed(self, run_id: str, error: str) -> None:
        """Forward ``failed``."""
        self._each("failed", run_id, error)

    def close(self) -> None:
        """Forward ``close``."""
        self._each("close")
