"""Run state shared by the engine's steps, and the assembly of the final RunResult.

``runner`` loads and measures; this module holds what a run carries between the
steps (``RunState``) and turns the finished phases into the schema's RunResult.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import msgspec

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.backends import PreparedInterpreter
from edgebench.agent.engine.busy import BusyGuard
from edgebench.agent.engine.events import FanOut
from edgebench.agent.engine.inputs import ImageInputs
from edgebench.agent.engine.intervals import add_trial, latency_ci
from edgebench.agent.engine.loop import PhaseResult
from edgebench.agent.engine.memory import peak_rss_mb
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.engine.result_builder import no_window_power
from edgebench.agent.engine.stats import ns_to_ms, summarize
from edgebench.agent.engine.telemetry import Telemetry
from edgebench.agent.engine.verdict import make_verdict
from edgebench.shared.result import (
    RESULT_SCHEMA_VERSION,
    Accuracy,
    DeviceFacts,
    MemoryInfo,
    ModelInfo,
    RunConfig,
    RunResult,
    Timing,
)
from edgebench.shared.result_quality import TargetCI, Trials


@dataclasses.dataclass
class RunInputs:
    """The input tensors to cycle through, and the image accuracy-mode extras."""

    tensors: list[list[Any]]
    images: ImageInputs | None = None
    labels: list[str] | None = None
    expected: dict[str, str] | None = None


@dataclasses.dataclass
class RunState:
    """Everything one run carries from loading to the finished result."""

    run_id: str
    started_at: float
    options: RunOptions
    config: AgentConfig
    facts: DeviceFacts
    events: FanOut
    prepared: PreparedInterpreter
    info: ModelInfo
    cfg: RunConfig
    inputs: RunInputs
    sweep_id: str | None
    warnings: list[str]
    memory: MemoryInfo
    busy: BusyGuard
    # Set for each trial of ``--repeat`` (the trials before it already in ``completed``).
    trials: Trials | None = None
    target_ci: TargetCI | None = None

    def ticker(self, phase: str) -> Callable[[int, float], None]:
        """Return an ``on_tick`` that reports progress of ``phase``."""
        return lambda done, elapsed: self.events.progress(self.run_id, phase, done, elapsed)


def assemble(
    run: RunState,
    warm: PhaseResult,
    measured: PhaseResult,
    telemetry: Telemetry,
    accuracy: Accuracy | None,
    *,
    interrupted: bool,
) -> RunResult:
    """Build the RunResult from the phases, the telemetry and the accuracy pass."""
    options = run.options
    latencies = ns_to_ms(measured.latencies_ns)
    warm_ms = ns_to_ms(warm.latencies_ns)
    duration = measured.duration_s
    throughput = measured.count / duration if duration > 0 else 0.0
    # Without a measured phase the window collapses to the end of the warm-up.
    window_start = measured.start_epoch or warm.start_epoch + warm.duration_s
    if telemetry.started:
        # Energy over the measured phase only, not the sampler's start/stop readings.
        window = (window_start, window_start + duration)
        power, energy = telemetry.power_and_energy(measured.count, window)
    else:
        power, energy = no_window_power(
            "no measured phase (interrupted during warm-up)", run.config.power
        )
    macs = run.info.macs
    summary = summarize(latencies)
    ci = latency_ci(latencies, throughput, paced=options.rate_hz is not None, seed=options.seed)
    summary = msgspec.structs.replace(summary, ci95=ci)
    busy = run.busy.info()
    if busy.allowed and (busy.busy or busy.contended):
        run.warnings.append(
            "other processes were using the CPU (see busy); --allow-busy kept the verdict"
        )
    trials = run.trials
    if trials is not None:
        trials = add_trial(
            trials, run_id=run.run_id, p50_ms=summary.p50, ci=ci, throughput_ips=throughput
        )
    return RunResult(
        schema_version=RESULT_SCHEMA_VERSION,
        run_id=run.run_id,
        status="interrupted" if interrupted else "complete",
        started_at=run.started_at,
        finished_at=time.time(),
        device=run.facts,
        model=run.info,
        config=run.cfg,
        timing=Timing(
            init_ms=run.prepared.init_ms,
            # benchmark_model's "first inference" is the first warm-up run.
            first_inference_ms=(warm_ms or latencies or [None])[0],
            warmup_mean_ms=summarize(warm_ms).mean,
            warmup_count=warm.count,
            measured_start=window_start,
            measured_end=window_start + duration,
            measured_duration_s=duration,
            preprocess_ms=(
                summarize(run.inputs.images.preprocess_ms) if run.inputs.images else None
            ),
        ),
        latency_ms=summary,
        throughput_ips=throughput,
        memory=msgspec.structs.replace(run.memory, peak_rss_mb=peak_rss_mb()),
        verdict=make_verdict(
            count=measured.count,
            duration_s=duration,
            min_runs=options.runs,
            min_secs=options.min_secs,
            throttle_reasons=telemetry.throttle_reasons(),
            interrupted=interrupted,
            busy=busy,
        ),
        samples_summary=telemetry.summary(),
        power=power,
        energy=energy,
        gops=2 * macs * throughput / 1e9 if macs and throughput else None,
        sweep_id=run.sweep_id,
        accuracy=accuracy,
        latencies_ms=latencies,
        samples=telemetry.samples(),
        warnings=run.warnings,
        trials=trials,
        target_ci=run.target_ci,
        busy=busy,
    )
