"""Predict a model's latency from per-op profiles: a per-op-type linear cost model.

As nn-Meter predicts from kernel measurements, each op type gets its own fit, by least
squares over every profiled op of that type::

    p50_ms = a + b · MMACs + c · MB        (MMACs = MACs / 1e6, MB = bytes read+written / 1e6)

with the coefficients kept non-negative (a negative term would predict negative times
off the fitted range): a negative coefficient's column is dropped and the fit redone.
A type with fewer ops than terms keeps only the terms it can pin down. The prediction of a
whole model is the sum over its ops times the profiles' mean whole/sum ratio, so the part
of the whole that isolation does not see (docs/profiling.md) is carried over, not ignored.
Shared so the collector can predict from the profiles it stores with the same arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from edgebench.shared.op_profile import OpProfile

# Feature columns: intercept (ms), MMACs, MB.
TERMS = ("ms", "ms_per_mmac", "ms_per_mb")


@dataclass(frozen=True)
class OpFeatures:
    """What the cost model knows of one op: its type, MACs and bytes moved."""

    op: str
    macs: int
    bytes: int


@dataclass(frozen=True)
class TypeFit:
    """Fitted coefficients of one op type (``TERMS`` order) and the ops it was fitted on."""

    op: str
    coefficients: tuple[float, float, float]
    samples: int

    def predict(self, features: OpFeatures) -> float:
        """Predicted p50 of one op, in milliseconds."""
        a, b, c = self.coefficients
        return a + b * features.macs / 1e6 + c * features.bytes / 1e6


@dataclass(frozen=True)
class CostModel:
    """Per-type fits, a fit over all ops for unseen types, and the whole/sum calibration."""

    types: dict[str, TypeFit]
    fallback: TypeFit
    whole_over_sum: float
    profiles: int


@dataclass(frozen=True)
class Prediction:
    """A predicted whole-model p50 and how it was made up."""

    p50_ms: float
    sum_ops_ms: float
    per_op_ms: list[float]
    by_type_ms: dict[str, float]
    unseen_types: list[str] = field(default_factory=list)


def profile_features(profile: OpProfile) -> list[tuple[OpFeatures, float]]:
    """Return the (features, measured p50 ms) pairs of one profile."""
    return [(OpFeatures(o.op, o.macs, o.bytes), o.p50_ms) for o in profile.ops]


def fit(profiles: list[OpProfile]) -> CostModel:
    """Fit the per-type cost model on the ops of ``profiles`` (at least one)."""
    if not profiles:
        raise ValueError("fitting needs at least one profile")
    samples = [pair for p in profiles for pair in profile_features(p)]
    by_type: dict[str, list[tuple[OpFeatures, float]]] = {}
    for features, ms in samples:
        by_type.setdefault(features.op, []).append((features, ms))
    types = {op: fit_type(op, rows) for op, rows in by_type.items()}
    ratios = [p.whole_p50_ms / p.sum_p50_ms for p in profiles if p.sum_p50_ms > 0]
    # Geometric mean: the calibration is a ratio.
    calibration = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else 1.0
    return CostModel(types, fit_type("*", samples), calibration, len(profiles))


def fit_type(op: str, rows: list[tuple[OpFeatures, float]]) -> TypeFit:
    """Non-negative least squares of p50 on (1, MMACs, MB) for one op type."""
    import numpy as np

    x = np.array([[1.0, f.macs / 1e6, f.bytes / 1e6] for f, _ in rows])
    y = np.array([ms for _, ms in rows])
    # Terms the data can pin down: a feature that never varies adds nothing beyond a.
    active = [0] + [j for j in (1, 2) if np.ptp(x[:, j]) > 0]
    if len(rows) < 2:
        active = [0]
    while len(active) > len(rows):
        active.pop()
    coef = np.zeros(3)
    while active:
        solution, *_ = np.linalg.lstsq(x[:, active], y, rcond=None)
        if (solution >= 0).all():
            coef[active] = solution
            break
        # Drop the most negative term and refit (a small active-set NNLS).
        active.pop(int(np.argmin(solution)))
    return TypeFit(op, (float(coef[0]), float(coef[1]), float(coef[2])), len(rows))


def predict(model: CostModel, ops: list[OpFeatures]) -> Prediction:
    """Predict the whole-model p50 of a model with these ops."""
    per_op = []
    by_type: dict[str, float] = {}
    unseen: list[str] = []
    for features in ops:
        fitted = model.types.get(features.op)
        if fitted is None:
            fitted = model.fallback
            if features.op not in unseen:
                unseen.append(features.op)
        ms = fitted.predict(features)
        per_op.append(ms)
        by_type[features.op] = by_type.get(features.op, 0.0) + ms
    total = sum(per_op)
    return Prediction(total * model.whole_over_sum, total, per_op, by_type, unseen)
