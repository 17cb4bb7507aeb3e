"""Multiply-accumulate counts per TFLite op, from tensor shapes alone.

Two kinds of work are counted (see docs/models.md):

* ``mac`` ops — CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, CONV_3D,
  BATCH_MATMUL — whose multiply-accumulates are what the published MobileNet tables count.
* ``elementwise`` ops — ADD/SUB/MUL/DIV, pooling windows, MEAN/SUM, SOFTMAX and the
  activations that compute — where each arithmetic operation counts as one MAC-equivalent.

Data movement (RESHAPE, QUANTIZE, CONCATENATION, PAD, ...) and unknown custom ops count 0.
FLOPs are always 2 x MACs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Shape = list[int]
Kind = Literal["mac", "elementwise", "none"]

# Ops whose MACs the published tables count; value: (weights input, bias input).
MAC_OPS: dict[str, tuple[int, int]] = {
    "CONV_2D": (1, 2),
    "DEPTHWISE_CONV_2D": (1, 2),
    "FULLY_CONNECTED": (1, 2),
    "TRANSPOSE_CONV": (1, 3),
    "CONV_3D": (1, 2),
}

# One arithmetic operation per output element.
_PER_OUTPUT = frozenset(
    {
        "ADD",
        "SUB",
        "MUL",
        "DIV",
        "SQUARED_DIFFERENCE",
        "MAXIMUM",
        "MINIMUM",
        "POW",
        "ADD_N",
        "LOGISTIC",
        "TANH",
        "HARD_SWISH",
        "EXP",
        "LOG",
        "SQRT",
        "RSQRT",
        "GELU",
        "PRELU",
        "LEAKY_RELU",
        "L2_NORMALIZATION",
        "LOCAL_RESPONSE_NORMALIZATION",
        "RESIZE_BILINEAR",
    }
)
# One operation per input element (reductions and normalisations over the input).
_PER_INPUT = frozenset(
    {"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "SOFTMAX", "LOG_SOFTMAX"}
)
# One operation per element of the pooling window, per output element.
_POOLS = frozenset({"AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"})


@dataclass(frozen=True)
class OpCost:
    """MACs of one op, which kind of work they are, and its weight/bias tensor indices."""

    macs: int
    kind: Kind
    weights: int | None = None
    bias: int | None = None


def elements(shape: Shape | None) -> int:
    """Count the elements of a shape (a scalar has one; an unknown shape none)."""
    if shape is None:
        return 0
    return math.prod(max(d, 0) for d in shape)


def op_cost(
    name: str, inputs: list[int], shapes: list[Shape | None], out_shape: Shape | None, op: Any
) -> OpCost:
    """Count the MACs of one op.

    ``inputs`` are the op's input tensor indices (-1 = omitted), ``shapes`` their shapes in
    the same order, ``out_shape`` the first output's shape and ``op`` the tflite Operator
    (read only for pooling windows and BATCH_MATMUL adjoint flags).
    """
    out = elements(out_shape)

    def shape(i: int) -> Shape | None:
        return shapes[i] if i < len(shapes) and inputs[i] >= 0 else None

    def index(i: int) -> int | None:
        return inputs[i] if i < len(inputs) and inputs[i] >= 0 else None

    if name in MAC_OPS:
        w_slot, b_slot = MAC_OPS[name]
        w = shape(w_slot) or []
        macs = 0
        if name == "CONV_2D" and len(w) == 4:
            # Filter [out_c, k_h, k_w, in_c / groups]: each output sums k_h*k_w*in_c/groups.
            macs = out * w[1] * w[2] * w[3]
        elif name == "DEPTHWISE_CONV_2D" and len(w) == 4:
            # Filter [1, k_h, k_w, out_c]: each output sums one k_h*k_w window.
            macs = out * w[1] * w[2]
        elif name == "FULLY_CONNECTED" and len(w) == 2:
            # Weights [out, in]: output elements = batch*out, each a dot product over `in`.
            macs = out * w[1]
        elif name == "TRANSPOSE_CONV" and len(w) == 4:
            # Every input element is scattered through a k_h*k_w*out_c filter.
            macs = elements(shape(2)) * w[0] * w[1] * w[2]
        elif name == "CONV_3D" and len(w) == 5:
            # Filter [k_d, k_h, k_w, in_c, out_c].
            macs = out * w[0] * w[1] * w[2] * w[3]
        return OpCost(macs=macs, kind="mac", weights=index(w_slot), bias=index(b_slot))
    if name == "BATCH_MATMUL":
        lhs = shape(0) or []
        adj_x = _batch_matmul_adj_x(op)
        depth = (lhs[-2] if adj_x else lhs[-1]) if len(lhs) >= 2 else 0
        return OpCost(macs=out * depth, kind="mac")
    if name in _PER_OUTPUT:
        return OpCost(macs=out, kind="elementwise")
    if name in _PER_INPUT:
        return OpCost(macs=elements(shape(0)), kind="elementwise")
    if name in _POOLS:
        return OpCost(macs=out * _pool_window(op), kind="elementwise")
    return OpCost(macs=0, kind="none")


def _pool_window(op: Any) -> int:
    """Filter height x width of a pooling op, from its Pool2DOptions."""
    from tflite.Pool2DOptions import Pool2DOptions

    table = op.BuiltinOptions()
    if table is None:
        return 1
    options = Pool2DOptions()
    options.Init(table.Bytes, table.Pos)
    return max(options.FilterHeight(), 1) * max(options.FilterWidth(), 1)


def _batch_matmul_adj_x(op: Any) -> bool:
    """Whether BATCH_MATMUL transposes its left operand."""
    from tflite.BatchMatMulOptions import BatchMatMulOptions

    table = op.BuiltinOptions()
    if table is None:
        return False
    options = BatchMatMulOptions()
    options.Init(table.Bytes, table.Pos)
    return bool(options.AdjX())
