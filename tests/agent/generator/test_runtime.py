"""Generated models load, run and get delegated in LiteRT and in tflite-runtime."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

TFLITE_VENV_PYTHON = ROOT / ".venv-tflite" / "bin" / "python"

# Runs inside a runtime's interpreter; prints one JSON line per model.
_PROBE = r"""
import json, sys
import numpy as np
try:
    from tflite_runtime.interpreter import Interpreter
except ImportError:
    from ai_edge_litert.interpreter import Interpreter
for path in sys.argv[1:]:
    it = Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    names = [op["op_name"] for op in it._get_ops_details()]
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    rng = np.random.default_rng(0)
    if inp["dtype"] == np.float32:
        x = rng.uniform(-1, 1, inp["shape"]).astype(np.float32)
    else:
        x = rng.integers(0, 256, inp["shape"]).astype(inp["dtype"])
    it.set_tensor(inp["index"], x)
    it.invoke()
    y = it.get_tensor(out["index"]).astype(np.float64)
    scale, zero = out["quantization"]
    probs = (y - zero) * scale if scale else y
    print(json.dumps({
        "path": path, "delegated": "DELEGATE" in names, "shape": out["shape"].tolist(),
        "sum": float(probs.sum()), "max": float(probs.max()),
        "distinct": int(len(np.unique(y))),
    }))
"""


def _probe(python: str | Path, paths: list[Path]) -> dict[str, dict]:
    done = subprocess.run(
        [str(python), "-c", _PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {Path(r["path"]).name: r for r in rows}


def _check_outputs(row: dict) -> None:
    # A probability vector (8-bit softmax rounds small entries to 0, so some mass is lost),
    # neither one-hot (saturated logits) nor flat (all-zero logits).
    assert row["shape"] == [1, 1001]
    assert 0.6 < row["sum"] < 1.1
    assert row["max"] < 0.9
    assert row["distinct"] > 3


def test_litert_runs_and_delegates_every_generated_model(generated_dir: Path) -> None:
    import sys

    paths = sorted(generated_dir.glob("*.tflite"))
    rows = _probe(sys.executable, paths)
    assert set(rows) == {p.name for p in paths}
    for name, row in rows.items():
        assert row["delegated"], f"{name} not delegated to XNNPACK"
        _check_outputs(row)


def test_tflite_runtime_runs_generated_models_like_pretrained(
    generated_dir: Path, models_dir: Path
) -> None:
    if not TFLITE_VENV_PYTHON.exists():
        pytest.fail(
            f"{TFLITE_VENV_PYTHON} missing; create it: python3 -m venv .venv-tflite && "
            ".venv-tflite/bin/pip install 'numpy<2' tflite-runtime"
        )
    generated = sorted(generated_dir.glob("*.tflite"))
    pretrained = [
        models_dir / "mobilenet_v2_1.0_224_quant.tflite",
        models_dir / "tf2_mobilenet_v2_1.0_224_ptq.tflite",
    ]
    rows = _probe(TFLITE_VENV_PYTHON, [*generated, *pretrained])
    for path in generated:
        _check_outputs(rows[path.name])
    # tflite-runtime's default XNNPACK delegate takes float graphs; whether it takes the
    # quantized ones depends on its version, and must match the pretrained models.
    assert rows["mobilenet_v2_0.35_128_float32.tflite"]["delegated"]
    uint8_ref = rows["mobilenet_v2_1.0_224_quant.tflite"]["delegated"]
    int8_ref = rows["tf2_mobilenet_v2_1.0_224_ptq.tflite"]["delegated"]
    assert rows["mobilenet_v2_1.0_224_uint8.tflite"]["delegated"] == uint8_ref
    assert rows["mobilenet_v2_1.0_224_int8.tflite"]["delegated"] == int8_ref
