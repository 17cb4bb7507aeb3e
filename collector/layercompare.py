"""Per-layer comparison of runs of one model: each op's p50 per run and its ratio to the baseline.

Part of a runs comparison (``compare.compare_runs``), under ``layers`` in ``/api/compare``.
Each op's ratio (its p50 in a run over its p50 in the baseline run) is set against the
whole model's ratio (the profiles' ``whole_p50_ms``, timed beside the ops): an op whose
ratio departs far from the model's is what one board is relatively good or bad at. The
departure is the factor ``op ratio / model ratio``; ops that take under ``MIN_SHARE`` of
the time on both sides are never highlighted, since their microsecond timings are noise.

Runs compare layer by layer only when their models are the same: the same model sha256,
or the same model name with identical op lists (op, input and output shapes, in order).
Otherwise, or when a run has no profile, ``available`` is false and ``reason`` says why in
one line.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from edgebench.collector.models import Run
from edgebench.collector.opprofile import MIN_SHARE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A layer whose ratio is this factor above or below the whole model's is highlighted.
DEPART_FACTOR = 1.5
PROFILE_HINT = "run the agent with --profile-ops"


def unavailable(reason: str) -> dict[str, Any]:
    """Return the ``layers`` entry of a comparison that has no per-layer table."""
    return {"available": False, "reason": reason}


def load_profiles(session: Session, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``run_id -> {profile, sha256, name}``; the JSON paths are read in the database."""
    if not run_ids:
        return {}
    stmt = sa.select(
        Run.run_id,
        Run.result["op_profile"].label("profile"),
        Run.model_sha256,
        Run.model_name,
    ).where(Run.run_id.in_(run_ids))
    return {
        row.run_id: {"profile": row.profile, "sha256": row.model_sha256, "name": row.model_name}
        for row in session.execute(stmt)
    }


def _signature(profile: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Return the op list that must match between runs of the same model."""
    return [
        (op["index"], op["op"], repr(op.get("input_shapes")), repr(op.get("output_shape")))
        for op in profile["ops"]
    ]


def _mismatch(runs: list[dict[str, Any]], ids: list[str]) -> str | None:
    """Return why these profiled runs cannot be compared op by op, or None when they can."""
    if len({r["profile"].get("model_sha256") or r["sha256"] for r in runs}) == 1:
        return None
    names = {r["name"] for r in runs}
    if len(names) == 1 and None not in names:
        first = _signature(runs[0]["profile"])
        if all(_signature(r["profile"]) == first for r in runs[1:]):
            return None
        return f"the runs' models share the name {runs[0]['name']!r} but not their op lists"
    listed = ", ".join(f"{i}: {r['name'] or '?'}" for i, r in zip(ids, runs, strict=True))
    return f"the runs' models differ ({listed})"


def compare_layers(session: Session, run_ids: list[str], baseline: str) -> dict[str, Any]:
    """Compare the stored runs' profiles op by op against ``baseline`` (one of ``run_ids``)."""
    if len(run_ids) < 2:
        return unavailable("a per-layer comparison needs two or more runs of one model")
    found = load_profiles(session, run_ids)
    return compare_profiles([found.get(r) or {} for r in run_ids], run_ids, baseline)


def compare_profiles(runs: list[dict[str, Any]], ids: list[str], baseline: str) -> dict[str, Any]:
    """Compare ``runs`` (each ``{profile, sha256, name}``, in the order of ``ids``) op by op."""
    lacking = [i for i, r in zip(ids, runs, strict=True) if not r.get("profile")]
    if lacking:
        which = "none of these runs has" if len(lacking) == len(ids) else "no"
        named = "" if len(lacking) == len(ids) else f" in {', '.join(lacking)}"
        return unavailable(f"{which} per-op profile{named}: {PROFILE_HINT}")
    reason = _mismatch(runs, ids)
    if reason:
        return unavailable(f"no per-layer comparison: {reason}")
    base = ids.index(baseline)
    table = _table([r["profile"] for r in runs], ids, base)
    table["model_name"] = runs[base]["name"]
    return table


def _magnitude(departure: float | None) -> float | None:
    """How far a departure factor is from 1 either way (|log|), None when undefined."""
    return abs(math.log(departure)) if departure and departure > 0 else None


def _row(
    cells: list[dict[str, Any] | None], base: int, model_ratios: list[float | None]
) -> dict[str, Any]:
    """Return one op across the runs (a run that skipped the op has None there)."""
    p50 = [c["p50_ms"] if c else None for c in cells]
    ref = p50[base]
    ratios = [v / ref if v is not None and ref else None for v in p50]
    departure = [
        r / m if r is not None and m else None for r, m in zip(ratios, model_ratios, strict=True)
    ]
    # Only ops that take a visible part of the time on one side or the other are marked.
    magnitude = [
        _magnitude(d)
        if i != base and c and max(c["share"], cells[base]["share"]) >= MIN_SHARE
        else None
        for i, (c, d) in enumerate(zip(cells, departure, strict=True))
    ]
    op = cells[base] or {}
    return {
        "index": op["index"],
        "op": op["op"],
        "output_shape": op.get("output_shape") or [],
        "macs": op["macs"],
        "p50_ms": p50,
        "ratios": ratios,
        "departure": departure,
        "highlight": [m is not None and m >= math.log(DEPART_FACTOR) for m in magnitude],
        "magnitude": magnitude,
    }


def _table(profiles: list[dict[str, Any]], ids: list[str], base: int) -> dict[str, Any]:
    """Build the per-op rows, the model ratios and the most departing op of each run."""
    whole = [p["whole_p50_ms"] for p in profiles]
    model_ratios = [w / whole[base] if whole[base] else None for w in whole]
    # Aligned by op index: a run whose profile skipped an op (docs/profiling.md) has a gap.
    by_index = [{op["index"]: op for op in p["ops"]} for p in profiles]
    rows = [
        _row([ops.get(index) for ops in by_index], base, model_ratios)
        for index in sorted(by_index[base])
    ]
    most: list[int | None] = []
    for i in range(len(ids)):
        # None when no op that may be marked departs at all (each ratio equals the model's).
        scored = [(m, row["index"]) for row in rows if (m := row["magnitude"][i] or 0) > 1e-9]
        most.append(max(scored)[1] if scored else None)
    for row in rows:
        row["most"] = [row["index"] == m for m in most]
        del row["magnitude"]
    return {
        "available": True,
        "reason": None,
        "baseline": ids[base],
        "runs": ids,
        "model_name": None,
        "whole_p50_ms": whole,
        "sum_p50_ms": [p["sum_p50_ms"] for p in profiles],
        "model_ratios": model_ratios,
        "depart_factor": DEPART_FACTOR,
        "min_share": MIN_SHARE,
        "most_departing": most,
        "ops": rows,
    }
