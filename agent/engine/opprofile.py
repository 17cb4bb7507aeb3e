"""Per-op latency: each op cut into a one-op model and timed with the agent's loop.

The Python LiteRT API has no op profiler, and XNNPACK hides the ops inside one delegate
node anyway, so ``profile_model`` isolates op i into a model of its own
(``modeltools.submodel``: real weights, shapes, quantization and options) and times it
with ``optimer.Timer`` (same backend, threads and XNNPACK setting as ``agent run``, the
agent's loop). Each op alternates with the whole model in a few rounds, and its time is
its ratio to the whole model timed beside it, times the whole model's p50 over the
profile: load that comes and goes while a profile runs (minutes) then cancels. The gap
between the sum of the ops and the whole is reported, not assumed away. ``cross_check``
adds the second method: prefix models (first k ops) timed and differenced.
What isolation changes, and by how much, is in docs/profiling.md.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from edgebench.agent.engine.optimer import ProfileSettings, Timer, p50, time_bytes
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.modeltools.generator.builder import serialize
from edgebench.agent.modeltools.modelfile import LoadedModel
from edgebench.agent.modeltools.submodel import op_count, op_model, prefix_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.op_profile import CrossCheck, OpProfile, OpTiming, OpTypeSummary
from edgebench.shared.result import RunResult
from edgebench.shared.tflite.flatbuf import parse_flatbuffer
from edgebench.shared.uncertainty import sequence_intervals

__all__ = ["ProfileSettings", "attach_profile", "profile_model", "spearman", "time_bytes"]

METHOD = "isolated one-op models (real tensors, weights, quantization), agent timing loop"
CROSS_METHOD = "prefix models (first k ops) timed, consecutive p50s differenced"
# A bootstrap of the p50 per op is cheap at these sizes; fewer reps than a run's 1000.
_CI_REPS = 400


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
    whole = Timer(model.data, model.path.name, settings)
    whole_ms = whole.run(settings.min_runs, settings.min_secs * settings.whole_factor)
    span = min(whole_ms) if settings.match_whole else None
    rounds = max(1, settings.rounds)
    rows: list[dict] = []
    skipped: list[str] = []
    for row in report.ops:
        if row.subgraph != 0:
            continue
        if on_op is not None:
            on_op(row.index, count, row.op)
        try:
            one = op_model(parsed, row.index)
            timer = Timer(serialize(one), f"op{row.index}.tflite", settings, span)
        except EdgebenchError as exc:
            skipped.append(f"{row.index} {row.op}: {exc.format_message()}")
            continue
        # Alternate the op with the whole model: load that changes during the profile
        # then moves both sides of the op's ratio to the whole alike.
        op_ms: list[float] = []
        beside: list[float] = []
        per_round = max(1, -(-settings.min_runs // rounds))
        for _ in range(rounds):
            op_ms += timer.run(per_round, settings.min_secs / rounds)
            if rounds > 1:
                beside += whole.run(per_round, 0.0)
        rows.append(
            {
                "index": row.index,
                "op": row.op,
                "input_shapes": [list(one.tensors[t].shape) for t in one.ops[0].inputs if t >= 0],
                "output_shape": list(row.output_shape),
                "macs": row.macs,
                "bytes": row.io_bytes,
                "raw_p50_ms": p50(op_ms),
                "beside_p50_ms": p50(beside) if beside else None,
                "runs": len(op_ms),
                "invokes_per_sample": timer.per_sample,
                "p50_ci95": _ci(op_ms, settings.seed + row.index),
            }
        )
        whole_ms += beside
    whole_ms += whole.run(settings.min_runs, settings.min_secs * settings.whole_factor)
    deltas = _prefix_deltas(parsed, count, settings, span) if settings.cross_check else None
    return build_profile(
        rows,
        whole_ms=whole_ms,
        settings=settings,
        sha256=model.sha256,
        backend_version=whole.backend_version,
        xnnpack_applied=whole.xnnpack_applied,
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
    whole = p50(whole_ms)
    rows = [_normalized(r, whole) for r in rows]
    total = sum(r["p50_ms"] for r in rows)
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
        rounds_with_whole=settings.rounds,
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


def _normalized(row: dict, whole: float) -> dict:
    """Express an op alternated with the whole model as its ratio to it, times ``whole``.

    ``raw_p50_ms`` over the whole model's p50 timed in the same rounds
    (``whole_beside_p50_ms``) cancels load that changed while the profile ran.
    """
    out = dict(row)
    beside = out.pop("beside_p50_ms", None)
    scale = whole / beside if beside else 1.0
    out["whole_beside_p50_ms"] = beside
    out["p50_ms"] = out["raw_p50_ms"] * scale
    if out.get("p50_ci95") is not None:
        out["p50_ci95"] = [v * scale for v in out["p50_ci95"]]
    return out


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
