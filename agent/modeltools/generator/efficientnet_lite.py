"""EfficientNet-Lite0…4 as published for edge devices (tensorflow/tpu ``efficientnet/lite``).

EfficientNet-B0's MBConv stages with the edge changes of ``efficientnet_lite_builder.py``:
no squeeze-and-excite, ReLU6 instead of swish, and the stem (32) and head (1280) kept fixed
while width and depth scale (``fix_head_stem``, which also keeps the first and last stage at
one block each). Channels are ``round_filters`` (multiple of 8, never 10 % below c × width);
repeats are ``ceil(depth × n)``. The head is a 1×1 conv to 1280 with ReLU6, an
``AVERAGE_POOL_2D`` over the whole map ("local pooling", for TFLite), ``RESHAPE``, a
``FULLY_CONNECTED`` layer to 1000 classes and ``SOFTMAX``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from edgebench.agent.modeltools.generator.heads import NetBuilder
from edgebench.agent.modeltools.generator.layers import Act

CLASSES = 1000
STEM = 32
HEAD = 1280
RESOLUTIONS = (96, 128, 160, 192, 224, 240, 260, 280, 300)


class Variant(NamedTuple):
    """Compound-scaling coefficients and the native input size of one variant."""

    width: float
    depth: float
    resolution: int


VARIANTS = {
    0: Variant(1.0, 1.0, 224),
    1: Variant(1.0, 1.1, 240),
    2: Variant(1.1, 1.2, 260),
    3: Variant(1.2, 1.4, 280),
    4: Variant(1.4, 1.8, 300),
}


class Stage(NamedTuple):
    """One stage of EfficientNet-B0: kernel, repeats, first stride, expansion, output channels."""

    kernel: int
    repeats: int
    stride: int
    expand: int
    out: int


STAGES = (
    Stage(3, 1, 1, 1, 16),
    Stage(3, 2, 2, 6, 24),
    Stage(5, 2, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(5, 3, 1, 6, 112),
    Stage(5, 4, 2, 6, 192),
    Stage(3, 1, 1, 6, 320),
)


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` to a multiple of ``divisor``, never 10 % below."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def stage_repeats(variant: Variant) -> list[int]:
    """Blocks per stage: ``ceil(depth × n)``, the first and last stage fixed."""
    last = len(STAGES) - 1
    return [
        s.repeats if i in (0, last) else math.ceil(variant.depth * s.repeats)
        for i, s in enumerate(STAGES)
    ]


def build(g: NetBuilder, variant: int, resolution: int) -> None:
    """Append the whole network of EfficientNet-Lite``variant`` to ``g``."""
    params = VARIANTS[variant]
    scope = f"efficientnet-lite{variant}"
    x = g.image_input(resolution)
    x = g.conv(x, STEM, 3, 2, act="relu6", scope=f"{scope}/stem/conv2d")
    index = 0
    for stage, repeats in zip(STAGES, stage_repeats(params), strict=True):
        out_ch = round_filters(stage.out, params.width)
        for i in range(repeats):
            stride = stage.stride if i == 0 else 1
            x = _mbconv(g, x, stage, out_ch, stride=stride, scope=f"{scope}/blocks_{index}")
            index += 1
    x = g.conv(x, HEAD, 1, 1, act="relu6", scope=f"{scope}/head/conv2d")
    x = g.local_pool(x, 1, f"{scope}/head/AvgPool")
    g.finish(g.dense_classifier(x, CLASSES, f"{scope}/head"))


def _mbconv(g: NetBuilder, x: Act, stage: Stage, out_ch: int, *, stride: int, scope: str) -> Act:
    block_in = x
    if stage.expand != 1:
        x = g.conv(x, x.channels * stage.expand, 1, 1, act="relu6", scope=f"{scope}/conv2d")
    x = g.depthwise(x, stage.kernel, stride, f"{scope}/depthwise_conv2d")
    x = g.conv(x, out_ch, 1, 1, act="linear", scope=f"{scope}/conv2d_1")
    if stride == 1 and block_in.channels == out_ch:
        x = g.add(x, block_in, scope)
    return x
