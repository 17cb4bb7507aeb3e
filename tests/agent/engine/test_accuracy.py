"""Accuracy mode: labels, expected CSV, dequantized top-5, and the shared images' top-1."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from edgebench.agent.engine import accuracy as acc
from edgebench.agent.engine.inputs import load_images
from edgebench.shared.errors import EdgebenchError


def test_labels_must_match_the_class_count(models_dir, tmp_path):
    labels = acc.load_labels(models_dir / "imagenet_labels.txt", 1001)
    assert labels[0] == "background" and len(labels) == 1001
    short = tmp_path / "short.txt"
    short.write_text("a\nb\nc\n")
    with pytest.raises(EdgebenchError, match="3 lines but the model outputs 1001"):
        acc.load_labels(short, 1001)


def test_expected_csv_filters_by_model_and_accepts_label_column(images_dir, tmp_path):
    rows = acc.load_expected(images_dir / "expected_top1.csv", "mobilenet_v2_1.0_224_quant.tflite")
    assert rows["cat.bmp"] == "Egyptian cat" and len(rows) == 5
    assert acc.load_expected(images_dir / "expected_top1.csv", "other.tflite") == {}
    plain = tmp_path / "plain.csv"
    plain.write_text("image,label\na.png,tabby\n")
    assert acc.load_expected(plain, "whatever.tflite") == {"a.png": "tabby"}
    bad = tmp_path / "bad.csv"
    bad.write_text("file,class\na.png,tabby\n")
    with pytest.raises(EdgebenchError, match="'image' and 'label'"):
        acc.load_expected(bad, "m.tflite")


def test_dequantize_and_top_tags():
    detail = {"quantization": (0.5, 10)}
    scores = acc.dequantize(np.array([[10, 12, 30, 11, 30, 9]], dtype=np.uint8), detail)
    assert scores.tolist() == [0.0, 1.0, 10.0, 0.5, 10.0, -0.5]
    tags = acc.top_tags(scores, ["a", "b", "c", "d", "e", "f"])
    assert [t.label for t in tags] == ["c", "e", "b", "d", "a"]  # tie: lower index first
    assert tags[0].score == 10.0


def _shared_accuracy(models_dir: Path, images_dir: Path, model: str):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(models_dir / model), num_threads=2)
    interpreter.allocate_tensors()
    inputs = load_images(images_dir, interpreter.get_input_details())
    out = interpreter.get_output_details()[0]

    def classify(tensor):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"])

    return acc.evaluate(
        classify,
        names=inputs.names,
        tensors=inputs.tensors,
        output_detail=out,
        labels=acc.load_labels(models_dir / "imagenet_labels.txt", 1001),
        expected=acc.load_expected(images_dir / "expected_top1.csv", model),
    )


def test_every_shared_image_matches_expected_top1(models_dir, images_dir):
    result = _shared_accuracy(models_dir, images_dir, "mobilenet_v2_1.0_224_quant.tflite")
    with (images_dir / "expected_top1.csv").open(newline="") as handle:
        expected = {row["image"]: row["top1_label"] for row in csv.DictReader(handle)}
    assert result.images == 5
    for item in result.per_image:
        assert item.top5[0].label == expected[item.image], item
        assert item.top1_correct is True
        assert len(item.top5) == 5
        assert 0.5 < item.top5[0].score <= 1.0  # dequantized probability
    assert result.top1 == 1.0 and result.top5 == 1.0


def test_no_expected_labels_gives_no_score(models_dir, images_dir):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(
        model_path=str(models_dir / "mobilenet_v1_0.25_128_quant.tflite"), num_threads=1
    )
    interpreter.allocate_tensors()
    inputs = load_images(images_dir, interpreter.get_input_details())
    out = interpreter.get_output_details()[0]

    def classify(tensor):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"])

    result = acc.evaluate(
        classify,
        names=inputs.names,
        tensors=inputs.tensors,
        output_detail=out,
        labels=acc.load_labels(models_dir / "imagenet_labels.txt", 1001),
        expected={},
    )
    assert result.images == 5 and result.top1 is None and result.top5 is None
    assert all(item.top1_correct is None for item in result.per_image)
