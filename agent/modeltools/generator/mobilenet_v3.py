"""MobileNetV3 Large and Small (Howard et al. 2019, Tables 1 and 2), and their minimalistic forms.

Each bottleneck is a 1×1 expansion (skipped when it would not widen), a k×k depthwise, an
optional squeeze-and-excite on the depthwise output, and a linear 1×1 projection, with a
residual ``ADD`` when the stride is 1 and the width is unchanged. The nonlinearity is ReLU
or hard-swish per block, as in the tables. Then a 1×1 conv (960 / 576 channels), a global
pool, a 1×1 conv with bias to 1280 / 1024 channels and the 1×1 logits conv (1001 classes,
as the published checkpoints).

Widths follow Keras' ``MobileNetV3`` (and slim's ``mobilenet_v3.py``): every block's output
and the last conv are ``make_divisible(c × α, 8)``; an expansion is
``make_divisible(input channels × exp / paper input channels, 8)``; the squeeze width is
``make_divisible(expanded / 4, 8)``; the stem stays at 16 and the 1280 / 1024 head is only
scaled for α > 1. Minimalistic: every kernel 3×3, no squeeze-and-excite, ReLU everywhere.
"""

from __future__ import annotations

from typing import NamedTuple

from edgebench.agent.modeltools.generator import quant as q
from edgebench.agent.modeltools.generator.heads import NetBuilder
from edgebench.agent.modeltools.generator.layers import Act
from edgebench.agent.modeltools.generator.mobilenet_v2 import make_divisible

ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.25)
RESOLUTIONS = (96, 128, 160, 192, 224)
SIZES = ("large", "small")
CLASSES = 1001
STEM = 16


class Bneck(NamedTuple):
    """One row of the paper's table: kernel, expansion size, output channels, SE, NL, stride."""

    kernel: int
    exp: int
    out: int
    se: bool
    act: str
    stride: int


# Table 1 (MobileNetV3-Large); "RE" is relu, "HS" hswish.
LARGE = (
    Bneck(3, 16, 16, False, "relu", 1),
    Bneck(3, 64, 24, False, "relu", 2),
    Bneck(3, 72, 24, False, "relu", 1),
    Bneck(5, 72, 40, True, "relu", 2),
    Bneck(5, 120, 40, True, "relu", 1),
    Bneck(5, 120, 40, True, "relu", 1),
    Bneck(3, 240, 80, False, "hswish", 2),
    Bneck(3, 200, 80, False, "hswish", 1),
    Bneck(3, 184, 80, False, "hswish", 1),
    Bneck(3, 184, 80, False, "hswish", 1),
    Bneck(3, 480, 112, True, "hswish", 1),
    Bneck(3, 672, 112, True, "hswish", 1),
    Bneck(5, 672, 160, True, "hswish", 2),
    Bneck(5, 960, 160, True, "hswish", 1),
    Bneck(5, 960, 160, True, "hswish", 1),
)
# Table 2 (MobileNetV3-Small).
SMALL = (
    Bneck(3, 16, 16, True, "relu", 2),
    Bneck(3, 72, 24, False, "relu", 2),
    Bneck(3, 88, 24, False, "relu", 1),
    Bneck(5, 96, 40, True, "hswish", 2),
    Bneck(5, 240, 40, True, "hswish", 1),
    Bneck(5, 240, 40, True, "hswish", 1),
    Bneck(5, 120, 48, True, "hswish", 1),
    Bneck(5, 144, 48, True, "hswish", 1),
    Bneck(5, 288, 96, True, "hswish", 2),
    Bneck(5, 576, 96, True, "hswish", 1),
    Bneck(5, 576, 96, True, "hswish", 1),
)
# Per size: the bottlenecks, the last 1×1 conv before pooling, the 1×1 conv after it.
TABLES = {"large": (LARGE, 960, 1280), "small": (SMALL, 576, 1024)}


def build(g: NetBuilder, alpha: float, resolution: int, *, size: str, minimalistic: bool) -> None:
    """Append the whole network to ``g``."""
    blocks, last, head = TABLES[size]
    top_act = "relu" if minimalistic else "hswish"
    scope = "MobilenetV3"
    x = g.image_input(resolution)
    x = g.conv_act(x, STEM, 3, 2, act=top_act, scope=f"{scope}/Conv")
    paper_in = STEM
    for index, row in enumerate(blocks):
        block = row._replace(kernel=3, se=False, act="relu") if minimalistic else row
        name = f"{scope}/expanded_conv" + (f"_{index}" if index else "")
        x = _bneck(g, x, block, alpha, ratio=block.exp / paper_in, scope=name)
        paper_in = block.out
    x = g.conv_act(x, make_divisible(last * alpha), 1, 1, act=top_act, scope=f"{scope}/Conv_1")
    # A spatial average keeps the features' mean and 1/(H·W) of their variance; the head's
    # weight scales start from that (small maps average little).
    mean = q.RELU_MEAN if minimalistic else q.HSWISH_MEAN
    pooled_sq = mean * mean + (x.mean_sq - mean * mean) / (x.shape[1] * x.shape[2])
    x = g.global_pool(x, 1, f"{scope}/AvgPool2D", mean_sq=pooled_sq)
    head_ch = make_divisible(head * alpha) if alpha > 1.0 else head
    x = g.conv_act(x, head_ch, 1, 1, act=top_act, scope=f"{scope}/Conv_2")
    g.finish(g.classifier(x, CLASSES, f"{scope}/Logits"))


def _bneck(g: NetBuilder, x: Act, block: Bneck, alpha: float, *, ratio: float, scope: str) -> Act:
    block_in = x
    out_ch = make_divisible(block.out * alpha)
    if ratio != 1.0:
        expanded = make_divisible(x.channels * ratio)
        x = g.conv_act(x, expanded, 1, 1, act=block.act, scope=f"{scope}/expand")
    x = g.depthwise_act(x, block.kernel, block.stride, act=block.act, scope=f"{scope}/depthwise")
    if block.se:
        x = g.squeeze_excite(x, make_divisible(x.channels / 4), scope)
    x = g.conv(x, out_ch, 1, 1, act="linear", scope=f"{scope}/project")
    if block.stride == 1 and block_in.channels == out_ch:
        x = g.add(x, block_in, scope)
    return x
