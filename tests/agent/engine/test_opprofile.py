"""Per-op profiles: fields and arithmetic (never timings), run --profile-ops, the codec."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import msgspec
import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.opprofile import (
    ProfileSettings,
    build_profile,
    profile_model,
    spearman,
)
from edgebench.agent.engine.runner import RunOptions, run_benchmark
from edgebench.agent.facts import collect_device_facts
from edgebench.agent.modeltools.modelfile import inspect_model, load_model
from edgebench.shared.codec import decode_message, encode_message, topic_for
from edgebench.shared.messages import ResultMessage
from edgebench.shared.op_profile import OpProfile
from edgebench.shared.topics import TopicLayout

# As short as the loop allows: these tests check structure, not speed.
FAST = ProfileSettings(threads=1, warmup_runs=1, min_runs=3, min_secs=0.0, whole_factor=0.0)


@pytest.fixture(scope="module")
def small(shared_dir: Path) -> Path:
    return shared_dir / "models" / "mobilenet_v1_0.25_128_quant.tflite"


@pytest.fixture(scope="module")
def profile(small: Path) -> OpProfile:
    return profile_model(load_model(small), dataclasses.replace(FAST, cross_check=True))


def test_profile_fields_and_arithmetic(profile: OpProfile, small: Path) -> None:
    report = inspect_model(small)
    assert [o.index for o in profile.ops] == [r.index for r in report.ops]
    assert [o.macs for o in profile.ops] == [r.macs for r in report.ops]
    assert [o.output_shape for o in profile.ops] == [r.output_shape for r in report.ops]
    assert profile.ops[0].input_shapes == [[1, 128, 128, 3], [8, 3, 3, 3], [8]]
    assert math.isclose(sum(o.share for o in profile.ops), 1.0)
    assert math.isclose(profile.sum_p50_ms, sum(o.p50_ms for o in profile.ops))
    gap = 100 * (profile.sum_p50_ms - profile.whole_p50_ms) / profile.whole_p50_ms
    assert math.isclose(profile.gap_pct, gap)
    for op in profile.ops:
        assert op.runs >= 3 and op.p50_ms > 0
        if op.macs:
            assert math.isclose(op.gops, 2 * op.macs / (op.p50_ms / 1e3) / 1e9)
        else:
            assert op.gops is None
    types = {s.op: s for s in profile.by_type}
    assert sum(s.count for s in types.values()) == len(profile.ops)
    assert types["CONV_2D"].count == 15 and types["DEPTHWISE_CONV_2D"].count == 13
    assert math.isclose(sum(s.p50_ms for s in types.values()), profile.sum_p50_ms)
    assert profile.threads == 1 and profile.backend == "litert"


def test_cross_check_differences_prefixes(profile: OpProfile) -> None:
    deltas = [o.prefix_delta_ms for o in profile.ops]
    assert all(d is not None for d in deltas)
    # Differences of consecutive prefixes add up to the last prefix (all ops).
    assert math.isclose(sum(deltas), profile.cross_check.full_prefix_p50_ms)


def test_profile_dict_round_trips(profile: OpProfile) -> None:
    document = json.loads(json.dumps(profile.to_dict()))
    for key in ("ops", "by_type", "sum_p50_ms", "whole_p50_ms", "gap_pct"):
        assert key in document
    assert set(document["ops"][0]) >= {
        "index", "op", "input_shapes", "output_shape", "macs", "p50_ms", "share", "gops"
    }  # fmt: skip
    assert msgspec.convert(document, OpProfile) == profile


def _row(index: int, op: str, macs: int, ms: float) -> dict:
    return {
        "index": index,
        "op": op,
        "input_shapes": [[1, 4]],
        "output_shape": [1, 4],
        "macs": macs,
        "bytes": 8,
        "raw_p50_ms": ms,
        "beside_p50_ms": None,
        "runs": 10,
        "p50_ci95": None,
    }


def test_build_profile_arithmetic() -> None:
    rows = [_row(0, "CONV_2D", 1_000_000, 1.0), _row(1, "ADD", 0, 0.5), _row(2, "CONV_2D", 0, 2.5)]
    result = build_profile(
        rows,
        whole_ms=[3.0, 5.0, 4.0],
        settings=FAST,
        sha256="0" * 64,
        backend_version="x",
        xnnpack_applied=True,
        prefix=[1.5, 1.75, 4.0],
    )
    assert result.sum_p50_ms == 4.0 and result.whole_p50_ms == 4.0 and result.gap_pct == 0.0
    assert [o.share for o in result.ops] == [0.25, 0.125, 0.625]
    assert result.ops[0].gops == 2.0  # 2e6 operations in 1 ms
    assert [o.prefix_delta_ms for o in result.ops] == [1.5, 0.25, 2.25]
    assert result.by_type[0].op == "CONV_2D" and result.by_type[0].p50_ms == 3.5
    assert result.cross_check.sum_abs_diff_pct == pytest.approx(100 * 1.0 / 4.0)


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2], [1, 2]) is None


def test_run_with_profile_ops_carries_the_profile_through_the_codec(tmp_path, small) -> None:
    config = AgentConfig(state_dir=tmp_path / "s", cache_dir=tmp_path / "c", busy_window_s=0.0)
    options = RunOptions(
        runs=3, min_secs=0.0, warmup_secs=0.0, sample_hz=0.0, threads=1, profile_ops=True
    )
    result = run_benchmark(small, options, config, collect_device_facts(config))
    assert result.op_profile is not None
    assert result.op_profile.model_sha256 == result.model.sha256
    assert result.op_profile.threads == result.config.threads
    assert len(result.op_profile.ops) == result.model.op_count
    device = result.device.device_id
    message = ResultMessage(device_id=device, run_id=result.run_id, seq=1, result=result)
    layout = TopicLayout()
    decoded = decode_message(topic_for(message, layout), encode_message(message), layout)
    assert decoded.result.op_profile == result.op_profile


def test_an_op_alternated_with_the_whole_is_scaled_by_its_ratio() -> None:
    # Beside the op the whole took 8 ms (load rose); over the profile its p50 is 4 ms.
    row = {**_row(0, "CONV_2D", 1_000_000, 2.0), "beside_p50_ms": 8.0, "p50_ci95": [1.0, 3.0]}
    result = build_profile(
        [row],
        whole_ms=[4.0, 4.0, 4.0],
        settings=FAST,
        sha256="0" * 64,
        backend_version="x",
        xnnpack_applied=True,
    )
    op = result.ops[0]
    assert (op.raw_p50_ms, op.whole_beside_p50_ms) == (2.0, 8.0)
    assert op.p50_ms == 1.0 and op.p50_ci95 == [0.5, 1.5]
    assert result.sum_p50_ms == 1.0 and result.gap_pct == -75.0
