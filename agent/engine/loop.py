"""The timed inference loop, with ``benchmark_model``'s run-control semantics.

A phase keeps running while ``(n < min_runs or elapsed < min_secs) and elapsed <=
max_secs`` (``BenchmarkModel::Run``); a run already started always finishes. Only
``invoke()`` is inside the timed region (``perf_counter_ns`` before and after);
feeding the next input, pacing and progress reports happen outside it. The loop
body is kept to a handful of local-variable operations so the harness adds
well under 2 % to a millisecond-scale inference (see bench/harness_overhead.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# How often the loop reports progress (between two runs, never inside one).
TICK_S = 1.0


@dataclass
class PhaseResult:
    """What one phase did: per-run latencies and its wall-clock window."""

    latencies_ns: list[int] = field(default_factory=list)
    start_ns: int = 0
    end_ns: int = 0
    start_epoch: float = 0.0
    interrupted: bool = False

    @property
    def count(self) -> int:
        """Number of completed runs."""
        return len(self.latencies_ns)

    @property
    def duration_s(self) -> float:
        """Wall time from the phase start to the end of its last run."""
        return (self.end_ns - self.start_ns) / 1e9


def run_phase(
    invoke: Callable[[], object],
    *,
    min_runs: int,
    min_secs: float,
    max_secs: float,
    rate_hz: float | None = None,
    feed: Callable[[int], object] | None = None,
    on_tick: Callable[[int, float], object] | None = None,
    tick_s: float = TICK_S,
) -> PhaseResult:
    """Run ``invoke`` under benchmark_model's run control and time each call.

    ``feed(n)`` is called before run ``n`` (outside the timed region) to set its
    input. With ``rate_hz``, run ``n`` is scheduled ``n / rate_hz`` seconds after
    the phase start; a run that is late starts at once (``run_frequency``).
    Ctrl-C ends the phase early and is reported as ``interrupted``; a run cut
    short by it is not counted.
    """
    clock = time.perf_counter_ns
    sleep = time.sleep
    latencies: list[int] = []
    append = latencies.append
    period_ns = round(1e9 / rate_hz) if rate_hz else 0
    tick_ns = round(tick_s * 1e9)
    result = PhaseResult(latencies_ns=latencies, start_epoch=time.time())
    start = now = clock()
    result.start_ns = result.end_ns = start
    min_end = start + round(min_secs * 1e9)
    max_end = start + round(max_secs * 1e9)
    next_tick = start + tick_ns
    n = 0
    try:
        while (n < min_runs or now < min_end) and now <= max_end:
            if period_ns:
                due = start + n * period_ns
                if now < due:
                    sleep((due - now) / 1e9)
            if feed is not None:
                feed(n)
            begin = clock()
            invoke()
            now = clock()
            append(now - begin)
            result.end_ns = now
            n += 1
            if now >= next_tick and on_tick is not None:
                on_tick(n, (now - start) / 1e9)
                now = clock()
                next_tick = now + tick_ns
    except KeyboardInterrupt:
        result.interrupted = True
    return result
