"""Model inputs: seeded random tensors, or photographs converted to the input tensor.

Image conversion rule (one rule for every dtype, derived from the input's
quantization): the models expect pixels normalized to [-1, 1]
(``pixel / 127.5 - 1``, the MobileNet convention). A float input gets that value.
An integer input gets it quantized, ``q = real / scale + zero_point``. When that
affine map is the identity on the integer range to within one quantization step
(for uint8 models quantized for [-1, 1] input, scale 1/128 or 1/127.5 and zero
point 128 or 127; for int8 the same shifted by 128), raw pixels are fed unchanged,
exactly as the reference pipeline and Coral's examples do, so no rounding noise is
added.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError

# Pixel normalization the MobileNet family is trained with: real = (pixel - MEAN) / STD.
PIXEL_MEAN = 127.5
PIXEL_STD = 127.5


def random_inputs(details: list[dict[str, Any]], seed: int) -> list[Any]:
    """One seeded random tensor per input, covering the dtype's natural range.

    uint8/int8/int16 take their full range, float inputs [-1, 1] (what normalized
    images span), other integer inputs [0, 100) and bool inputs 0/1.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    tensors = []
    for detail in details:
        shape = [int(dim) for dim in detail["shape"]]
        dtype = np.dtype(detail["dtype"])
        if dtype in (np.uint8, np.int8, np.int16):
            info = np.iinfo(dtype)
            value = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
        elif dtype.kind == "f":
            value = rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
        elif dtype.kind in "iu":
            value = rng.integers(0, 100, size=shape).astype(dtype)
        elif dtype == np.bool_:
            value = rng.integers(0, 2, size=shape).astype(np.bool_)
        else:
            raise EdgebenchError(
                f"input {detail['name']!r} has dtype {dtype}, which random inputs do not"
                " support; give --images DIR"
            )
        tensors.append(value)
    return tensors


@dataclass
class ImageInputs:
    """Decoded images as ready-to-set input tensors, with their preprocessing times."""

    names: list[str]
    tensors: list[Any]
    preprocess_ms: list[float]


def image_size(details: list[dict[str, Any]]) -> tuple[int, int]:
    """Return (height, width) of the model's single NHWC RGB input, or raise."""
    if len(details) != 1:
        raise EdgebenchError(
            f"--images needs a model with one image input; this one has {len(details)} inputs"
        )
    shape = [int(dim) for dim in details[0]["shape"]]
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3:
        raise EdgebenchError(
            f"--images needs an input of shape [1, H, W, 3] (RGB); this model's is {shape}"
        )
    return shape[1], shape[2]


def list_images(folder: Path) -> list[Path]:
    """Image files in ``folder`` (by extension Pillow knows), sorted by name."""
    from PIL import Image

    suffixes = set(Image.registered_extensions())
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    except OSError as exc:
        raise EdgebenchError(f"cannot list --images {folder}: {exc.strerror}") from None
    if not files:
        raise EdgebenchError(
            f"--images {folder}: no image files found (looked for .jpg, .png, .bmp, ...)"
        )
    return files


def load_pixels(path: Path, height: int, width: int) -> Any:
    """Decode an image to RGB and resize it to height x width (uint8 array HxWx3)."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise EdgebenchError(
            f"cannot decode image {path}: {exc}; remove it from the folder or replace it"
        ) from None
    return np.asarray(rgb, dtype=np.uint8)


def pixel_map(detail: dict[str, Any]) -> tuple[float, float] | None:
    """Return the map q = a * pixel + b as (a, b), or None to feed pixels directly."""
    import numpy as np

    dtype = np.dtype(detail["dtype"])
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if dtype.kind == "f":
        return 1.0 / PIXEL_STD, -PIXEL_MEAN / PIXEL_STD
    if dtype not in (np.uint8, np.int8):
        raise EdgebenchError(f"--images supports uint8, int8 and float inputs, not {dtype}")
    if not scale:
        # Unquantized integer input: the model takes pixels as they are.
        return None
    slope = 1.0 / (PIXEL_STD * scale)
    offset = -PIXEL_MEAN / (PIXEL_STD * scale) + zero_point
    shift = 0 if dtype == np.uint8 else -128
    # Largest difference between the exact map and feeding pixels (shifted) directly.
    worst = max(abs(slope * p + offset - (p + shift)) for p in (0.0, 255.0))
    return None if worst <= 1.0 else (slope, offset)


def pixels_to_tensor(pixels: Any, detail: dict[str, Any]) -> Any:
    """Convert an HxWx3 uint8 image to the input tensor (batch of one)."""
    import numpy as np

    dtype = np.dtype(detail["dtype"])
    mapping = pixel_map(detail)
    if mapping is None:
        shifted = pixels.astype(np.int16) - (0 if dtype == np.uint8 else 128)
        return shifted.astype(dtype)[np.newaxis]
    slope, offset = mapping
    real = pixels.astype(np.float32) * slope + offset
    if dtype.kind == "f":
        return real.astype(dtype)[np.newaxis]
    info = np.iinfo(dtype)
    return np.clip(np.floor(real + 0.5), info.min, info.max).astype(dtype)[np.newaxis]


def load_images(folder: Path, details: list[dict[str, Any]]) -> ImageInputs:
    """Decode, resize and convert every image in ``folder``, timing each one."""
    height, width = image_size(details)
    names, tensors, times = [], [], []
    for path in list_images(folder):
        start = time.perf_counter_ns()
        tensor = pixels_to_tensor(load_pixels(path, height, width), details[0])
        times.append((time.perf_counter_ns() - start) / 1e6)
        names.append(path.name)
        tensors.append(tensor)
    return ImageInputs(names=names, tensors=tensors, preprocess_ms=times)
