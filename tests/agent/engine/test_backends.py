"""Backends: loading, XNNPACK detection, and clear errors for bad models."""

from __future__ import annotations

import pytest

from edgebench.agent.engine.backends import load_model
from edgebench.shared.errors import EdgebenchError


def test_litert_with_xnnpack_records_what_ran(models_dir):
    loaded = load_model("litert", models_dir / "mobilenet_v1_0.25_128_quant.tflite", 2, True)
    assert loaded.backend == "litert"
    assert loaded.backend_version[0].isdigit()
    assert loaded.threads == 2
    assert loaded.xnnpack_requested and loaded.xnnpack_applied
    assert loaded.init_ms > 0
    assert loaded.input_details[0]["shape"].tolist() == [1, 128, 128, 3]
    assert loaded.warnings == []


def test_no_xnnpack_is_detected_as_not_applied(models_dir):
    loaded = load_model("litert", models_dir / "mobilenet_v1_0.25_128_quant.tflite", 1, False)
    assert not loaded.xnnpack_requested and not loaded.xnnpack_applied


def test_missing_file(tmp_path):
    with pytest.raises(EdgebenchError, match="not found"):
        load_model("litert", tmp_path / "nope.tflite", 1, True)


def test_not_a_tflite_file(images_dir):
    with pytest.raises(EdgebenchError, match="not a TFLite model"):
        load_model("litert", images_dir / "expected_top1.csv", 1, True)


def test_model_that_fails_to_allocate(models_dir):
    with pytest.raises(EdgebenchError, match=r"cannot be prepared.*unresolved custom op"):
        load_model("litert", models_dir / "invalid_model_invoking_error.tflite", 1, True)


def test_missing_runtime_names_the_package(models_dir):
    pytest.importorskip("ai_edge_litert")
    try:
        import tflite_runtime  # noqa: F401
    except ImportError:
        with pytest.raises(EdgebenchError, match="'tflite-runtime'"):
            load_model("tflite_runtime", models_dir / "mobilenet_v1_0.25_128_quant.tflite", 1, True)
    else:
        pytest.skip("tflite_runtime is installed in this venv")
