"""Backends: building from the bytes read once, XNNPACK detection, clear errors for bad models."""

from __future__ import annotations

import pytest

from edgebench.agent.engine.backends import prepare_interpreter
from edgebench.agent.modeltools.modelfile import load_model
from edgebench.shared.errors import EdgebenchError

SMALL = "mobilenet_v1_0.25_128_quant.tflite"


def test_litert_with_xnnpack_records_what_ran(models_dir):
    loaded = prepare_interpreter("litert", load_model(models_dir / SMALL), 2, True)
    assert loaded.backend == "litert"
    assert loaded.backend_version[0].isdigit()
    assert loaded.threads == 2
    assert loaded.xnnpack_requested and loaded.xnnpack_applied
    assert loaded.init_ms > 0
    assert loaded.input_details[0]["shape"].tolist() == [1, 128, 128, 3]
    assert loaded.warnings == []


def test_no_xnnpack_is_detected_as_not_applied(models_dir):
    loaded = prepare_interpreter("litert", load_model(models_dir / SMALL), 1, False)
    assert not loaded.xnnpack_requested and not loaded.xnnpack_applied


def test_built_from_the_bytes_read_not_the_file(models_dir, tmp_path):
    # The interpreter runs what was hashed: deleting the file afterwards changes nothing.
    copy = tmp_path / SMALL
    copy.write_bytes((models_dir / SMALL).read_bytes())
    model = load_model(copy)
    copy.unlink()
    loaded = prepare_interpreter("litert", model, 1, True)
    assert loaded.input_details[0]["shape"].tolist() == [1, 128, 128, 3]


def test_model_that_fails_to_allocate(models_dir):
    model = load_model(models_dir / "invalid_model_invoking_error.tflite")
    with pytest.raises(EdgebenchError, match=r"cannot be prepared.*unresolved custom op"):
        prepare_interpreter("litert", model, 1, True)


def test_missing_runtime_names_the_package(models_dir):
    pytest.importorskip("ai_edge_litert")
    try:
        import tflite_runtime  # noqa: F401
    except ImportError:
        with pytest.raises(EdgebenchError, match="'tflite-runtime'"):
            prepare_interpreter("tflite_runtime", load_model(models_dir / SMALL), 1, True)
    else:
        pytest.skip("tflite_runtime is installed in this venv")
