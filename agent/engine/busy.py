"""The busy-board guard: how much CPU other processes use, before and during a run.

Like sbc-bench's refusal to benchmark a busy machine: before the measured phase the
guard measures other processes' CPU over a short window and, while it is above the
threshold, keeps measuring up to a time limit; over the measured phase it measures the
same figure again. Other processes' CPU is the board's busy CPU time (``/proc/stat``,
under the configured ``proc_root``, in clock ticks) minus this process's own CPU time
(``time.process_time``: every thread, the interpreter's pool included), in percent of
one core. A ``proc_root`` whose ``stat`` does not move (a fixture tree) gives None:
nothing can be said, so nothing is held against the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.config import AgentConfig
from edgebench.agent.probe.readers import read_text
from edgebench.agent.samplers.cpu import parse_proc_stat
from edgebench.shared.result_quality import BusyInfo

# Kernel clock ticks per second, the unit of /proc/stat (USER_HZ, 100 on Linux).
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# /proc/stat charges whole ticks to whatever runs when the tick fires, so a short window
# is noise (a 50 ms run spans 5 ticks a core): below this many seconds, say nothing.
MIN_WINDOW_S = 0.5


@dataclass(frozen=True)
class CpuReading:
    """Busy and total ticks of the whole board, its core count, and our own CPU seconds."""

    busy_ticks: int
    total_ticks: int
    cores: int
    own_s: float


def read_cpu(proc_root: Path) -> CpuReading | None:
    """Read ``proc_root/stat`` and this process's CPU time (None without a cpu line)."""
    rows = parse_proc_stat(read_text(proc_root / "stat") or "")
    if "cpu" not in rows:
        return None
    busy, total = rows["cpu"]
    cores = max(1, len(rows) - 1)
    return CpuReading(busy, total, cores, time.process_time())


def other_cpu_pct(before: CpuReading | None, after: CpuReading | None) -> float | None:
    """Other processes' CPU between two readings, in % of one core.

    None when it cannot be told: a reading is missing, or the window is shorter than
    :data:`MIN_WINDOW_S` (or did not move at all, as in a fixture tree).
    """
    if before is None or after is None:
        return None
    # Elapsed time in ticks of one core: the total advances by `cores` ticks per tick.
    elapsed = (after.total_ticks - before.total_ticks) / after.cores
    if elapsed < MIN_WINDOW_S * CLOCK_TICKS:
        return None
    own = (after.own_s - before.own_s) * CLOCK_TICKS
    other = after.busy_ticks - before.busy_ticks - own
    return max(0.0, 100.0 * other / elapsed)


class BusyGuard:
    """Measures other processes' CPU before (with waiting) and during the measured phase."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        allowed: bool,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.proc_root = Path(config.proc_root)
        self.threshold = config.busy_threshold_pct
        self.window = config.busy_window_s
        self.wait_limit = config.busy_wait_s
        self.allowed = allowed
        self._sleep = sleep
        self.before_pct: float | None = None
        self.during_pct: float | None = None
        self.waited_s = 0.0
        self._start: CpuReading | None = None

    def _over(self, pct: float | None) -> bool:
        return pct is not None and pct > self.threshold

    def measure_window(self) -> float | None:
        """Other processes' CPU over one window of ``busy_window_s`` seconds."""
        first = read_cpu(self.proc_root)
        self._sleep(self.window)
        return other_cpu_pct(first, read_cpu(self.proc_root))

    def check_before(self, on_wait: Callable[[float], object] | None = None) -> None:
        """Measure before the run; while busy (and not --allow-busy), wait up to the limit."""
        if self.window <= 0:
            return
        self.before_pct = self.measure_window()
        began = time.monotonic()
        while self._over(self.before_pct) and not self.allowed:
            waited = time.monotonic() - began
            if waited >= self.wait_limit:
                break
            if on_wait is not None:
                on_wait(waited)
            self.before_pct = self.measure_window()
        self.waited_s = 0.0 if self.allowed else time.monotonic() - began

    def start(self) -> None:
        """Take the reading at the start of the measured phase."""
        self._start = read_cpu(self.proc_root)

    def stop(self) -> None:
        """Take the reading at its end and compute the figure over the phase."""
        if self._start is not None:
            self.during_pct = other_cpu_pct(self._start, read_cpu(self.proc_root))

    def info(self) -> BusyInfo:
        """Return the record for the result."""
        return BusyInfo(
            threshold_pct=self.threshold,
            window_s=self.window,
            other_cpu_pct_before=self.before_pct,
            waited_s=self.waited_s,
            other_cpu_pct_during=self.during_pct,
            busy=self._over(self.before_pct),
            contended=self._over(self.during_pct),
            allowed=self.allowed,
        )
