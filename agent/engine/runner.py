"""One benchmark run, start to finish: load, warm up, measure, score, build the result.

``run_benchmark`` is what ``agent run`` and ``agent sweep`` call. It raises
EdgebenchError for anything the user can fix (bad model, bad images, bad options)
and returns a RunResult otherwise; Ctrl-C during the run yields a partial result
with status ``interrupted`` and an INVALID verdict instead of an exception.
The caller owns the listener and closes it.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine import accuracy as acc
from edgebench.agent.engine.adaptive import measure
from edgebench.agent.engine.assemble import RunInputs, RunState, assemble
from edgebench.agent.engine.backends import PreparedInterpreter, prepare_interpreter
from edgebench.agent.engine.busy import BusyGuard
from edgebench.agent.engine.events import (
    PHASE_ACCURACY,
    PHASE_BUSY_WAIT,
    PHASE_MEASURE,
    PHASE_WARMUP,
    FanOut,
    RunListener,
)
from edgebench.agent.engine.inputs import load_images, random_inputs
from edgebench.agent.engine.loop import PhaseResult, run_phase
from edgebench.agent.engine.memory import rss_mb
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.engine.result_builder import model_info, run_config
from edgebench.agent.engine.telemetry import Telemetry
from edgebench.agent.modeltools.resolve import ResolvedModel, open_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import (
    Accuracy,
    DeviceFacts,
    MemoryInfo,
    RunResult,
)
from edgebench.shared.result_quality import Trials

__all__ = ["RunOptions", "run_benchmark"]

log = logging.getLogger(__name__)


def _as_resolved(model: ResolvedModel | Path | str) -> ResolvedModel:
    """Accept a ResolvedModel (already read) or a plain path (read here, once)."""
    if isinstance(model, (str, Path)):
        path = Path(model)
        return open_model(path, path.name, "file")
    return model


def _prepare_inputs(
    options: RunOptions, interpreter: PreparedInterpreter, model_file: str
) -> RunInputs:
    """Random tensors, or decoded images (plus labels/expected in accuracy mode)."""
    if options.images is None:
        return RunInputs(tensors=[random_inputs(interpreter.input_details, options.seed)])
    images = load_images(options.images, interpreter.input_details)
    prepared = RunInputs(tensors=[[tensor] for tensor in images.tensors], images=images)
    if options.labels is not None:
        shape = interpreter.output_details[0]["shape"]
        prepared.labels = acc.load_labels(options.labels, int(shape[-1]))
        prepared.expected = (
            acc.load_expected(options.expected, model_file) if options.expected else {}
        )
    return prepared


def _feeder(prepared: PreparedInterpreter, tensors: list[list[Any]]) -> Any:
    """Return ``feed(n)`` setting input set ``n mod len`` (None if inputs never change)."""
    interpreter = prepared.interpreter
    indices = [detail["index"] for detail in prepared.input_details]
    set_tensor = interpreter.set_tensor

    def set_all(values: list[Any]) -> None:
        for index, value in zip(indices, values, strict=True):
            set_tensor(index, value)

    set_all(tensors[0])
    if len(tensors) == 1:
        return None
    return lambda n: set_all(tensors[n % len(tensors)])


def _classifier(prepared: PreparedInterpreter) -> Any:
    """Return a function that runs one image tensor and returns the first output."""
    interpreter = prepared.interpreter
    in_index = prepared.input_details[0]["index"]
    out_index = prepared.output_details[0]["index"]

    def classify(tensor: Any) -> Any:
        interpreter.set_tensor(in_index, tensor)
        interpreter.invoke()
        return interpreter.get_tensor(out_index)

    return classify


def run_benchmark(  # noqa: PLR0917 -- the signature is the documented engine seam
    model: ResolvedModel | Path | str,
    options: RunOptions,
    config: AgentConfig,
    facts: DeviceFacts,
    listener: RunListener | None = None,
    sweep_id: str | None = None,
    *,
    trials: Trials | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Benchmark one model and return the full RunResult (see docs/result-schema.md).

    ``trials`` places the run in a ``--repeat`` series (``engine.repeat``). ``run_id``
    is the run's id when the caller chose it already (the daemon records it before the run
    starts, so a run cut short can be reported under its own id); a fresh one otherwise.
    """
    options.validate()
    if options.sample_hz is not None:
        config = msgspec.structs.replace(config, sample_hz=options.sample_hz)
    resolved = _as_resolved(model)
    warnings: list[str] = []
    started_at = time.time()
    rss_before = rss_mb()
    prepared = prepare_interpreter(
        options.backend, resolved.model, options.resolved_threads(), options.xnnpack
    )
    rss_after = rss_mb()
    warnings.extend(prepared.warnings)
    if rss_after is None:
        warnings.append("RSS is unreadable here (no /proc?): memory before/after load unknown")
    run = RunState(
        run_id=run_id or uuid.uuid4().hex,
        started_at=started_at,
        options=options,
        config=config,
        facts=facts,
        events=FanOut([listener]),
        prepared=prepared,
        info=model_info(resolved, prepared, warnings),
        cfg=run_config(options, prepared, config.sample_hz),
        # Decode images and read labels before the run starts: bad input fails fast.
        inputs=_prepare_inputs(options, prepared, resolved.path.name),
        sweep_id=sweep_id,
        warnings=warnings,
        memory=MemoryInfo(rss_before, rss_after, 0.0),
        busy=BusyGuard(config, allowed=options.allow_busy),
        trials=trials,
    )
    run.events.run_started(run.run_id, run.info, run.cfg)
    try:
        result = _measure(run)
    except EdgebenchError as exc:
        run.events.failed(run.run_id, exc.format_message())
        raise
    except Exception as exc:
        # An unexpected runtime failure (e.g. invoke() raising): report it in one line.
        log.debug("run failed", exc_info=True)
        message = f"the run failed: {type(exc).__name__}: {exc}"
        run.events.failed(run.run_id, message)
        raise EdgebenchError(message) from exc
    if options.profile_ops and result.status == "complete":
        # Before finished(): the profile travels to the collector with the run.
        from edgebench.agent.engine.opprofile import attach_profile

        result = attach_profile(result, resolved.model, options)
    run.events.finished(result)
    return result


