"""``edgebench model build`` writes a model or fails with one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["model", "build", *args])
    return result.exit_code, result.stdout, result.stderr


def test_build_writes_a_model_and_reports_its_cost(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "m.tflite"
    code, stdout, _ = _run(
        "mobilenet_v2", "--alpha", "0.5", "--resolution", "160", "--quant", "uint8", "-o", str(out)
    )
    assert code == 0
    assert out.stat().st_mode & 0o044  # readable by others as the umask allows, not 0600
    report = inspect_model(out)
    assert f"{report.conv_fc_macs / 1e6:.1f} M MACs" in stdout
    assert "mobilenet_v2_0.5_160_uint8 seed 0" in stdout
    assert report.inputs[0].shape == [1, 160, 160, 3]
    assert report.inputs[0].dtype == "uint8"


def test_seed_option_changes_the_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tflite", tmp_path / "b.tflite"
    assert _run("mobilenet_v1", "--alpha", "0.25", "--resolution", "128", "-o", str(a))[0] == 0
    args = ("mobilenet_v1", "--alpha", "0.25", "--resolution", "128", "--seed", "5", "-o", str(b))
    assert _run(*args)[0] == 0
    assert a.read_bytes() != b.read_bytes()
    assert a.stat().st_size == b.stat().st_size


def _assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("edgebench: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unsupported_alpha_names_supported_values(tmp_path: Path) -> None:
    code, _, err = _run("mobilenet_v2", "--alpha", "0.6", "-o", str(tmp_path / "m.tflite"))
    _assert_one_line_error(code, err, "alpha 0.6", "0.35, 0.5, 0.75, 1.0, 1.3, 1.4")
    assert not (tmp_path / "m.tflite").exists()


def test_unsupported_resolution_and_arch_and_quant(tmp_path: Path) -> None:
    code, _, err = _run("mobilenet_v1", "--resolution", "96", "-o", str(tmp_path / "m.tflite"))
    _assert_one_line_error(code, err, "resolution 96", "128, 160, 192, 224")
    code, _, err = _run("resnet50")
    _assert_one_line_error(code, err, "mobilenet_v2", "mobilenet_v1")
    code, _, err = _run("mobilenet_v2", "--quant", "int4")
    _assert_one_line_error(code, err, "int8, uint8, float32")


def test_unwritable_output_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = _run("mobilenet_v2", "-o", str(blocker / "m.tflite"))
    _assert_one_line_error(code, err, "cannot write", str(blocker / "m.tflite"))
    code, _, err = _run("mobilenet_v2", "-o", str(tmp_path))
    _assert_one_line_error(code, err, "is a directory")


def test_new_families_build_with_their_own_options(tmp_path: Path) -> None:
    out = tmp_path / "lite.tflite"
    code, stdout, _ = _run(
        "efficientnet_lite", "--variant", "1", "--resolution", "128", "--quant", "uint8",
        "-o", str(out),
    )  # fmt: skip
    assert code == 0
    assert "efficientnet_lite1_128_uint8 seed 0" in stdout
    assert inspect_model(out).inputs[0].shape == [1, 128, 128, 3]
    # Without --resolution a variant runs at its own input size.
    code, stdout, _ = _run("efficientnet_lite", "--variant", "2", "-o", str(out))
    assert code == 0 and "efficientnet_lite2_260_int8" in stdout
    v3 = tmp_path / "v3.tflite"
    args = ("mobilenet_v3", "--size", "small", "--alpha", "0.75", "--minimalistic")
    code, stdout, _ = _run(*args, "--resolution", "96", "-o", str(v3))
    assert code == 0 and "mobilenet_v3_small_minimalistic_0.75_96_int8" in stdout
    code, stdout, _ = _run("mobilenet_v3", "--resolution", "96", "-o", str(v3))
    assert code == 0 and "mobilenet_v3_large_1.0_96_int8" in stdout


def test_new_family_options_refused_with_one_line(tmp_path: Path) -> None:
    out = str(tmp_path / "m.tflite")
    code, _, err = _run("efficientnet_lite", "--variant", "5", "-o", out)
    _assert_one_line_error(code, err, "no variant 5", "0, 1, 2, 3, 4")
    code, _, err = _run("mobilenet_v3", "--size", "medium", "-o", out)
    _assert_one_line_error(code, err, "no size 'medium'", "large, small")
    code, _, err = _run("efficientnet_lite", "--alpha", "0.5", "-o", out)
    _assert_one_line_error(code, err, "--variant, not --alpha")
    code, _, err = _run("mobilenet_v2", "--variant", "1", "-o", out)
    _assert_one_line_error(code, err, "--variant is for efficientnet_lite")
    code, _, err = _run("mobilenet_v1", "--minimalistic", "-o", out)
    _assert_one_line_error(code, err, "--size and --minimalistic are for mobilenet_v3")
    code, _, err = _run("mobilenet_v3", "--alpha", "1.4", "-o", out)
    _assert_one_line_error(code, err, "alpha 1.4", "0.35, 0.5, 0.75, 1.0, 1.25")
    code, _, err = _run("efficientnet_lite", "--resolution", "100", "-o", out)
    _assert_one_line_error(code, err, "resolution 100", "224, 240, 260, 280, 300")
    assert not Path(out).exists()
