"""Published MACs, parameters and ImageNet top-1 of every generated architecture, with sources.

The one place these figures live: the agent's catalog reads them, the generator tests compare
counted models with them, the collector's frontier places runs against them (so they live in
``shared``, which both roles install), and ``docs/generator.md`` reproduces them. Keys are
``(architecture, α, resolution)`` as the generator names them (EfficientNet-Lite's α is 1.0).
Top-1 is the publication's, measured on ImageNet with the trained weights; it is "published,
not measured" here, since the generated models carry random weights.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Published(NamedTuple):
    """Million MACs, million parameters and top-1 % as published (None where not given)."""

    macs_m: float | None
    params_m: float | None
    top1: float | None


SOURCES = {
    "mobilenet_v2": "tensorflow/models research/slim/nets/mobilenet README (hardware.md §5.1)",
    "mobilenet_v1": (
        "tensorflow/models research/slim mobilenet_v1 README, quantized top-1 (hardware.md §5.2)"
    ),
    "mobilenet_v3": "Howard et al. 2019, Searching for MobileNetV3, Table 3 (float)",
    "mobilenet_v3_minimalistic": (
        "tensorflow/models research/slim/nets/mobilenet README, minimalistic checkpoints (float)"
    ),
    "efficientnet_lite": "tensorflow/tpu models/official/efficientnet/lite README (float)",
}
TOP1_LABEL = "published, not measured"

# (MACs M, params M, top-1 %) from hardware.md 5.1 (V2 table; only 224 for alpha 1.3/1.4).
_V2: dict[tuple[float, int], tuple[float, float, float]] = {
    (1.4, 224): (582, 6.06, 75.0),
    (1.3, 224): (509, 5.34, 74.4),
    (1.0, 224): (300, 3.47, 71.8),
    (1.0, 192): (221, 3.47, 70.7),
    (1.0, 160): (154, 3.47, 68.8),
    (1.0, 128): (99, 3.47, 65.3),
    (1.0, 96): (56, 3.47, 60.3),
    (0.75, 224): (209, 2.61, 69.8),
    (0.75, 192): (153, 2.61, 68.7),
    (0.75, 160): (107, 2.61, 66.4),
    (0.75, 128): (69, 2.61, 63.2),
    (0.75, 96): (39, 2.61, 58.8),
    (0.5, 224): (97, 1.95, 65.4),
    (0.5, 192): (71, 1.95, 63.9),
    (0.5, 160): (50, 1.95, 61.0),
    (0.5, 128): (32, 1.95, 57.7),
    (0.5, 96): (18, 1.95, 51.2),
    (0.35, 224): (59, 1.66, 60.3),
    (0.35, 192): (43, 1.66, 58.2),
    (0.35, 160): (30, 1.66, 55.7),
    (0.35, 128): (20, 1.66, 50.8),
    (0.35, 96): (11, 1.66, 45.5),
}
# (MACs M, params M, top-1 % of the quantized checkpoint) from hardware.md 5.2.
_V1: dict[tuple[float, int], tuple[float, float, float]] = {
    (1.0, 224): (569, 4.24, 69.7),
    (1.0, 192): (418, 4.24, 69.0),
    (1.0, 160): (291, 4.24, 67.3),
    (1.0, 128): (186, 4.24, 64.0),
    (0.75, 224): (317, 2.59, 67.9),
    (0.75, 192): (233, 2.59, 66.2),
    (0.75, 160): (162, 2.59, 63.9),
    (0.75, 128): (104, 2.59, 59.8),
    (0.5, 224): (150, 1.34, 62.2),
    (0.5, 192): (110, 1.34, 60.4),
    (0.5, 160): (77, 1.34, 57.7),
    (0.5, 128): (49, 1.34, 54.9),
    (0.25, 224): (41, 0.47, 48.2),
    (0.25, 192): (34, 0.47, 45.8),
    (0.25, 160): (21, 0.47, 43.5),
    (0.25, 128): (14, 0.47, 39.9),
}
# MobileNetV3, Table 3 of the paper; the minimalistic rows are from the slim README only.
_V3: dict[tuple[str, float], tuple[float, float, float]] = {
    ("mobilenet_v3_large", 1.0): (219, 5.4, 75.2),
    ("mobilenet_v3_large", 0.75): (155, 4.0, 73.3),
    ("mobilenet_v3_small", 1.0): (56, 2.5, 67.4),
    ("mobilenet_v3_small", 0.75): (44, 2.0, 65.4),
    ("mobilenet_v3_large_minimalistic", 1.0): (209, 3.9, 72.3),
    ("mobilenet_v3_small_minimalistic", 1.0): (65, 2.0, 61.9),
}
# EfficientNet-Lite0…4 at their own resolutions (params, MAdds, FP32 top-1 of the README).
_LITE: dict[tuple[int, int], tuple[float, float, float]] = {
    (0, 224): (407, 4.7, 75.1),
    (1, 240): (631, 5.4, 76.7),
    (2, 260): (899, 6.1, 77.6),
    (3, 280): (1440, 8.2, 79.8),
    (4, 300): (2640, 13.0, 81.5),
}

# Published figures the architecture does not reproduce (docs/generator.md gives the arithmetic).
NOT_FROM_ARCHITECTURE = {("mobilenet_v3_small_minimalistic", 1.0, 224): "macs"}

PUBLISHED: dict[tuple[str, float, int], Published] = {
    **{("mobilenet_v2", a, r): Published(*row) for (a, r), row in _V2.items()},
    **{("mobilenet_v1", a, r): Published(*row) for (a, r), row in _V1.items()},
    **{(arch, a, 224): Published(*row) for (arch, a), row in _V3.items()},
    **{(f"efficientnet_lite{v}", 1.0, r): Published(*row) for (v, r), row in _LITE.items()},
}


def published(arch: str, alpha: float, resolution: int) -> Published | None:
    """Return the published row of one configuration, or None."""
    return PUBLISHED.get((arch, alpha, resolution))


def source(arch: str) -> str:
    """Name where an architecture's published figures come from."""
    if arch.startswith("efficientnet_lite"):
        return SOURCES["efficientnet_lite"]
    if arch.startswith("mobilenet_v3"):
        return SOURCES[
            "mobilenet_v3_minimalistic" if arch.endswith("minimalistic") else "mobilenet_v3"
        ]
    return SOURCES[arch]


