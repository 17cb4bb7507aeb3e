"""Telemetry over a benchmark's measured phase: a background sampling thread plus summaries.

Life cycle: construct (probes every sampler and the power source, outside the measured
phase), ``start()`` at the start of the measured phase (one reading, then a thread at
``config.sample_hz``), ``stop()`` at its end (joins the thread, one last reading). With
``sample_hz = 0`` there is no thread, but the start and stop readings are still taken, so
throttling, utilisation and power over the window can be judged.
"""

from __future__ import annotations

import logging
import threading
import time

from edgebench.agent.config import AgentConfig
from edgebench.agent.power.estimate import Estimator, make_estimator
from edgebench.agent.power.report import ESTIMATE_KEY, power_report
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.base import REGISTRY, SampleCallback, Sampler
from edgebench.agent.samplers.power import PowerSampler
from edgebench.shared.result import DeviceFacts, EnergyInfo, MetricSummary, PowerInfo
from edgebench.shared.throttle import assess

log = logging.getLogger(__name__)

Row = dict[str, float | None]


def setup_samplers(ctx: SamplerContext) -> tuple[list[Sampler], dict[str, str]]:
    """Set up every registered sampler; return the usable ones and a status per name."""
    ready: list[Sampler] = []
    status: dict[str, str] = {}
    for name, cls in REGISTRY.items():
        sampler = cls()
        try:
            sampler.setup(ctx)
        except NoData as exc:
            log.debug("sampler %s: no data (%s)", name, exc)
            status[name] = f"no data: {exc}"
            continue
        except Exception as exc:  # one broken sampler never stops the others
            log.warning("sampler %s failed to set up: %s", name, exc)
            status[name] = f"error: {exc}"
            continue
        ready.append(sampler)
        status[name] = "available: " + (sampler.source or ", ".join(sampler.units))
    return ready, status


