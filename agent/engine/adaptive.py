"""``--target-ci``: keep measuring until the p50 interval is narrow enough, or time runs out.

Phoronix Test Suite adds runs until the standard deviation falls under 3.5 %; edgebench
adds measured time until the 95 % interval of p50 (``shared.uncertainty``, the same
computation as the result's ``latency_ms.ci95``) has a half-width under the target
percentage of p50, or ``--max-secs`` (counted from the start of the measured phase) is
reached. The first chunk is the ordinary measured phase (``--runs``, ``--min-secs``);
each further chunk lasts half the time measured so far (at least a second), so the
number of checks grows only with the logarithm of the run time. The checks happen between
chunks, outside any timed inference, and their time counts in the phase's wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from edgebench.agent.engine.loop import PhaseResult
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.engine.stats import ns_to_ms
from edgebench.shared.result_quality import TargetCI
from edgebench.shared.uncertainty import sequence_intervals

# An interval from fewer runs says little; measure at least this many before judging.
MIN_RUNS_FOR_CHECK = 10
MIN_CHUNK_S = 1.0
GROWTH = 0.5

# run_chunk(min_runs, min_secs, max_secs, runs_before, secs_before) -> PhaseResult
ChunkRunner = Callable[[int, float, float, int, float], PhaseResult]


def p50_half_width_pct(latencies_ns: list[int], seed: int) -> float | None:
    """Half-width of the p50 interval in % of p50, as the result will report it."""
    if len(latencies_ns) < MIN_RUNS_FOR_CHECK:
        return None
    return sequence_intervals(ns_to_ms(latencies_ns), ["p50"], seed=seed).half_width_pct()


def _merge(total: PhaseResult, chunk: PhaseResult) -> None:
    """Append a later chunk to the phase so far (one continuous measured phase)."""
    total.latencies_ns.extend(chunk.latencies_ns)
    if chunk.count:
        total.end_ns = chunk.end_ns
    total.interrupted = total.interrupted or chunk.interrupted


def measure(run_chunk: ChunkRunner, options: RunOptions) -> tuple[PhaseResult, TargetCI | None]:
    """Run the measured phase, extended in chunks while ``options.target_ci_pct`` is unmet."""
    phase = run_chunk(options.runs, options.min_secs, options.max_secs, 0, 0.0)
    target = options.target_ci_pct
    if target is None:
        return phase, None
    checks = 0
    while True:
        half_width = p50_half_width_pct(phase.latencies_ns, options.seed)
        checks += 1
        reached = half_width is not None and half_width < target
        elapsed = (time.perf_counter_ns() - phase.start_ns) / 1e9
        remaining = options.max_secs - elapsed
        if reached or phase.interrupted or remaining <= 0:
            break
        chunk_s = min(max(MIN_CHUNK_S, GROWTH * elapsed), remaining)
        _merge(phase, run_chunk(1, chunk_s, chunk_s, phase.count, elapsed))
    return phase, TargetCI(pct=target, reached=reached, half_width_pct=half_width, checks=checks)