class ModelRow(NamedTuple):
    """A model name resolved to its architecture, family and published row."""

    arch: str
    family: str
    alpha: float
    resolution: int
    row: Published


# Generated names (``gen-mobilenet_v2_0.35_96_int8``, ``gen-efficientnet_lite0_224_uint8``) and
# the Coral quantization-aware files (``mobilenet_v1_0.25_128_quant``). TF2 post-training files
# (``_ptq``) are left out on purpose: their top-1 is not in the tables (the catalog says so too).
_NAME = re.compile(
    r"^(?:gen-)?(?P<arch>mobilenet_v[123](?:_large|_small)?(?:_minimalistic)?|efficientnet_lite[0-4])"
    r"(?:_(?P<alpha>\d+(?:\.\d+)?))?_(?P<res>\d+)_(?:int8|uint8|float32|quant)$"
)


def family_of(arch: str) -> str:
    """Name the family of an architecture (``mobilenet_v3_small`` → ``mobilenet_v3``)."""
    return "efficientnet_lite" if arch.startswith("efficientnet_lite") else arch[:12]


def for_model_name(name: str | None) -> ModelRow | None:
    """Resolve a run's model name to its published row; None if unknown or not published."""
    match = _NAME.match(name or "")
    if not match:
        return None
    arch = match["arch"]
    alpha = float(match["alpha"]) if match["alpha"] else 1.0
    row = published(arch, alpha, int(match["res"]))
    if row is None:
        return None
    return ModelRow(arch, family_of(arch), alpha, int(match["res"]), row)
