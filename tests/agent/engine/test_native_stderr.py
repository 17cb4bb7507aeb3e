"""Native INFO lines on fd 2 go to logging; every other line still reaches stderr."""

from __future__ import annotations

import logging
import os

from edgebench.agent.engine.backends import prepare_interpreter
from edgebench.agent.engine.native_stderr import native_info_to_log
from edgebench.agent.modeltools.modelfile import load_model


def test_info_lines_are_logged_and_other_lines_pass_through(capfd, caplog):
    with caplog.at_level(logging.INFO), native_info_to_log("litert"):
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"ERROR: something the user must see\n")
    assert capfd.readouterr().err == "ERROR: something the user must see\n"
    assert "litert: Created TensorFlow Lite XNNPACK delegate for CPU." in caplog.text


def test_stderr_is_restored_afterwards(capfd):
    with native_info_to_log("litert"):
        pass
    os.write(2, b"INFO: after the block\n")
    assert capfd.readouterr().err == "INFO: after the block\n"


def test_loading_a_model_prints_nothing_and_still_detects_xnnpack(models_dir, capfd):
    loaded = prepare_interpreter(
        "litert", load_model(models_dir / "mobilenet_v1_0.25_128_quant.tflite"), 1, True
    )
    assert loaded.xnnpack_applied
    assert "XNNPACK" not in capfd.readouterr().err