class TelemetrySession:
    """Samples the board during one measured phase; see the module docstring."""

    def __init__(self, config: AgentConfig, facts: DeviceFacts) -> None:
        self.config = config
        self.facts = facts
        self.samples: list[Row] = []
        # Called with every row, from the sampling thread (start/stop rows: caller's thread).
        self.on_sample: SampleCallback | None = None
        # CPU time spent taking readings (thread time of the sampler thread + start/stop).
        self.sampler_cpu_s = 0.0
        self._ctx = SamplerContext(config, facts)
        self._samplers, self.availability = setup_samplers(self._ctx)
        self._power = next((s for s in self._samplers if isinstance(s, PowerSampler)), None)
        self._estimator: Estimator | None = None
        if self._power is None:
            self._estimator = make_estimator(config, facts)
        self._last_read: dict[str, float] = {}
        self._last_freq: float | None = None
        self._failures: dict[str, int] = {}
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._counter: list[tuple[float, float]] = []
        self._started = self._stopped = False

    @property
    def units(self) -> dict[str, str]:
        """Unit of every key the samplers can produce."""
        units = {k: u for s in self._samplers for k, u in s.units.items()}
        if self._estimator is not None:
            units[ESTIMATE_KEY] = "W (estimate)"
        return units

    def start(self) -> None:
        """Take the first reading and start the sampling thread (unless sample_hz is 0)."""
        if self._started:
            raise RuntimeError("a TelemetrySession can only be started once")
        self._started = True
        self._take(first=True)
        if self.config.sample_hz > 0:
            self._thread = threading.Thread(target=self._run, name="edgebench-sampler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and take the last reading (idempotent)."""
        if not self._started or self._stopped:
            return
        self._stopped = True
        self._stop_event.set()
        if self._thread is not None:
            self._thread.join()
        self._take(first=False)
        for sampler in self._samplers:
            try:
                sampler.close()
            except Exception as exc:
                log.debug("sampler %s close failed: %s", sampler.name, exc)

    def _run(self) -> None:
        """Run the sampling loop: one reading per period, skipping ticks it could not keep."""
        cpu0 = time.thread_time()
        period = 1.0 / self.config.sample_hz
        deadline = time.monotonic() + period
        while not self._stop_event.wait(max(0.0, deadline - time.monotonic())):
            self._record(self._read(force=False))
            deadline += period
            now = time.monotonic()
            if deadline < now:  # fell behind (slow vcgencmd): do not burst to catch up
                deadline = now + period
        with self._lock:
            self.sampler_cpu_s += time.thread_time() - cpu0

    def _take(self, *, first: bool) -> None:
        """Take a forced reading in the caller's thread (start and stop)."""
        cpu0 = time.thread_time()
        row = self._read(force=True)
        if self._power is not None and self._power.power_source.is_counter:
            split = self._power.power_source.energy_split_j()
            if split is not None:
                self._counter.append((split[0] + split[1], split[1]))
            if first:
                # A counter's first figure covers the time before the window: drop it.
                for key in self._power.units:
                    row.pop(key, None)
        with self._lock:
            self.sampler_cpu_s += time.thread_time() - cpu0
        self._record(row)

    def _read(self, *, force: bool) -> Row:
        """Read every sampler that is due; a failing sampler is logged, never raised."""
        now = time.monotonic()
        row: Row = {"t": time.time()}
        for sampler in self._samplers:
            last = self._last_read.get(sampler.name)
            if not force and last is not None and now - last < sampler.min_interval_s:
                continue
            self._last_read[sampler.name] = now
            try:
                row.update(sampler.sample())
            except Exception as exc:
                count = self._failures[sampler.name] = self._failures.get(sampler.name, 0) + 1
                if count == 1:
                    log.warning("sampler %s failed: %s", sampler.name, exc)
        if self._estimator is not None:
            if row.get("cpu_freq_mhz") is not None:
                self._last_freq = row["cpu_freq_mhz"]
            row[ESTIMATE_KEY] = self._estimator.watts(row.get("cpu_util_pct"), self._last_freq)
        return row

    def _record(self, row: Row) -> None:
        """Store a row and hand it to ``on_sample`` (whose errors are logged, not raised)."""
        with self._lock:
            self.samples.append(row)
        if self.on_sample is not None:
            try:
                self.on_sample(row)
            except Exception as exc:
                log.warning("on_sample callback failed: %s", exc)

    def _rows(self) -> list[Row]:
        """Return a consistent copy of the rows."""
        with self._lock:
            return list(self.samples)

    def summary(self) -> dict[str, MetricSummary]:
        """Count, min, max, mean and last of every key that has at least one value."""
        return summarize(self._rows(), self.units)

    def throttle_reasons(self) -> list[str]:
        """Reasons for throttling / under-voltage / capping / soft limit during the window.

        The definition (live flags, sticky bits that rose) is ``edgebench.shared.throttle``.
        """
        return assess(self._rows()).reasons()

    def power_and_energy(
        self, inferences: int, window: tuple[float, float] | None = None
    ) -> tuple[PowerInfo, EnergyInfo]:
        """Power over the window and energy for ``inferences`` inferences, labelled by method.

        ``window`` is the measured phase as (start, stop) epoch seconds; by default it is
        the span of the readings, which also covers the first and last reading's own cost
        (a few vcgencmd calls on a Pi), so the engine passes the phase's exact bounds.
        """
        rows = self._rows()
        span = (rows[0]["t"], rows[-1]["t"]) if rows else (None, None)
        start, stop = window if window is not None else span
        counter = None
        if len(self._counter) >= 2:
            (e0, r0), (e1, r1) = self._counter[0], self._counter[-1]
            counter = (e1 - e0, r1 - r0)
            read_s = (span[1] or 0.0) - (span[0] or 0.0)
            if window is not None and read_s > 0:
                # The counter ran from the first reading to the last: keep the window's share.
                share = max(window[1] - window[0], 0.0) / read_s
                counter = (counter[0] * share, counter[1] * share)
        return power_report(
            rows,
            start=start,
            stop=stop,
            inferences=inferences,
            power=self.config.power,
            source=self._power.power_source if self._power is not None else None,
            estimator=self._estimator,
            counter_j=counter,
        )


def summarize(rows: list[Row], units: dict[str, str]) -> dict[str, MetricSummary]:
    """Count, min, max, mean and last of every key of ``rows`` that has at least one value."""
    out: dict[str, MetricSummary] = {}
    for key in sorted({k for r in rows for k in r if k != "t"}):
        values = [v for r in rows if (v := r.get(key)) is not None]
        if not values:
            continue
        out[key] = MetricSummary(
            count=len(values),
            min=min(values),
            max=max(values),
            mean=sum(values) / len(values),
            last=values[-1],
            unit=units.get(key, ""),
        )
    return out
