"""Input tensors: seeded random data per dtype, and image conversion per quantization."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from edgebench.agent.engine.inputs import (
    image_size,
    list_images,
    load_images,
    load_pixels,
    pixel_map,
    pixels_to_tensor,
    random_inputs,
)
from edgebench.shared.errors import EdgebenchError


def detail(dtype, scale=0.0, zero_point=0, shape=(1, 4, 4, 3)):
    return {
        "name": "input",
        "index": 0,
        "shape": np.array(shape),
        "dtype": dtype,
        "quantization": (scale, zero_point),
    }


def test_random_inputs_are_seeded_and_cover_the_dtype_range():
    details = [detail(np.uint8, shape=(1, 64, 64, 3)), detail(np.int8, shape=(1, 64, 64, 3))]
    first = random_inputs(details, seed=3)
    again = random_inputs(details, seed=3)
    other = random_inputs(details, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    u8, i8 = first
    assert u8.dtype == np.uint8 and u8.shape == (1, 64, 64, 3)
    assert u8.min() == 0 and u8.max() == 255
    assert i8.dtype == np.int8 and i8.min() == -128 and i8.max() == 127


def test_random_float_inputs_in_minus_one_one():
    (f32,) = random_inputs([detail(np.float32, shape=(1, 32, 32, 3))], seed=0)
    assert f32.dtype == np.float32
    assert -1.0 <= f32.min() < -0.9 and 0.9 < f32.max() <= 1.0


def test_shared_mobilenet_quantization_takes_raw_pixels():
    # scale 1/128, zero point 128 (TF1 quant-aware models): identity within one step.
    assert pixel_map(detail(np.uint8, 0.0078125, 128)) is None
    # TF2 post-training: scale 1/127.5, zero point 127.
    assert pixel_map(detail(np.uint8, 0.007843137718737125, 127)) is None
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5
    tensor = pixels_to_tensor(pixels, detail(np.uint8, 0.0078125, 128))
    assert tensor.shape == (1, 4, 4, 3) and tensor.dtype == np.uint8
    assert np.array_equal(tensor[0], pixels)


def test_int8_input_is_shifted_pixels():
    pixels = np.array([[[0, 128, 255]]], dtype=np.uint8)
    tensor = pixels_to_tensor(pixels, detail(np.int8, 0.0078125, 0, shape=(1, 1, 1, 3)))
    assert tensor.dtype == np.int8
    assert tensor[0, 0, 0].tolist() == [-128, 0, 127]


def test_float_input_is_normalized_to_minus_one_one():
    pixels = np.array([[[0, 255, 51]]], dtype=np.uint8)
    tensor = pixels_to_tensor(pixels, detail(np.float32, shape=(1, 1, 1, 3)))
    assert tensor.dtype == np.float32
    assert np.allclose(tensor[0, 0, 0], [-1.0, 1.0, 51 / 127.5 - 1])


def test_other_quantization_is_quantized_from_the_normalized_value():
    # Input quantized for [0, 1]-ish real values: scale 1/255 around zero point 0 is not
    # the identity, so pixels are normalized to [-1, 1] and then quantized (clipped).
    spec = detail(np.uint8, 1 / 64, 64, shape=(1, 1, 1, 3))
    assert pixel_map(spec) is not None
    tensor = pixels_to_tensor(np.array([[[0, 127, 255]]], dtype=np.uint8), spec)
    # real -1 -> q 0; real ~0 -> q 64 (zero point); real 1 -> q 128.
    assert tensor[0, 0, 0].tolist() == [0, 64, 128]


def test_image_size_rejects_non_image_models():
    assert image_size([detail(np.uint8, shape=(1, 224, 160, 3))]) == (224, 160)
    with pytest.raises(EdgebenchError, match="shape"):
        image_size([detail(np.float32, shape=(1, 10))])
    with pytest.raises(EdgebenchError, match="2 inputs"):
        image_size([detail(np.uint8), detail(np.uint8)])


def test_list_images_skips_non_images(images_dir):
    names = [p.name for p in list_images(images_dir)]
    assert names == sorted(names)
    assert "expected_top1.csv" not in names
    assert len(names) == 5


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(EdgebenchError, match="no image files"):
        list_images(tmp_path)


def test_corrupt_image_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(EdgebenchError, match=r"cannot decode image .*broken\.jpg"):
        load_pixels(bad, 8, 8)


def test_load_images_resizes_converts_and_times(tmp_path):
    Image.new("L", (40, 30), color=200).save(tmp_path / "gray.png")
    Image.new("RGBA", (10, 50), color=(10, 20, 30, 255)).save(tmp_path / "rgba.png")
    loaded = load_images(tmp_path, [detail(np.uint8, 0.0078125, 128, shape=(1, 16, 16, 3))])
    assert loaded.names == ["gray.png", "rgba.png"]
    assert [t.shape for t in loaded.tensors] == [(1, 16, 16, 3)] * 2
    assert loaded.tensors[0][0, 0, 0].tolist() == [200, 200, 200]
    assert loaded.tensors[1][0, 5, 5].tolist() == [10, 20, 30]
    assert len(loaded.preprocess_ms) == 2 and all(ms > 0 for ms in loaded.preprocess_ms)
