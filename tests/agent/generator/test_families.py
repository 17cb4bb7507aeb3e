"""MobileNetV3 and EfficientNet-Lite: block structure, published cost, runtime, determinism."""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import pytest

from edgebench.agent.modeltools.generator import efficientnet_lite, mobilenet_v3
from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config
from edgebench.agent.modeltools.generator.families import ARCHS
from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.published import NOT_FROM_ARCHITECTURE, PUBLISHED
from edgebench.shared.tflite.inspect import ModelReport
from tests.agent.generator.test_runtime import _probe

NEW = [arch for arch, spec in ARCHS.items() if spec.family in ("mobilenet_v3", "efficientnet_lite")]
# Our count where a published figure does not follow from the architecture.
OFF_TABLE = {("mobilenet_v3_small_minimalistic", 1.0, 224): 52.3}
TOLERANCE = 0.07


def _report(tmp_path: Path, arch: str, alpha: float, resolution: int, quant: str) -> ModelReport:
    path = tmp_path / f"{arch}_{alpha}_{resolution}_{quant}.tflite"
    path.write_bytes(build_model_bytes(model_config(arch, alpha, resolution, quant)))
    return inspect_model(path)


def _dw_kernels(report: ModelReport) -> set[int]:
    """Kernel area of every depthwise conv: its MACs per output element."""
    return {
        row.macs // math.prod(row.output_shape)
        for row in report.ops
        if row.op == "DEPTHWISE_CONV_2D"
    }


@pytest.mark.parametrize("size", mobilenet_v3.SIZES)
def test_mobilenet_v3_blocks_and_ops(tmp_path: Path, size: str) -> None:
    blocks, _, _ = mobilenet_v3.TABLES[size]
    se = sum(b.se for b in blocks)
    hswish_blocks = [b for b in blocks if b.act == "hswish"]
    # Only the first bottleneck of each table has no expansion conv (exp == input width).
    expands = len(blocks) - 1
    report = _report(tmp_path, f"mobilenet_v3_{size}", 1.0, 96, "int8")
    ops = report.op_histogram
    assert ops["DEPTHWISE_CONV_2D"] == len(blocks) == {"large": 15, "small": 11}[size]
    # SE: MEAN → conv → conv (ReLU6, +3 in its bias) → MUL by 1/6 → MUL with the features.
    assert ops["MUL"] == 2 * se and se == {"large": 8, "small": 9}[size]
    assert ops["MEAN"] == se + 1  # and the head's global pool
    # Stem, expansion and depthwise of every hard-swish block, last conv, 1280/1024 conv.
    assert ops["HARD_SWISH"] == 1 + 2 * len(hswish_blocks) + 2
    # Stem, expansions, projections, two per SE, last conv, head conv, logits.
    assert ops["CONV_2D"] == 1 + expands + len(blocks) + 2 * se + 3
    residual = sum(
        1
        for prev, b in zip(
            (mobilenet_v3.Bneck(3, 16, 16, False, "relu", 1), *blocks), blocks, strict=False
        )
        if b.stride == 1 and prev.out == b.out
    )
    assert ops["ADD"] == residual
    assert _dw_kernels(report) == {9, 25}
    assert report.outputs[0].shape == [1, 1001]
    assert report.inputs[0].dtype == "uint8"
    # The MAC counter counts the new ops as element-wise work, apart from the table's MACs.
    for row in report.ops:
        if row.op in ("HARD_SWISH", "MUL", "ADD"):
            assert row.kind == "elementwise" and row.macs == math.prod(row.output_shape)
    elementwise = sum(r.macs for r in report.ops if r.kind == "elementwise")
    assert report.elementwise_macs == elementwise > 0
    assert report.macs == report.conv_fc_macs + report.elementwise_macs


@pytest.mark.parametrize("size", mobilenet_v3.SIZES)
def test_mobilenet_v3_minimalistic_drops_se_hswish_and_5x5(tmp_path: Path, size: str) -> None:
    full = _report(tmp_path, f"mobilenet_v3_{size}", 1.0, 96, "int8")
    minimal = _report(tmp_path, f"mobilenet_v3_{size}_minimalistic", 1.0, 96, "int8")
    ops = minimal.op_histogram
    assert "HARD_SWISH" not in ops and "MUL" not in ops
    assert ops["MEAN"] == 1
    assert ops["DEPTHWISE_CONV_2D"] == full.op_histogram["DEPTHWISE_CONV_2D"]
    assert ops["ADD"] == full.op_histogram["ADD"]
    assert _dw_kernels(minimal) == {9}


