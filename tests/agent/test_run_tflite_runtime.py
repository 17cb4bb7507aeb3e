"""The tflite_runtime backend, run from its own virtualenv (.venv-tflite, numpy<2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.test_cli_run import QUICK, SMALL, agent_run, assert_one_line_error

ROOT = Path(__file__).resolve().parents[2]
TFLITE_EDGEBENCH = ROOT / ".venv-tflite" / "bin" / "edgebench"

pytestmark = pytest.mark.skipif(
    not TFLITE_EDGEBENCH.exists(),
    reason=".venv-tflite is absent (scripts/test creates it; see its tflite-runtime step)",
)


def test_quantized_model_runs_and_records_the_backend(models_dir, tmp_path):
    out = tmp_path / "tfl.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *QUICK,
        "--backend",
        "tflite_runtime",
        "--json",
        str(out),
        exe=str(TFLITE_EDGEBENCH),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    config = doc["config"]
    assert config["backend"] == "tflite_runtime"
    assert config["backend_version"].startswith("2.")
    assert doc["latency_ms"]["count"] >= 5
    # tflite-runtime 2.14's default XNNPACK delegate does not take uint8 models: it must
    # be recorded as not applied, with a warning, not assumed from the request.
    assert config["xnnpack_requested"] is True
    assert config["xnnpack_applied"] is False
    assert any("did not apply" in warning for warning in doc["warnings"])


def test_float_model_gets_xnnpack_on_tflite_runtime(tmp_path):
    # A float32 MobileNetV1 0.25/128 generated offline (modeltools), where 2.14 does apply it.
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path;"
            "from edgebench.agent.modeltools.generator.cache import cached_build;"
            "print(cached_build(Path(sys.argv[1]), 'mobilenet_v1', 0.25, 128, 'float32', 0))",
            str(tmp_path / "models"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    model = build.stdout.strip().splitlines()[-1]
    for flag, applied in (([], True), (["--no-xnnpack"], False)):
        out = tmp_path / f"float{len(flag)}.json"
        proc = agent_run(
            tmp_path,
            model,
            *QUICK,
            "--backend",
            "tflite_runtime",
            *flag,
            "--json",
            str(out),
            exe=str(TFLITE_EDGEBENCH),
        )
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(out.read_text())
        assert doc["config"]["xnnpack_applied"] is applied
        assert doc["model"]["inputs"][0]["dtype"] == "float32"


def test_accuracy_on_tflite_runtime(models_dir, images_dir, tmp_path):
    out = tmp_path / "acc.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / "mobilenet_v2_1.0_224_quant.tflite"),
        *QUICK,
        "--backend",
        "tflite_runtime",
        "--images",
        str(images_dir),
        "--labels",
        str(models_dir / "imagenet_labels.txt"),
        "--expected",
        str(images_dir / "expected_top1.csv"),
        "--json",
        str(out),
        exe=str(TFLITE_EDGEBENCH),
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["accuracy"]["top1"] == 1.0


def test_litert_backend_missing_names_the_package(models_dir, tmp_path):
    check = subprocess.run(
        [str(TFLITE_EDGEBENCH.with_name("python")), "-c", "import ai_edge_litert"],
        check=False,
        capture_output=True,
    )
    if check.returncode == 0:
        pytest.skip("ai-edge-litert is installed in .venv-tflite")
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *QUICK,
        "--backend",
        "litert",
        exe=str(TFLITE_EDGEBENCH),
    )
    assert_one_line_error(proc, "'ai-edge-litert'", "--backend")
