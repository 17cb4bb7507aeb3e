"""Per-op latency: each op cut into a one-op model and timed with the agent's loop.

The Python LiteRT API has no op profiler, and XNNPACK hides the ops inside one delegate
node anyway, so ``profile_model`` isolates op i into a model of its own
(``modeltools.submodel``: real weights, shapes, quantization and options), builds it with
the same backend, threads and XNNPACK setting as ``agent run`` (``backends``) and times
it with ``loop.run_phase``. The whole model is timed in the same call, before and after
the ops, so the gap between the sum of the ops and the whole is measured, not assumed.
``cross_check`` adds the second method: prefix models (first k ops) timed and differenced.
What isolation changes, and by how much, is in docs/profiling.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from edgebench.agent.engine.backends import prepare_interpreter
from edgebench.agent.engine.inputs import random_inputs
from edgebench.agent.engine.loop import run_phase
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.modeltools.flatbuf import parse_flatbuffer
from edgebench.agent.modeltools.generator.builder import serialize
from edgebench.agent.modeltools.modelfile import LoadedModel
from edgebench.agent.modeltools.submodel import io_bytes, op_count, op_model, prefix_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.op_profile import CrossCheck, OpProfile, OpTiming, OpTypeSummary
from edgebench.shared.result import RunResult
from edgebench.shared.uncertainty import percentile_index, sequence_intervals

METHOD = "isolated one-op models (real tensors, weights, quantization), agent timing loop"
CROSS_METHOD = "prefix models (first k ops) timed, consecutive p50s differenced"
# A bootstrap of the p50 per op is cheap at these sizes; fewer reps than a run's 1000.
_CI_REPS = 400


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
    # Make each op's timed sample last about one whole-model inference (see time_bytes).
    match_whole: bool = True
    # The whole model gets this many times an op's time budget (it is timed twice).
    whole_factor: float = 3.0
    cross_check: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Timed:
    """The measured latencies of one model (ms, in run order) and their p50."""

    latencies_ms: list[float]
    p50_ms: float
    xnnpack_applied: bool
    backend_version: str
    # Back-to-back invokes per timed sample (latencies are per invoke: sample / this).
    invokes_per_sample: int = 1


def time_bytes(
    data: bytes,
    name: str,
    settings: ProfileSettings,
    *,
    secs: float | None = None,
    span_ms: float | None = None,
) -> Timed:
    """Build an interpreter from flatbuffer bytes and time ``invoke`` with the agent's loop.

    With ``span_ms``, each timed sample is as many back-to-back invokes as fill about
    ``span_ms`` (the whole model's p50): a sample of a short op then spans as long as one
    whole inference, so interruptions by other processes hit the ops and the whole alike
    instead of sparing the short samples (docs/profiling.md).
    """
    loaded = LoadedModel(Path(name), data, hashlib.sha256(data).hexdigest())
    prepared = prepare_interpreter(settings.backend, loaded, settings.threads, settings.xnnpack)
    interpreter = prepared.interpreter
    for detail, value in zip(
        prepared.input_details, random_inputs(prepared.input_details, settings.seed), strict=True
    ):
        interpreter.set_tensor(detail["index"], value)
    invoke = interpreter.invoke
    min_secs = settings.min_secs if secs is None else secs
    warm = run_phase(invoke, min_runs=settings.warmup_runs, min_secs=0.0, max_secs=60.0)
    per_sample = 1
    if span_ms is not None and warm.latencies_ns:
        estimate_ms = _p50([ns / 1e6 for ns in warm.latencies_ns])
        per_sample = max(1, round(span_ms / max(estimate_ms, 1e-6)))
    if per_sample > 1:
        calls = range(per_sample)

        def batch() -> None:
            for _ in calls:
                invoke()

        timed = batch
    else:
        timed = invoke
    phase = run_phase(timed, min_runs=settings.min_runs, min_secs=min_secs, max_secs=60.0)
    latencies = [ns / 1e6 / per_sample for ns in phase.latencies_ns]
    return Timed(
        latencies,
        _p50(latencies),
        prepared.xnnpack_applied,
        prepared.backend_version,
        per_sample,
    )


def _p50(values: list[float]) -> float:
    """LoadGen nearest-rank p50, as the run summary reports it."""
    ordered = sorted(values)
    return ordered[percentile_index(len(ordered), 500)]


def _ci(values: list[float], seed: int) -> list[float] | None:
    """Return the p50's 95 % interval (block bootstrap), or None with too few runs."""
    if len(values) < 10:
        return None
    low, high = sequence_intervals(values, ("p50",), reps=_CI_REPS, seed=seed).intervals["p50"]
    return [low, high]


def profile_model(
    model: LoadedModel,
    settings: ProfileSettings,
    on_op: Callable[[int, int, str], object] | None = None,
) -> OpProfile:
    """Time every op of ``model`` on its own, and the whole model around them."""
    parsed = parse_flatbuffer(model.data, model.path)
    report = model.checked_report()
    count = op_count(parsed)
    whole_secs = settings.min_secs * settings.whole_factor
    before = time_bytes(model.data, model.path.name, settings, secs=whole_secs)
    span = before.p50_ms if settings.match_whole else None
    rows: list[dict] = []
    skipped: list[str] = []
    for row in report.ops:
        if row.subgraph != 0:
            continue
        if on_op is not None:
            on_op(row.index, count, row.op)
        try:
            one = op_model(parsed, row.index)
            timed = time_bytes(serialize(one), f"op{row.index}.tflite", settings, span_ms=span)
        except EdgebenchError as exc:
            skipped.append(f"{row.index} {row.op}: {exc.format_message()}")
            continue
        rows.append(
            {
                "index": row.index,
                "op": row.op,
                "input_shapes": [list(one.tensors[t].shape) for t in one.ops[0].inputs if t >= 0],
                "output_shape": list(row.output_shape),
                "macs": row.macs,
                "bytes": io_bytes(one),
                "p50_ms": timed.p50_ms,
                "runs": len(timed.latencies_ms),
                "invokes_per_sample": timed.invokes_per_sample,
                "p50_ci95": _ci(timed.latencies_ms, settings.seed + row.index),
            }
        )
    after = time_bytes(model.data, model.path.name, settings, secs=whole_secs)
    whole = before.latencies_ms + after.latencies_ms
    deltas = _prefix_deltas(parsed, count, settings, span) if settings.cross_check else None
    return build_profile(
        rows,
        whole_ms=whole,
        settings=settings,
        sha256=model.sha256,
        backend_version=before.backend_version,
        xnnpack_applied=before.xnnpack_applied,
        prefix=deltas,
        skipped=skipped,
    )


def _prefix_deltas(
    parsed: object, count: int, settings: ProfileSettings, span: float | None
) -> list[float]:
    """Return the p50 of the first k ops for k = 1..count (the last is all the ops)."""
    return [
        time_bytes(
            serialize(prefix_model(parsed, k)), f"prefix{k}.tflite", settings, span_ms=span
        ).p50_ms
        for k in range(1, count + 1)
    ]


def build_profile(
    rows: list[dict],
    *,
    whole_ms: list[float],
    settings: ProfileSettings,
    sha256: str,
    backend_version: str,
    xnnpack_applied: bool,
    prefix: list[float] | None = None,
    skipped: list[str] | None = None,
) -> OpProfile:
    """Assemble the profile record: shares, GOPS, per-type summary, sum, whole and gap."""
    total = sum(r["p50_ms"] for r in rows)
    whole = _p50(whole_ms)
    deltas = None
    if prefix is not None:
        by_index = [0.0, *prefix]
        deltas = {i: by_index[i + 1] - by_index[i] for i in range(len(prefix))}
    ops = [
        OpTiming(
            **r,
            share=r["p50_ms"] / total if total > 0 else 0.0,
            gops=_gops(r["macs"], r["p50_ms"]),
            prefix_delta_ms=deltas.get(r["index"]) if deltas is not None else None,
        )
        for r in rows
    ]
    return OpProfile(
        method=METHOD,
        model_sha256=sha256,
        backend=settings.backend,
        backend_version=backend_version,
        threads=settings.threads,
        xnnpack_requested=settings.xnnpack,
        xnnpack_applied=xnnpack_applied,
        min_runs_per_op=settings.min_runs,
        samples_match_whole=settings.match_whole,
        min_secs_per_op=settings.min_secs,
        ops=ops,
        by_type=summarize_types(ops, total),
        sum_p50_ms=total,
        whole_p50_ms=whole,
        gap_pct=100.0 * (total - whole) / whole if whole > 0 else 0.0,
        whole_p50_ci95=_ci(whole_ms, settings.seed),
        cross_check=_cross_check(ops, prefix, whole) if prefix else None,
        skipped=list(skipped or []),
    )


def summarize_types(ops: list[OpTiming], total: float) -> list[OpTypeSummary]:
    """Group ops by type, heaviest type first."""
    groups: dict[str, list[OpTiming]] = {}
    for op in ops:
        groups.setdefault(op.op, []).append(op)
    out = []
    for name, members in groups.items():
        ms = sum(m.p50_ms for m in members)
        macs = sum(m.macs for m in members)
        share = ms / total if total > 0 else 0.0
        out.append(OpTypeSummary(name, len(members), macs, ms, share, _gops(macs, ms)))
    return sorted(out, key=lambda s: -s.p50_ms)


def _gops(macs: int, ms: float) -> float | None:
    """2·MACs per second in 1e9 units (None without MACs or time)."""
    return 2 * macs / (ms * 1e-3) / 1e9 if macs and ms > 0 else None


def _cross_check(ops: list[OpTiming], prefix: list[float], whole: float) -> CrossCheck:
    """Compare the isolated times with the prefix differences."""
    pairs = [(o.p50_ms, o.prefix_delta_ms) for o in ops if o.prefix_delta_ms is not None]
    diff = sum(abs(a - b) for a, b in pairs)
    return CrossCheck(
        method=CROSS_METHOD,
        full_prefix_p50_ms=prefix[-1],
        spearman=spearman([a for a, _ in pairs], [b for _, b in pairs]),
        sum_abs_diff_pct=100.0 * diff / whole if whole > 0 else 0.0,
    )


def spearman(a: list[float], b: list[float]) -> float | None:
    """Spearman rank correlation (average ranks for ties); None for fewer than 3 pairs."""
    import numpy as np

    if len(a) < 3 or len(a) != len(b):
        return None
    ra, rb = _ranks(np.asarray(a)), _ranks(np.asarray(b))
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: object) -> object:
    """Ranks 1..n with ties given their average rank."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for v in np.unique(values):
        tied = values == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def attach_profile(result: RunResult, model: LoadedModel, options: RunOptions) -> RunResult:
    """``agent run --profile-ops``: add the per-op profile, with the run's backend settings.

    A model that cannot be profiled (its static analysis failed) keeps its run: the
    reason goes to ``warnings`` instead.
    """
    settings = ProfileSettings(
        backend=result.config.backend,
        threads=result.config.threads,
        xnnpack=result.config.xnnpack_requested,
        seed=options.seed,
    )
    try:
        profile = profile_model(model, settings)
    except EdgebenchError as exc:
        warning = f"--profile-ops: no per-op profile: {exc.format_message()}"
        return msgspec.structs.replace(result, warnings=[*result.warnings, warning])
    return msgspec.structs.replace(result, op_profile=profile)
