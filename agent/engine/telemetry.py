"""The engine's handle on a TelemetrySession for the measured window.

Rows arrive on the sampling thread through ``on_sample``; they are queued here and
handed to listeners from the benchmark thread (``drain``), so listeners never see
two threads. Telemetry is context, not the measurement: if the session fails, the
run goes on and the failure becomes a warning in the result.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.result_builder import no_window_power
from edgebench.shared.result import DeviceFacts, EnergyInfo, MetricSummary, PowerInfo

log = logging.getLogger(__name__)


class Telemetry:
    """Wraps ``samplers.session.TelemetrySession``; every call is failure-guarded."""

    def __init__(self, config: AgentConfig, facts: DeviceFacts, warnings: list[str]) -> None:
        self.warnings = warnings
        self.power_config = config.power
        self.started = False
        self.session: Any = None
        self._pending: deque[dict[str, float | None]] = deque()
        try:
            from edgebench.agent.samplers.session import TelemetrySession

            self.session = TelemetrySession(config, facts)
            self.session.on_sample = self._pending.append
        except Exception as exc:
            self._fail("set up", exc)

    def _fail(self, what: str, exc: Exception) -> None:
        """Record a telemetry failure as a warning and stop using the session."""
        log.warning("telemetry %s failed", what, exc_info=True)
        self.warnings.append(f"telemetry {what} failed ({type(exc).__name__}: {exc})")
        self.session = None

    def start(self) -> None:
        """Start sampling (the first measured run follows immediately)."""
        self.started = True
        if self.session is not None:
            try:
                self.session.start()
            except Exception as exc:
                self._fail("start", exc)

    def stop(self) -> None:
        """Stop sampling, right after the last measured run."""
        if self.session is not None:
            try:
                self.session.stop()
            except Exception as exc:
                self._fail("stop", exc)

    def drain(self) -> list[dict[str, float | None]]:
        """Rows sampled since the last drain (popleft is thread-safe against append)."""
        rows = []
        while self._pending:
            rows.append(self._pending.popleft())
        return rows

    def samples(self) -> list[dict[str, float | None]]:
        """Every row of the measured window."""
        return list(self.session.samples) if self.session is not None else []

    def summary(self) -> dict[str, MetricSummary]:
        """Per-metric summary over the window."""
        if self.session is None:
            return {}
        try:
            return dict(self.session.summary())
        except Exception as exc:
            self._fail("summary", exc)
            return {}

    def throttle_reasons(self) -> list[str]:
        """Throttling/under-voltage conditions seen during the window."""
        if self.session is None:
            return []
        try:
            return list(self.session.throttle_reasons())
        except Exception as exc:
            self._fail("throttle check", exc)
            return []

    def power_and_energy(
        self, inferences: int, window: tuple[float, float]
    ) -> tuple[PowerInfo, EnergyInfo]:
        """Board power and energy over the measured phase ``window`` (epoch start, stop)."""
        if self.session is not None:
            try:
                return self.session.power_and_energy(inferences, window)
            except Exception as exc:
                self._fail("power/energy", exc)
        return no_window_power("telemetry unavailable; see warnings", self.power_config)
