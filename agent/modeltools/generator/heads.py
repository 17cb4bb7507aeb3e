"""Pooling, classifier heads, hard-swish and squeeze-and-excite on top of the primitives.

``NetBuilder`` adds to ``GraphBuilder`` what whole networks need beyond convolutions, in the
form the TFLite converter emits them:

* global pooling: ``MEAN`` (tf2 layout) or a full-map ``AVERAGE_POOL_2D`` (tf1 layout), and
  EfficientNet-Lite's "local pooling" (always ``AVERAGE_POOL_2D``, stride 1, VALID);
* the MobileNet head (1×1 conv logits, ``RESHAPE``, ``SOFTMAX``) and the dense head
  (``RESHAPE``, ``FULLY_CONNECTED`` with per-tensor int8 weights, ``SOFTMAX``);
* ``HARD_SWISH``, the built-in op the converter fuses ``x·relu6(x + 3)/6`` into;
* squeeze-and-excite with a hard-sigmoid gate: pool → 1×1 conv + ReLU → 1×1 conv whose bias
  carries the +3 and whose ReLU6 is fused → ``MUL`` by 1/6 → ``MUL`` with the features.
"""

from __future__ import annotations

from edgebench.agent.modeltools.generator import quant as q
from edgebench.agent.modeltools.generator.ir import QuantParams, TensorDef
from edgebench.agent.modeltools.generator.layers import Act, GraphBuilder

_NO_ACTIVATION = 0  # ActivationFunctionType.NONE
_VALID = 1  # Padding.VALID
# hard-swish(x) ≥ -3/8 (its minimum, at x = -1.5).
_HSWISH_MIN = -0.375


