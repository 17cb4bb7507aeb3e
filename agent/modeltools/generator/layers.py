"""Layer-by-layer construction of a MobileNet graph in TFLite's fused form: the primitives.

Convolutions carry folded batch norm (a bias) and a fused ReLU6, exactly as the TFLite
converter emits them; padding is SAME everywhere, as in the slim MobileNet definitions.
The two head/edge layouts the pretrained models use are reproduced:

* ``tf1`` (uint8 QAT and float32): uint8/float input, AVERAGE_POOL_2D head;
* ``tf2`` (int8 PTQ): uint8 input → QUANTIZE → int8 graph, MEAN head, QUANTIZE → uint8 output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgebench.agent.modeltools.generator import quant as q
from edgebench.agent.modeltools.generator.ir import ModelDef, OpDef, QuantParams, TensorDef

_NONE = 0  # ActivationFunctionType
# Activations fused into a convolution: ActivationFunctionType and output tensor name suffix.
FUSED = {"linear": (_NONE, "BiasAdd"), "relu": (1, "Relu"), "relu6": (3, "Relu6")}
_SAME = 0  # Padding.SAME
_VALID = 1

# Operator versions the TFLite converter writes for each element type (from the reference
# models: int8 kernels with per-channel weights are newer op versions).
_INT8_VERSIONS = {
    "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 3,
    "ADD": 2,
    "MUL": 2,
    "MEAN": 2,
    "FULLY_CONNECTED": 4,
    "AVERAGE_POOL_2D": 2,
    "SOFTMAX": 2,
}


@dataclass(frozen=True)
class Act:
    """An activation tensor of the graph under construction."""

    index: int
    shape: tuple[int, ...]
    # E[x²] of its float values (for fan-in scaling) and its quantization (None for float).
    mean_sq: float
    quant: QuantParams | None

    @property
    def channels(self) -> int:
        """Last (channel) dimension."""
        return self.shape[-1]


class GraphBuilder:
    """Append fused layers to a ``ModelDef``, drawing weights from one ``IntStream``."""

    def __init__(self, scheme: q.Scheme, stream: q.IntStream, description: str) -> None:
        self.scheme = scheme
        self.stream = stream
        self.layout = "tf2" if scheme.mode == "int8" else "tf1"
        self.model = ModelDef(description=description)
        if self.layout == "tf2":
            self.model.min_runtime_version = "1.14.0"

    # -- edges ---------------------------------------------------------------------------

    def image_input(self, resolution: int) -> Act:
        """Add the [1, R, R, 3] image input, scaled to [-1, 1] as MobileNet expects."""
        shape = (1, resolution, resolution, 3)
        # A uniform random image in [-1, 1] has E[x²] = 1/3.
        mean_sq = 1.0 / 3.0
        if self.scheme.mode == "float32":
            idx = self.model.add_tensor(TensorDef("input", shape, "float32"))
            self.model.inputs.append(idx)
            return Act(idx, shape, mean_sq, None)
        if self.layout == "tf1":
            quant = QuantParams((1.0 / 128.0,), (128,))
            idx = self.model.add_tensor(TensorDef("input", shape, "uint8", quant=quant))
            self.model.inputs.append(idx)
            return Act(idx, shape, mean_sq, quant)
        u8 = QuantParams((q._f32(1.0 / 127.5),), (127,))
        idx = self.model.add_tensor(TensorDef("input", shape, "uint8", quant=u8))
        self.model.inputs.append(idx)
        i8 = QuantParams(u8.scale, (-1,))
        out = self._activation("tfl.quantize", shape, i8)
        self._op("QUANTIZE", (idx,), out, None, version=1)
        return Act(out, shape, mean_sq, i8)

    def finish(self, probs: Act) -> ModelDef:
        """Mark the graph output (QUANTIZE back to uint8 in the tf2 layout) and return it."""
        out = probs.index
        if self.layout == "tf2":
            quant = QuantParams((1.0 / 256.0,), (0,))
            out = self.model.add_tensor(TensorDef("Identity", probs.shape, "uint8", quant=quant))
            self._op("QUANTIZE", (probs.index,), out, None, version=1)
        self.model.outputs.append(out)
        return self.model

    # -- layers --------------------------------------------------------------------------

    def conv(
        self,
        x: Act,
        out_ch: int,
        kernel: int,
        stride: int,
        *,
        act: str,
        scope: str,
        std: float | None = None,
        bias_offset: float = 0.0,
    ) -> Act:
        """Append a full convolution (weights [O, k, k, I]) with folded bias and fused ``act``.

        ``act`` is a key of ``FUSED``. ``std`` overrides the pre-activation standard deviation
        (default: 2 before a ReLU, 1 for a linear output); ``bias_offset`` shifts the bias.
        """
        shape = (1, _same(x.shape[1], stride), _same(x.shape[2], stride), out_ch)
        target = std if std is not None else _default_std(act)
        std = q.he_std(target, kernel * kernel * x.channels, x.mean_sq)
        w, w_scales = self.scheme.weights(
            self.stream, f"{scope}/weights", (out_ch, kernel, kernel, x.channels), 0, std
        )
        return self._weighted(
            "CONV_2D",
            x,
            w,
            w_scales,
            shape=shape,
            act=act,
            std=target,
            scope=scope,
            stride=stride,
            bias_offset=bias_offset,
        )

    def depthwise(self, x: Act, kernel: int, stride: int, scope: str, act: str = "relu6") -> Act:
        """Append a k×k depthwise conv (weights [1, k, k, C], multiplier 1) with fused ``act``."""
        shape = (1, _same(x.shape[1], stride), _same(x.shape[2], stride), x.channels)
        target = _default_std(act)
        std = q.he_std(target, kernel * kernel, x.mean_sq)
        w, w_scales = self.scheme.weights(
            self.stream, f"{scope}/depthwise_weights", (1, kernel, kernel, x.channels), 3, std
        )
        return self._weighted(
            "DEPTHWISE_CONV_2D",
            x,
            w,
            w_scales,
            shape=shape,
            act=act,
            std=target,
            scope=scope,
            stride=stride,
        )

    def add(self, a: Act, b: Act, scope: str) -> Act:
        """Residual addition of two same-shaped activations."""
        mean_sq = a.mean_sq + b.mean_sq
        bound = q.RANGE_STDS * math.sqrt(mean_sq)
        quant = self.scheme.act_quant(-bound, bound)
        out = self._activation(f"{scope}/add", a.shape, quant)
        self._op(
            "ADD",
            (a.index, b.index),
            out,
            "AddOptions",
            options={"fused_activation_function": _NONE},
        )
        return Act(out, a.shape, mean_sq, quant)

    # -- helpers -------------------------------------------------------------------------

    def _weighted(
        self,
        opcode: str,
        x: Act,
        weights: TensorDef,
        w_scales: tuple[float, ...],
        *,
        shape: tuple[int, ...],
        act: str,
        std: float,
        scope: str,
        stride: int,
        bias_offset: float = 0.0,
    ) -> Act:
        """Append a conv-like op (input, weights, bias) and its output activation."""
        target_std = std
        options_type = "Conv2DOptions" if opcode == "CONV_2D" else "DepthwiseConv2DOptions"
        out_ch = shape[-1]
        in_scale = x.quant.scale[0] if x.quant is not None else None
        bias = self.scheme.bias(
            self.stream,
            f"{scope}/bias",
            out_ch,
            target_std,
            input_scale=in_scale,
            weight_scales=w_scales,
            offset=bias_offset,
        )
        w_idx = self.model.add_tensor(weights)
        b_idx = self.model.add_tensor(bias)
        fused, suffix = FUSED[act]
        bound = q.RANGE_STDS * target_std
        if act == "relu6":
            quant = self.scheme.act_quant(0.0, 6.0)
            mean_sq = q.RELU6_MEAN_SQ
        elif act == "relu":
            quant = self.scheme.act_quant(0.0, bound)
            mean_sq = target_std * target_std / 2.0
        else:
            quant = self.scheme.act_quant(-bound, bound)
            mean_sq = target_std * target_std
        out = self._activation(f"{scope}/{suffix}", shape, quant)
        options: dict[str, int | float | bool] = {
            "padding": _SAME,
            "stride_w": stride,
            "stride_h": stride,
            "fused_activation_function": fused,
            "dilation_w_factor": 1,
            "dilation_h_factor": 1,
        }
        if opcode == "DEPTHWISE_CONV_2D":
            options["depth_multiplier"] = 1
        self._op(opcode, (x.index, w_idx, b_idx), out, options_type, options=options)
        return Act(out, shape, mean_sq, quant)

    def _activation(self, name: str, shape: tuple[int, ...], quant: QuantParams | None) -> int:
        return self.model.add_tensor(TensorDef(name, shape, self.scheme.act_dtype, quant=quant))

    def _const_int32(self, name: str, values: tuple[int, ...]) -> int:
        data = b"".join(int(v).to_bytes(4, "little", signed=True) for v in values)
        return self.model.add_tensor(TensorDef(name, (len(values),), "int32", data))

    def _op(
        self,
        opcode: str,
        inputs: tuple[int, ...],
        output: int,
        options_type: str | None = None,
        *,
        options: dict[str, int | float | bool] | None = None,
        version: int | None = None,
    ) -> None:
        if version is None:
            version = _INT8_VERSIONS.get(opcode, 1) if self.scheme.mode == "int8" else 1
        self.model.ops.append(
            OpDef(opcode, inputs, (output,), version, options_type, dict(options or {}))
        )


def _default_std(act: str) -> float:
    """Pre-activation std: 2 before a ReLU (~0.1 % clipped at 6), 1 for a linear output."""
    return q.PROJECT_STD if act == "linear" else q.RELU6_PRE_STD


def _same(size: int, stride: int) -> int:
    """Output size of SAME padding."""
    return -(-size // stride)
