"""Static inspection of the real models in ../shared/models against the published tables."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.cli import cli
from edgebench.shared.errors import EdgebenchError

# hardware.md section 5: (file, MACs M, params M, how the table rounds MACs).
PUBLISHED = [
    ("mobilenet_v2_1.0_224_quant.tflite", 300, 3.47, "floor"),
    ("tf2_mobilenet_v2_1.0_224_ptq.tflite", 300, 3.47, "floor"),
    ("mobilenet_v1_0.25_128_quant.tflite", 14, 0.47, "round"),
    ("mobilenet_v1_0.5_160_quant.tflite", 77, 1.34, "round"),
]


@pytest.mark.parametrize(("filename", "macs_m", "params_m", "rounding"), PUBLISHED)
def test_counts_agree_with_published_tables(
    models_dir: Path, filename: str, macs_m: int, params_m: float, rounding: str
) -> None:
    report = inspect_model(models_dir / filename)
    conv_m = report.conv_fc_macs / 1e6
    # The V1 table rounds to the nearest million; the V2 table truncates (300.78 -> 300,
    # and 221.3 -> 221 etc. for the other resolutions, see docs/models.md).
    assert (int(conv_m) if rounding == "floor" else round(conv_m)) == macs_m
    assert abs(report.params / 1e6 - params_m) / params_m < 0.01
    # Element-wise work is real but small next to the convolutions.
    assert 0 < report.elementwise_macs < 0.002 * report.conv_fc_macs
    assert report.macs == report.conv_fc_macs + report.elementwise_macs
    assert report.flops == 2 * report.macs


def test_v2_params_are_the_published_weight_count(models_dir: Path) -> None:
    # The V2 table counts weights only: 3,471,040 here, to the last digit of "3.47".
    report = inspect_model(models_dir / "mobilenet_v2_1.0_224_quant.tflite")
    assert report.weight_params == 3_471_040
    assert round(report.weight_params / 1e6, 2) == 3.47
    # One bias per output channel: 17,056 folded batch-norm channels + 1001 logits.
    assert report.bias_params == 17_056 + 1001


@pytest.mark.parametrize(
    ("filename", "params_m"),
    [("mobilenet_v1_0.25_128_quant.tflite", 0.47), ("mobilenet_v1_0.5_160_quant.tflite", 1.34)],
)
def test_v1_params_reconcile_with_slim_variables(
    models_dir: Path, filename: str, params_m: float
) -> None:
    # The V1 table counts slim's model variables: weights, logits bias and three per
    # batch-norm channel (beta, moving mean, moving variance); TFLite folds those into
    # one bias per channel, so add back two per batch-norm channel.
    report = inspect_model(models_dir / filename)
    bn_channels = report.bias_params - 1001
    assert round((report.params + 2 * bn_channels) / 1e6, 2) == params_m


def test_per_op_table_of_mobilenet_v2(models_dir: Path) -> None:
    report = inspect_model(models_dir / "mobilenet_v2_1.0_224_quant.tflite")
    assert report.op_histogram == {
        "CONV_2D": 36,
        "DEPTHWISE_CONV_2D": 17,
        "ADD": 10,
        "AVERAGE_POOL_2D": 1,
        "RESHAPE": 1,
        "SOFTMAX": 1,
    }
    assert report.op_count == 66 == len(report.ops)
    first = report.ops[0]
    # 3x3 stride-2 conv, 3 -> 32 channels, 112x112 output.
    assert (first.op, first.output_shape) == ("CONV_2D", [1, 112, 112, 32])
    assert first.macs == 112 * 112 * 32 * 3 * 3 * 3
    assert first.params == 32 * 3 * 3 * 3 + 32
    dw = next(r for r in report.ops if r.op == "DEPTHWISE_CONV_2D")
    assert dw.macs == 112 * 112 * 32 * 3 * 3
    pool = next(r for r in report.ops if r.op == "AVERAGE_POOL_2D")
    assert pool.macs == 7 * 7 * 1280  # one 7x7 window per output channel
    logits = report.ops[-3]
    assert logits.output_shape == [1, 1, 1, 1001]
    assert logits.macs == 1280 * 1001
    assert sum(r.macs for r in report.ops) == report.macs
    assert sum(r.params for r in report.ops) == report.params
    assert all(r.flops == 2 * r.macs for r in report.ops)
    assert {r.op for r in report.ops if r.macs == 0} == {"RESHAPE"}


def test_tensors_hash_and_size(models_dir: Path) -> None:
    path = models_dir / "mobilenet_v1_0.25_128_quant.tflite"
    report = inspect_model(path)
    sums = dict(
        reversed(line.split()) for line in (models_dir / "SHA256SUMS").read_text().splitlines()
    )
    assert report.sha256 == sums[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.size_bytes == path.stat().st_size
    (inp,) = report.inputs
    assert (inp.name, inp.shape, inp.dtype) == ("input", [1, 128, 128, 3], "uint8")
    assert (inp.scale, inp.zero_point) == (0.0078125, 128)
    (out,) = report.outputs
    assert (out.shape, out.dtype, out.scale, out.zero_point) == ([1, 1001], "uint8", 1 / 256, 0)
    assert report.op_count == 31
    json.dumps(report.to_dict())  # JSON-ready


def test_tf2_ptq_quantize_edges(models_dir: Path) -> None:
    report = inspect_model(models_dir / "tf2_mobilenet_v2_1.0_224_ptq.tflite")
    assert report.op_histogram["QUANTIZE"] == 2
    assert report.op_histogram["MEAN"] == 1
    reference = inspect_model(models_dir / "mobilenet_v2_1.0_224_quant.tflite")
    assert (report.conv_fc_macs, report.params) == (reference.conv_fc_macs, reference.params)


def test_unknown_custom_op_inspects(models_dir: Path) -> None:
    report = inspect_model(models_dir / "invalid_model_invoking_error.tflite")
    assert report.op_histogram == {"fake-op-double": 1}
    assert report.custom_ops == ["fake-op-double"]
    assert report.ops[0].custom and report.ops[0].macs == 0
    assert (report.macs, report.params) == (0, 0)
    assert report.inputs[0].shape == [1, 3]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"does not exist"):
        inspect_model(tmp_path / "nope.tflite")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"not a regular file"):
        inspect_model(tmp_path)


def test_not_tflite(models_dir: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"is not a TFLite model \(no TFL3 identifier\)"):
        inspect_model(models_dir / "imagenet_labels.txt")


def test_truncated(models_dir: Path, tmp_path: Path) -> None:
    data = (models_dir / "mobilenet_v1_0.25_128_quant.tflite").read_bytes()
    bad = tmp_path / "half.tflite"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(EdgebenchError, match=r"truncated or corrupt"):
        inspect_model(bad)


def test_corrupt_root_offset(models_dir: Path, tmp_path: Path) -> None:
    data = bytearray((models_dir / "mobilenet_v1_0.25_128_quant.tflite").read_bytes())
    data[0:4] = (0x7FFFFFF0).to_bytes(4, "little")  # root table far past the end
    bad = tmp_path / "corrupt.tflite"
    bad.write_bytes(bytes(data))
    with pytest.raises(EdgebenchError, match=r"truncated or corrupt"):
        inspect_model(bad)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=8, max_value=525597), flip=st.integers(0, 525597))
def test_damage_never_escapes_as_a_traceback(
    models_dir: Path, tmp_path: Path, cut: int, flip: int
) -> None:
    data = bytearray((models_dir / "mobilenet_v1_0.25_128_quant.tflite").read_bytes())
    data[flip] ^= 0xFF
    path = tmp_path / "damaged.tflite"
    path.write_bytes(bytes(data[:cut]))
    try:
        report = inspect_model(path)
    except EdgebenchError as exc:
        assert "\n" not in str(exc)
    else:
        assert report.size_bytes == cut


# -- the edgebench model inspect command ---------------------------------------------------


def _edgebench() -> str:
    return str(Path(sys.executable).parent / "edgebench")


def test_cli_human_summary(models_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["model", "inspect", str(models_dir / "mobilenet_v2_1.0_224_quant.tflite")]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "input    input  uint8[1,224,224,3]  scale 0.0078125 zero_point 128" in out
    assert re.search(r"^CONV_2D\s+36\s+280,059,136\s+3,417,737$", out, re.M)
    assert re.search(r"^ADD\s+10\s+216,384\s+0$", out, re.M)
    assert "params   3,489,097 (3.489 M): weights 3,471,040 + biases 18,057" in out
    assert "MACs     300,775,552 (300.8 M) in conv/depthwise/FC" in out
    assert "total 301,055,657" in out
    assert "FLOPs    602,111,314" in out
    assert "  #  op" not in out  # the per-op table only with --ops


def test_cli_ops_and_json(models_dir: Path) -> None:
    path = str(models_dir / "mobilenet_v1_0.25_128_quant.tflite")
    result = CliRunner().invoke(cli, ["model", "inspect", path, "--ops"])
    assert result.exit_code == 0, result.output
    table = result.output.split("\n\n")[-1].splitlines()
    assert table[0].split() == ["#", "op", "output", "MACs", "params"]
    # 3x3 stride-2 conv, 3 -> 8 channels: 64*64*8*3*3*3 MACs, 8*3*3*3 weights + 8 biases.
    assert table[1].split() == ["0", "CONV_2D", "1x64x64x8", "884,736", "224"]
    assert len(table) == 1 + 31
    result = CliRunner().invoke(cli, ["model", "inspect", path, "--json"])
    doc = json.loads(result.output)
    assert (doc["name"], doc["source"]) == ("mobilenet_v1_0.25_128_quant", "file")
    assert doc["conv_fc_macs"] == 13_570_304 and doc["params"] == 467_593
    assert len(doc["ops"]) == doc["op_count"] == 31
    assert doc["op_histogram"]["DEPTHWISE_CONV_2D"] == 13


def test_cli_custom_op(models_dir: Path) -> None:
    path = str(models_dir / "invalid_model_invoking_error.tflite")
    result = CliRunner().invoke(cli, ["model", "inspect", path, "--ops"])
    assert result.exit_code == 0, result.output
    assert "custom   fake-op-double (no MACs counted)" in result.output


@pytest.mark.parametrize("case", ["missing", "text", "truncated"])
def test_cli_bad_input_is_one_line_exit_2(models_dir: Path, tmp_path: Path, case: str) -> None:
    if case == "missing":
        path = tmp_path / "missing.tflite"
    elif case == "text":
        path = models_dir / "imagenet_labels.txt"
    else:
        path = tmp_path / "truncated.tflite"
        path.write_bytes((models_dir / "mobilenet_v1_0.25_128_quant.tflite").read_bytes()[:9000])
    # The real console script, as a user runs it.
    proc = subprocess.run(
        [_edgebench(), "model", "inspect", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgebench: error: ")
    assert str(path) in lines[0]
