"""The per-op-type cost model: a fit on synthetic profiles recovers known coefficients."""

from __future__ import annotations

import pytest

from edgebench.shared.latency_model import OpFeatures, fit, fit_type, predict
from edgebench.shared.op_profile import OpProfile, OpTiming

# Known truth: p50 = a + b·MMACs + c·MB per type.
TRUTH = {"CONV_2D": (0.01, 0.02, 0.3), "DEPTHWISE_CONV_2D": (0.005, 0.05, 0.8)}


def _ms(op: str, macs: int, size: int) -> float:
    a, b, c = TRUTH[op]
    return a + b * macs / 1e6 + c * size / 1e6


def _profile(ops: list[tuple[str, int, int]], whole_over_sum: float) -> OpProfile:
    timings = [
        OpTiming(
            index=i,
            op=op,
            input_shapes=[],
            output_shape=[],
            macs=macs,
            bytes=size,
            p50_ms=_ms(op, macs, size),
            share=0.0,
            gops=None,
            runs=10,
        )
        for i, (op, macs, size) in enumerate(ops)
    ]
    total = sum(t.p50_ms for t in timings)
    return OpProfile(
        method="synthetic",
        model_sha256="0" * 64,
        backend="litert",
        backend_version="x",
        threads=1,
        xnnpack_requested=True,
        xnnpack_applied=True,
        min_runs_per_op=10,
        min_secs_per_op=0.0,
        ops=timings,
        by_type=[],
        sum_p50_ms=total,
        whole_p50_ms=total * whole_over_sum,
        gap_pct=0.0,
    )


def _ops(scale: int) -> list[tuple[str, int, int]]:
    return [
        (op, scale * (1 + i) * 1_000_000, scale * (3 + i * i) * 10_000)
        for op in TRUTH
        for i in range(4)
    ]


def test_fit_recovers_known_coefficients() -> None:
    model = fit([_profile(_ops(1), 1.1), _profile(_ops(2), 1.1)])
    for op, coefficients in TRUTH.items():
        assert model.types[op].coefficients == pytest.approx(coefficients, rel=1e-6)
        assert model.types[op].samples == 8
    assert model.whole_over_sum == pytest.approx(1.1)


def test_predict_sums_ops_and_applies_the_calibration() -> None:
    model = fit([_profile(_ops(1), 0.9), _profile(_ops(3), 1.0)])
    new = [OpFeatures("CONV_2D", 5_000_000, 70_000), OpFeatures("DEPTHWISE_CONV_2D", 2_000_000, 1)]
    result = predict(model, new)
    expected = _ms("CONV_2D", 5_000_000, 70_000) + _ms("DEPTHWISE_CONV_2D", 2_000_000, 1)
    assert result.sum_ops_ms == pytest.approx(expected)
    assert result.p50_ms == pytest.approx(expected * (0.9 * 1.0) ** 0.5)
    assert result.unseen_types == []


def test_unseen_type_uses_the_fit_over_all_ops() -> None:
    model = fit([_profile(_ops(1), 1.0)])
    result = predict(model, [OpFeatures("ADD", 0, 10_000)])
    assert result.unseen_types == ["ADD"]
    assert result.p50_ms >= 0


def test_coefficients_stay_non_negative() -> None:
    # Time falls as MACs rise: a negative slope is dropped, the mean remains.
    rows = [(OpFeatures("X", m, 0), 1.0 - m / 1e8) for m in (1_000_000, 2_000_000, 3_000_000)]
    fitted = fit_type("X", rows)
    assert all(c >= 0 for c in fitted.coefficients)
    assert fitted.coefficients[0] == pytest.approx(sum(ms for _, ms in rows) / 3)


def test_one_sample_fits_a_constant() -> None:
    fitted = fit_type("MEAN", [(OpFeatures("MEAN", 1000, 2000), 0.25)])
    assert fitted.coefficients == (0.25, 0.0, 0.0)