def _measure(run: RunState) -> RunResult:
    """Warm up, measure with telemetry, run accuracy mode, and assemble the result.

    Ctrl-C anywhere in here (inside a phase, between phases, in a listener) ends the
    run as ``interrupted`` with whatever was measured so far.
    """
    options, events = run.options, run.events
    invoke = run.prepared.interpreter.invoke
    feed = _feeder(run.prepared, run.inputs.tensors)
    # Probe the samplers before warming up, so their set-up cost stays out of both phases.
    telemetry = Telemetry(run.config, run.facts, run.warnings)
    warm = measured = PhaseResult()
    accuracy = None

    def on_tick(done: int, elapsed: float) -> None:
        events.progress(run.run_id, PHASE_MEASURE, done, elapsed)
        rows = telemetry.drain()
        if rows:
            events.samples(run.run_id, rows)

    def run_chunk(
        min_runs: int, min_secs: float, max_secs: float, runs_before: int, secs_before: float
    ) -> PhaseResult:
        def tick(done: int, elapsed: float) -> None:
            on_tick(runs_before + done, secs_before + elapsed)

        return run_phase(
            invoke,
            min_runs=min_runs,
            min_secs=min_secs,
            max_secs=max_secs,
            rate_hz=options.rate_hz,
            feed=feed,
            on_tick=tick,
        )

    try:
        # Other processes' CPU before the board warms up (waiting while it is busy).
        run.busy.check_before(lambda waited: run.ticker(PHASE_BUSY_WAIT)(0, waited))
        warm = run_phase(
            invoke,
            min_runs=options.warmup_runs,
            min_secs=options.warmup_secs,
            max_secs=options.max_secs,
            rate_hz=options.rate_hz,
            feed=feed,
            on_tick=run.ticker(PHASE_WARMUP),
        )
        if not warm.interrupted:
            events.progress(run.run_id, PHASE_WARMUP, warm.count, warm.duration_s)
            # The telemetry window is exactly the measured phase (the MLPerf power rule).
            telemetry.start()
            run.busy.start()
            try:
                measured, run.target_ci = measure(run_chunk, options)
            finally:
                run.busy.stop()
                telemetry.stop()
            on_tick(measured.count, measured.duration_s)
        if not (warm.interrupted or measured.interrupted):
            accuracy = _accuracy(run)
        interrupted = warm.interrupted or measured.interrupted
    except KeyboardInterrupt:
        interrupted = True
    return assemble(run, warm, measured, telemetry, accuracy, interrupted=interrupted)


def _accuracy(run: RunState) -> Accuracy | None:
    """Classify each image once (outside the measured window), if labels were given."""
    inputs = run.inputs
    if inputs.labels is None or inputs.images is None:
        return None
    result = acc.evaluate(
        _classifier(run.prepared),
        names=inputs.images.names,
        tensors=inputs.images.tensors,
        output_detail=run.prepared.output_details[0],
        labels=inputs.labels,
        expected=inputs.expected or {},
    )
    run.events.progress(run.run_id, PHASE_ACCURACY, result.images, 0.0)
    return result
