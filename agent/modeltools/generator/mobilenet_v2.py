"""MobileNetV2 (Sandler et al. 2018) as defined in tensorflow/models slim ``mobilenet_v2.py``.

Inverted residual blocks (1×1 expand + ReLU6, 3×3 depthwise + ReLU6, linear 1×1 project,
residual add when stride is 1 and channels match). Every layer's channel count is
``make_divisible(c × α, 8)``; the last 1×1 conv keeps 1280 channels for α ≤ 1 (the published
checkpoints' "finegrain classification mode", and Keras' ``MobileNetV2``) and is scaled for α > 1.
"""

from __future__ import annotations

from edgebench.agent.modeltools.generator.heads import NetBuilder
from edgebench.agent.modeltools.generator.layers import Act

ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
RESOLUTIONS = (96, 128, 160, 192, 224)
CLASSES = 1001

# (expansion t, output channels c, repeats n, first stride s), after the stem conv.
BLOCKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to a multiple of ``divisor``, never more than 10 % below it."""
    min_value = divisor if min_value is None else min_value
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


def build(g: NetBuilder, alpha: float, resolution: int) -> None:
    """Append the whole network to ``g``."""
    x = g.image_input(resolution)
    x = g.conv(x, make_divisible(32 * alpha), 3, 2, act="relu6", scope="MobilenetV2/Conv")
    index = 0
    for t, c, n, s in BLOCKS:
        out_ch = make_divisible(c * alpha)
        for i in range(n):
            scope = "MobilenetV2/expanded_conv" + (f"_{index}" if index else "")
            x = _inverted_residual(g, x, t, out_ch, stride=s if i == 0 else 1, scope=scope)
            index += 1
    last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = g.conv(x, last, 1, 1, act="relu6", scope="MobilenetV2/Conv_1")
    x = g.global_pool(x, 1, "MobilenetV2/Logits")
    g.finish(g.classifier(x, CLASSES, "MobilenetV2/Logits"))


def _inverted_residual(
    g: NetBuilder, x: Act, expansion: int, out_ch: int, *, stride: int, scope: str
) -> Act:
    block_in = x
    if expansion != 1:
        inner = make_divisible(x.channels * expansion)
        x = g.conv(x, inner, 1, 1, act="relu6", scope=f"{scope}/expand")
    x = g.depthwise(x, 3, stride, f"{scope}/depthwise")
    x = g.conv(x, out_ch, 1, 1, act="linear", scope=f"{scope}/project")
    if stride == 1 and block_in.channels == out_ch:
        x = g.add(x, block_in, scope)
    return x