@pytest.mark.parametrize("variant", sorted(efficientnet_lite.VARIANTS))
def test_efficientnet_lite_blocks_and_ops(tmp_path: Path, variant: int) -> None:
    params = efficientnet_lite.VARIANTS[variant]
    repeats = efficientnet_lite.stage_repeats(params)
    assert repeats[0] == 1 and repeats[-1] == 1  # fix_head_stem keeps them
    report = _report(tmp_path, f"efficientnet_lite{variant}", 1.0, 96, "int8")
    ops = report.op_histogram
    blocks = sum(repeats)
    assert blocks == {0: 16, 1: 21, 2: 21, 3: 24, 4: 30}[variant]
    assert ops["DEPTHWISE_CONV_2D"] == blocks
    # Stem, expansions (all but the first block), projections, head.
    assert ops["CONV_2D"] == 1 + (blocks - 1) + blocks + 1
    # Residuals: every repeat after the first of a stage (stride 1, same width).
    assert ops["ADD"] == blocks - len(repeats)
    assert ops["FULLY_CONNECTED"] == 1 and ops["AVERAGE_POOL_2D"] == 1
    # No squeeze-and-excite, no swish, no MEAN: the edge changes.
    assert not {"HARD_SWISH", "MUL", "MEAN", "LOGISTIC"} & set(ops)
    assert _dw_kernels(report) == {9, 25}
    conv_rows = [r for r in report.ops if r.op == "CONV_2D"]
    # Stem 32 and head 1280 whatever the width.
    assert conv_rows[0].output_shape[-1] == 32
    assert conv_rows[-1].output_shape[-1] == 1280
    assert report.outputs[0].shape == [1, 1000]


def test_macs_and_params_match_published_tables(tmp_path: Path) -> None:
    checked = 0
    for (arch, alpha, resolution), row in PUBLISHED.items():
        if arch not in NEW:
            continue
        report = _report(tmp_path, arch, alpha, resolution, "int8")
        macs_m, params_m = report.conv_fc_macs / 1e6, report.params / 1e6
        assert row.macs_m and row.params_m
        assert abs(params_m / row.params_m - 1) <= TOLERANCE, (arch, alpha, params_m)
        expected_macs = OFF_TABLE.get((arch, alpha, resolution))
        if expected_macs is None:
            assert abs(macs_m / row.macs_m - 1) <= TOLERANCE, (arch, alpha, macs_m)
        else:
            assert round(macs_m, 1) == expected_macs
        checked += 1
    assert checked == 6 + 5
    assert set(NOT_FROM_ARCHITECTURE) == set(OFF_TABLE)


def test_native_resolution_and_parameters_independent_of_resolution(tmp_path: Path) -> None:
    for variant, params in efficientnet_lite.VARIANTS.items():
        assert ARCHS[f"efficientnet_lite{variant}"].default_resolution == params.resolution
    small = _report(tmp_path, "efficientnet_lite2", 1.0, 128, "int8")
    native = _report(tmp_path, "efficientnet_lite2", 1.0, 260, "int8")
    assert small.params == native.params
    assert small.conv_fc_macs < native.conv_fc_macs


def test_two_builds_are_byte_identical() -> None:
    for arch, alpha in (("mobilenet_v3_large", 0.75), ("efficientnet_lite1", 1.0)):
        for quant in ("int8", "uint8", "float32"):
            config = model_config(arch, alpha, 96, quant)
            first = build_model_bytes(config)
            assert build_model_bytes(config) == first
            other = build_model_bytes(model_config(arch, alpha, 96, quant, seed=1))
            assert len(other) == len(first) and other != first


def test_litert_loads_allocates_and_runs_every_family(tmp_path: Path) -> None:
    # Small inputs keep it quick: loading and running does not depend on the resolution.
    configs = [(arch, 1.0, 96, "int8") for arch in NEW]
    configs += [("mobilenet_v3_large", 1.0, 96, q) for q in ("uint8", "float32")] + [
        ("efficientnet_lite0", 1.0, 96, q) for q in ("uint8", "float32")
    ]
    paths = []
    for arch, alpha, resolution, quant in configs:
        path = tmp_path / f"{model_config(arch, alpha, resolution, quant).name}.tflite"
        path.write_bytes(build_model_bytes(model_config(arch, alpha, resolution, quant)))
        paths.append(path)
    rows = _probe(sys.executable, paths)
    assert set(rows) == {p.name for p in paths}
    for name, row in rows.items():
        classes = 1000 if name.startswith("efficientnet") else 1001
        assert row["shape"] == [1, classes], name
        assert row["delegated"], f"{name}: nothing delegated to XNNPACK"
        # A probability vector (8-bit softmax drops small entries), not a constant.
        assert 0.3 < row["sum"] < 1.1, (name, row)
        assert row["distinct"] > 1, name


def test_sha256_of_a_build_names_its_bytes(tmp_path: Path) -> None:
    # Results compare models by sha256: same options, same digest, different files otherwise.
    digests = {
        hashlib.sha256(build_model_bytes(model_config(arch, 1.0, 96, "int8"))).hexdigest()
        for arch in NEW
    }
    assert len(digests) == len(NEW)