class NetBuilder(GraphBuilder):
    """A ``GraphBuilder`` with pooling, heads and the MobileNetV3 activations."""

    # -- activations ---------------------------------------------------------------------

    def conv_act(
        self, x: Act, out_ch: int, kernel: int, stride: int, *, act: str, scope: str
    ) -> Act:
        """Append a convolution and ``act``: fused (relu, relu6, linear) or ``HARD_SWISH``."""
        if act != "hswish":
            return self.conv(x, out_ch, kernel, stride, act=act, scope=scope)
        pre = self.conv(x, out_ch, kernel, stride, act="linear", std=q.RELU6_PRE_STD, scope=scope)
        return self.hard_swish(pre, scope)

    def depthwise_act(self, x: Act, kernel: int, stride: int, *, act: str, scope: str) -> Act:
        """Append a depthwise convolution and ``act`` (fused, or a ``HARD_SWISH`` op)."""
        if act != "hswish":
            return self.depthwise(x, kernel, stride, scope, act=act)
        return self.hard_swish(self.depthwise(x, kernel, stride, scope, act="linear"), scope)

    def hard_swish(self, x: Act, scope: str) -> Act:
        """``HARD_SWISH`` of a linear activation with std 2 (range ±4σ)."""
        hi = q.RANGE_STDS * q.RELU6_PRE_STD
        quant = self.scheme.act_quant(_HSWISH_MIN, hi)
        out = self._activation(f"{scope}/hard_swish", x.shape, quant)
        self._op("HARD_SWISH", (x.index,), out)
        return Act(out, x.shape, q.HSWISH_MEAN_SQ, quant)

    def squeeze_excite(self, x: Act, squeeze_ch: int, scope: str) -> Act:
        """Scale ``x``'s channels by a gate computed from their spatial means."""
        pooled = self.global_pool(x, 1, f"{scope}/squeeze_excite")
        squeezed = self.conv(
            pooled, squeeze_ch, 1, 1, act="relu", scope=f"{scope}/squeeze_excite/Conv"
        )
        # hard_sigmoid(z) = relu6(z + 3) / 6: the converter folds "+ 3" into the conv's bias
        # and fuses the ReLU6; the division stays a MUL by a constant.
        excited = self.conv(
            squeezed,
            x.channels,
            1,
            1,
            act="relu6",
            std=1.0,
            bias_offset=3.0,
            scope=f"{scope}/squeeze_excite/Conv_1",
        )
        gate_quant = self.scheme.act_quant(0.0, 1.0)
        gate = self._activation(f"{scope}/squeeze_excite/hard_sigmoid", excited.shape, gate_quant)
        sixth = self._const_scalar(f"{scope}/squeeze_excite/one_sixth", 1.0 / 6.0)
        self._op("MUL", (excited.index, sixth), gate, "MulOptions", options=_NO_FUSED)
        out = self._activation(f"{scope}/squeeze_excite/mul", x.shape, x.quant)
        self._op("MUL", (x.index, gate), out, "MulOptions", options=_NO_FUSED)
        return Act(out, x.shape, x.mean_sq * q.GATE_MEAN_SQ, x.quant)

    # -- pooling -------------------------------------------------------------------------

    def global_pool(self, x: Act, stride: int, scope: str, *, mean_sq: float | None = None) -> Act:
        """Average over the spatial dimensions: AVERAGE_POOL_2D (tf1) or MEAN (tf2)."""
        if self.layout == "tf2":
            shape = (1, 1, 1, x.channels)
            out = self._activation(f"{scope}/AvgPool", shape, x.quant)
            axes = self._const_int32(f"{scope}/reduction_indices", (1, 2))
            self._op("MEAN", (x.index, axes), out, "ReducerOptions", options={"keep_dims": True})
            return Act(out, shape, _pooled_mean_sq(mean_sq), x.quant)
        return self.local_pool(x, stride, scope, mean_sq=mean_sq)

    def local_pool(self, x: Act, stride: int, scope: str, *, mean_sq: float | None = None) -> Act:
        """AVERAGE_POOL_2D whose window is the whole feature map (VALID padding)."""
        shape = (1, 1, 1, x.channels)
        # Spatial averaging leaves roughly the mean; keep the input's quantization.
        out = self._activation(f"{scope}/AvgPool", shape, x.quant)
        options = {
            "padding": _VALID,
            "stride_w": stride,
            "stride_h": stride,
            "filter_width": x.shape[2],
            "filter_height": x.shape[1],
            "fused_activation_function": _NO_ACTIVATION,
        }
        self._op("AVERAGE_POOL_2D", (x.index,), out, "Pool2DOptions", options=options)
        return Act(out, shape, _pooled_mean_sq(mean_sq), x.quant)

    # -- heads ---------------------------------------------------------------------------

    def classifier(self, x: Act, classes: int, scope: str) -> Act:
        """1×1 conv logits with bias, RESHAPE to [1, classes], SOFTMAX."""
        std = q.he_std(q.LOGITS_STD, x.channels, x.mean_sq)
        w, w_scales = self.scheme.weights(
            self.stream, f"{scope}/Conv2d_1c_1x1/weights", (classes, 1, 1, x.channels), 0, std
        )
        logits = self._weighted(
            "CONV_2D",
            x,
            w,
            w_scales,
            shape=(1, 1, 1, classes),
            act="linear",
            std=q.LOGITS_STD,
            scope=f"{scope}/Conv2d_1c_1x1",
            stride=1,
        )
        shape_idx = self._const_int32(f"{scope}/SpatialSqueeze/shape", (1, classes))
        squeezed = self._activation(f"{scope}/SpatialSqueeze", (1, classes), logits.quant)
        self._op("RESHAPE", (logits.index, shape_idx), squeezed)
        return self._softmax(squeezed, classes)

    def dense_classifier(self, x: Act, classes: int, scope: str) -> Act:
        """RESHAPE to [1, C], FULLY_CONNECTED logits with bias, SOFTMAX."""
        flat_shape = (1, x.channels)
        shape_idx = self._const_int32(f"{scope}/Squeeze/shape", flat_shape)
        flat = self._activation(f"{scope}/Squeeze", flat_shape, x.quant)
        self._op("RESHAPE", (x.index, shape_idx), flat)
        std = q.he_std(q.LOGITS_STD, x.channels, x.mean_sq)
        # The converter quantizes dense weights per tensor (per channel only for convolutions).
        w, w_scales = self.scheme.weights(
            self.stream, f"{scope}/dense/kernel", (classes, x.channels), 0, std, per_channel=False
        )
        in_scale = x.quant.scale[0] if x.quant is not None else None
        bias = self.scheme.bias(
            self.stream,
            f"{scope}/dense/bias",
            classes,
            q.LOGITS_STD,
            input_scale=in_scale,
            weight_scales=w_scales,
        )
        w_idx, b_idx = self.model.add_tensor(w), self.model.add_tensor(bias)
        bound = q.RANGE_STDS * q.LOGITS_STD
        quant = self.scheme.act_quant(-bound, bound)
        logits = self._activation(f"{scope}/dense/BiasAdd", (1, classes), quant)
        options = {"fused_activation_function": _NO_ACTIVATION, "keep_num_dims": False}
        inputs = (flat, w_idx, b_idx)
        self._op("FULLY_CONNECTED", inputs, logits, "FullyConnectedOptions", options=options)
        return self._softmax(logits, classes)

    # -- helpers -------------------------------------------------------------------------

    def _softmax(self, logits: int, classes: int) -> Act:
        sm_quant = self.scheme.softmax_quant()
        probs = self._activation("Predictions/Softmax", (1, classes), sm_quant)
        self._op("SOFTMAX", (logits,), probs, "SoftmaxOptions", options={"beta": 1.0})
        return Act(probs, (1, classes), 0.0, sm_quant)

    def _const_scalar(self, name: str, value: float) -> int:
        """Add a one-element constant in the activation type (quantized, it is 127 or 255)."""
        import numpy as np

        mode = self.scheme.mode
        if mode == "float32":
            data = np.asarray([value], dtype="<f4").tobytes()
            return self.model.add_tensor(TensorDef(name, (1,), "float32", data))
        top = 127 if mode == "int8" else 255
        quant = QuantParams((q._f32(value / top),), (0,))
        data = np.asarray([top], dtype=np.int8 if mode == "int8" else np.uint8).tobytes()
        return self.model.add_tensor(TensorDef(name, (1,), mode, data, quant))


_NO_FUSED: dict[str, int | float | bool] = {"fused_activation_function": _NO_ACTIVATION}


def _pooled_mean_sq(mean_sq: float | None) -> float:
    """E[x²] after spatial averaging: the mean squared (default: that of ReLU6 features)."""
    return q.RELU6_MEAN * q.RELU6_MEAN if mean_sq is None else mean_sq
