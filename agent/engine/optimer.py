"""Timing one (sub)model with the agent's loop, in samples as long as one whole inference.

``Timer`` builds an interpreter from flatbuffer bytes with the same backend, threads and
XNNPACK setting as ``agent run`` (``backends.prepare_interpreter``), sets seeded random
inputs, and times ``invoke`` with ``loop.run_phase``. With ``span_ms`` a timed sample is
as many back-to-back invokes as fill about ``span_ms`` (the whole model's fastest run): a sample
of a short op then lasts as long as one whole inference, so interruptions by other
processes hit ops and whole alike instead of sparing the short samples
(docs/profiling.md). Latencies are always per invoke.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.engine.backends import prepare_interpreter
from edgebench.agent.engine.inputs import random_inputs
from edgebench.agent.engine.loop import run_phase
from edgebench.agent.modeltools.modelfile import LoadedModel
from edgebench.shared.uncertainty import percentile_index


@dataclass(frozen=True)
class ProfileSettings:
    """Backend, threads and XNNPACK as in ``agent run``; run control per timed model."""

    backend: str = "litert"
    threads: int = 1
    xnnpack: bool = True
    warmup_runs: int = 5
    # Timed samples per model; a sample is one invoke, or several with ``match_whole``.
    min_runs: int = 30
    min_secs: float = 0.3
    # The whole model gets this many times an op's time budget before the ops.
    whole_factor: float = 3.0
    # Make each op's timed sample last about one whole-model inference.
    match_whole: bool = True
    # Alternate each op with the whole model in this many rounds (1: no alternation).
    rounds: int = 3
    cross_check: bool = False
    seed: int = 0


def p50(values: list[float]) -> float:
    """LoadGen nearest-rank p50, as the run summary reports it."""
    ordered = sorted(values)
    return ordered[percentile_index(len(ordered), 500)]


class Timer:
    """One built interpreter, timed in phases of per-invoke latencies (ms)."""

    def __init__(
        self, data: bytes, name: str, settings: ProfileSettings, span_ms: float | None = None
    ) -> None:
        loaded = LoadedModel(Path(name), data, hashlib.sha256(data).hexdigest())
        prepared = prepare_interpreter(settings.backend, loaded, settings.threads, settings.xnnpack)
        interpreter = prepared.interpreter
        inputs = random_inputs(prepared.input_details, settings.seed)
        for detail, value in zip(prepared.input_details, inputs, strict=True):
            interpreter.set_tensor(detail["index"], value)
        self.xnnpack_applied = prepared.xnnpack_applied
        self.backend_version = prepared.backend_version
        invoke = interpreter.invoke
        warm = run_phase(invoke, min_runs=settings.warmup_runs, min_secs=0.0, max_secs=60.0)
        self.per_sample = 1
        if span_ms is not None and warm.latencies_ns:
            # Minima on both sides (the caller passes the whole model's): the least
            # interrupted runs, so the count matches work, not the load of the moment.
            estimate = min(warm.latencies_ns) / 1e6
            self.per_sample = max(1, round(span_ms / max(estimate, 1e-6)))
        calls = range(self.per_sample)

        def batch() -> None:
            for _ in calls:
                invoke()

        self._timed = invoke if self.per_sample == 1 else batch

    def run(self, min_runs: int, min_secs: float) -> list[float]:
        """Time at least ``min_runs`` samples and ``min_secs``; per-invoke latencies in ms."""
        phase = run_phase(self._timed, min_runs=min_runs, min_secs=min_secs, max_secs=60.0)
        return [ns / 1e6 / self.per_sample for ns in phase.latencies_ns]


@dataclass(frozen=True)
class Timed:
    """The measured per-invoke latencies of one model (ms, in run order) and their p50."""

    latencies_ms: list[float]
    p50_ms: float
    xnnpack_applied: bool
    backend_version: str
    invokes_per_sample: int = 1


def time_bytes(
    data: bytes,
    name: str,
    settings: ProfileSettings,
    *,
    secs: float | None = None,
    span_ms: float | None = None,
) -> Timed:
    """Build an interpreter from flatbuffer bytes and time it in one phase."""
    timer = Timer(data, name, settings, span_ms)
    latencies = timer.run(settings.min_runs, settings.min_secs if secs is None else secs)
    return Timed(
        latencies, p50(latencies), timer.xnnpack_applied, timer.backend_version, timer.per_sample
    )
