"""MobileNetV1 (Howard et al. 2017) as defined in tensorflow/models slim ``mobilenet_v1.py``.

A 3×3 stem conv then 13 depthwise-separable blocks (3×3 depthwise + ReLU6, 1×1 pointwise +
ReLU6); channels are ``max(int(c × α), 8)``. The slim head averages with a kernel equal to
the final feature map (stride 2, VALID), then a 1×1 conv classifier.
"""

from __future__ import annotations

from edgebench.agent.modeltools.generator.heads import NetBuilder

ALPHAS = (0.25, 0.5, 0.75, 1.0)
RESOLUTIONS = (128, 160, 192, 224)
CLASSES = 1001

# (stride, output channels) of the depthwise-separable blocks.
BLOCKS = (
    (1, 64),
    (2, 128),
    (1, 128),
    (2, 256),
    (1, 256),
    (2, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (2, 1024),
    (1, 1024),
)


def depth(channels: int, alpha: float) -> int:
    """Slim's ``max(int(c × α), min_depth=8)``."""
    return max(int(channels * alpha), 8)


def build(g: NetBuilder, alpha: float, resolution: int) -> None:
    """Append the whole network to ``g``."""
    x = g.image_input(resolution)
    x = g.conv(x, depth(32, alpha), 3, 2, act="relu6", scope="MobilenetV1/Conv2d_0")
    for i, (stride, channels) in enumerate(BLOCKS, start=1):
        x = g.depthwise(x, 3, stride, f"MobilenetV1/Conv2d_{i}_depthwise")
        x = g.conv(
            x, depth(channels, alpha), 1, 1, act="relu6", scope=f"MobilenetV1/Conv2d_{i}_pointwise"
        )
    x = g.global_pool(x, 2, "MobilenetV1/Logits/AvgPool_1a")
    g.finish(g.classifier(x, CLASSES, "MobilenetV1/Logits"))
