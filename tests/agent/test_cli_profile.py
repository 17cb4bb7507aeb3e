"""``model profile``, ``model predict`` and ``agent run --profile-ops`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.agent.test_cli_run import (
    EDGEBENCH,
    QUICK,
    SMALL,
    agent_run,
    assert_one_line_error,
    env_for,
)

FAST = ["--threads", "1", "--min-secs", "0.01", "-q"]


def edgebench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EDGEBENCH, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env_for(tmp_path),
        cwd=tmp_path,
    )


@pytest.fixture(scope="module")
def profiled(tmp_path_factory, models_dir: Path) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("profile")
    out = tmp / "profile.json"
    proc = edgebench(tmp, "model", "profile", str(models_dir / SMALL), *FAST, "--json", str(out))
    return out, proc


def test_profile_prints_the_table_and_writes_json(profiled) -> None:
    out, proc = profiled
    assert proc.returncode == 0, proc.stderr
    assert "sum of op p50s" in proc.stdout and "DEPTHWISE_CONV_2D" in proc.stdout
    document = json.loads(out.read_text())
    assert document["name"] == SMALL.removesuffix(".tflite")
    assert len(document["ops"]) == 31
    assert abs(sum(op["share"] for op in document["ops"]) - 1) < 1e-9
    assert document["sum_p50_ms"] == pytest.approx(sum(op["p50_ms"] for op in document["ops"]))
    assert {"whole_p50_ms", "gap_pct", "by_type", "threads"} <= set(document)


def test_predict_from_a_profile(profiled, models_dir: Path, tmp_path: Path) -> None:
    out, _ = profiled
    model = str(models_dir / "mobilenet_v1_0.5_160_quant.tflite")
    proc = edgebench(tmp_path, "model", "predict", model, "--profile", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["predicted_p50_ms"] > 0
    assert document["predicted_p50_ms"] == pytest.approx(
        document["sum_ops_ms"] * document["whole_over_sum"]
    )
    assert len(document["per_op_ms"]) == 31


def test_run_profile_ops_puts_the_profile_in_the_result(tmp_path: Path, models_dir) -> None:
    out = tmp_path / "result.json"
    proc = agent_run(
        tmp_path, str(models_dir / SMALL), *QUICK, "--threads", "1", "--profile-ops",
        "--json", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["schema_version"] == 1
    assert len(result["op_profile"]["ops"]) == result["model"]["op_count"]
    assert "sum of op p50s" in proc.stdout


@pytest.mark.parametrize("case", ["missing", "corrupt", "threads"])
def test_profile_errors_are_one_line(tmp_path: Path, models_dir: Path, case: str) -> None:
    model, extra = str(tmp_path / "nope.tflite"), []
    needle = "does not exist"
    if case == "corrupt":
        data = (models_dir / SMALL).read_bytes()
        (tmp_path / "cut.tflite").write_bytes(data[: len(data) // 3])
        model, needle = str(tmp_path / "cut.tflite"), "truncated or corrupt"
    if case == "threads":
        model, extra, needle = str(models_dir / SMALL), ["--threads", "0"], "--threads 0"
    proc = edgebench(tmp_path, "model", "profile", model, *extra)
    assert_one_line_error(proc)
    assert needle in proc.stderr


@pytest.mark.parametrize("case", ["missing", "not-json", "not-a-profile"])
def test_predict_errors_are_one_line(tmp_path: Path, models_dir: Path, case: str) -> None:
    profile = tmp_path / "profile.json"
    if case == "not-json":
        profile.write_text("{oops")
    if case == "not-a-profile":
        profile.write_text('{"ops": 3}')
    proc = edgebench(
        tmp_path, "model", "predict", str(models_dir / SMALL), "--profile", str(profile)
    )
    assert_one_line_error(proc)
    assert "--profile" in proc.stderr
