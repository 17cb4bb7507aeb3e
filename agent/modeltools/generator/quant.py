"""Deterministic weights and quantization parameters for the generated models.

Reproducibility across machines matters: a model generated on a Pi and on a laptop from
the same configuration must have the same sha256, so results compare by hash. Therefore:

* random integers come straight from the PCG64 bit stream (``random_raw``), whose output is
  fixed by its algorithm, rather than from ``Generator`` distributions that numpy may change
  between versions or that go through platform ``libm`` calls;
* weights are drawn as integers first (a bell shape from a sum of four uniforms) and scales
  are computed with correctly rounded IEEE operations only (``+ - * / sqrt``).

Scales follow a variance-preserving ("He") rule so every pre-activation has a chosen
standard deviation; activation ranges are then set from that, the way a calibrated
post-training quantizer would set them, so outputs are neither all zero nor saturated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from edgebench.agent.modeltools.generator.ir import QuantParams, TensorDef, TensorDType

if TYPE_CHECKING:
    import numpy as np

QuantMode = Literal["int8", "uint8", "float32"]
QUANT_MODES: tuple[QuantMode, ...] = ("int8", "uint8", "float32")

# A sum of four uniform integers in [0, 63], centred: range [-126, 126], variance 4*(64²-1)/12.
_BELL_STD = math.sqrt(4 * (64 * 64 - 1) / 12)
# Target standard deviation of pre-activations that feed ReLU6: ~0.1 % clip at 6.
RELU6_PRE_STD = 2.0
# E[relu6(z)] and E[relu6(z)²] for z ~ N(0, 2²) (computed once by Monte Carlo, 1e7 samples).
RELU6_MEAN = 0.796
RELU6_MEAN_SQ = 1.987
# E[hswish(z)] and E[hswish(z)²] for z ~ N(0, 2²), hswish(z) = z·relu6(z + 3)/6 (quadrature).
HSWISH_MEAN = 0.578
HSWISH_MEAN_SQ = 1.771
# E[relu(z)] for z ~ N(0, 2²): 2/√(2π).
RELU_MEAN = 0.798
# E[g²] of the squeeze-and-excite gate g = relu6(z)/6, z ~ N(3, 1) (the +3 is in the bias).
GATE_MEAN_SQ = 0.278
# Linear bottleneck (projection) outputs and logits: std and the ±k·std quantization range.
PROJECT_STD = 1.0
LOGITS_STD = 3.0
RANGE_STDS = 4.0


class IntStream:
    """Deterministic random integers from the raw PCG64 stream of a seed sequence."""

    def __init__(self, seed_words: list[int]) -> None:
        import numpy as np

        self._np = np
        self._bits = np.random.PCG64(np.random.SeedSequence(seed_words))

    def bytes(self, n: int) -> np.ndarray:
        """``n`` uniform uint8 values."""
        np = self._np
        raw = self._bits.random_raw((n + 7) // 8)
        return raw.astype("<u8").view(np.uint8)[:n]

    def bell(self, shape: tuple[int, ...]) -> np.ndarray:
        """Bell-shaped int32 values in [-126, 126] with std ``_BELL_STD`` (~37)."""
        np = self._np
        count = math.prod(shape)
        parts = (self.bytes(4 * count) & 63).reshape(4, count).astype(np.int32)
        return (parts.sum(axis=0) - 126).reshape(shape)

    def factors(self, n: int) -> np.ndarray:
        """Per-channel spread in [0.5, 1.48] (trained nets have unequal channel ranges)."""
        return ((self.bytes(n) & 63).astype(self._np.float64) + 32.0) / 64.0

    def unit(self, n: int) -> np.ndarray:
        """Uniform float64 values in [-1, 1)."""
        np = self._np
        u16 = self.bytes(2 * n).reshape(n, 2).astype(np.float64)
        return (u16[:, 0] * 256.0 + u16[:, 1] - 32768.0) / 32768.0


@dataclass(frozen=True)
class Scheme:
    """How one quantization mode stores activations, weights and biases."""

    mode: QuantMode

    @property
    def act_dtype(self) -> TensorDType:
        """Element type of activation tensors."""
        return self.mode

    def act_quant(self, lo: float, hi: float) -> QuantParams | None:
        """Asymmetric 8-bit parameters covering [lo, hi] (None for float32)."""
        if self.mode == "float32":
            return None
        scale = _f32((hi - lo) / 255.0)
        qmin = -128 if self.mode == "int8" else 0
        zero_point = min(qmin + 255, max(qmin, math.floor(qmin - lo / scale + 0.5)))
        return QuantParams((scale,), (zero_point,))

    def softmax_quant(self) -> QuantParams | None:
        """TFLite requires softmax outputs at scale 1/256 with the lowest zero point."""
        if self.mode == "float32":
            return None
        return QuantParams((1.0 / 256.0,), (-128 if self.mode == "int8" else 0,))

    def weights(
        self,
        stream: IntStream,
        name: str,
        shape: tuple[int, ...],
        axis: int,
        std: float,
        *,
        per_channel: bool = True,
    ) -> tuple[TensorDef, tuple[float, ...]]:
        """Draw a weight tensor whose float values have std ``std`` along output channels ``axis``.

        Returns the tensor and its (per-channel or per-tensor) float32 scales. int8 weights are
        per channel unless ``per_channel`` is False (the converter's fully-connected layout).
        """
        import numpy as np

        q = stream.bell(shape)
        channels = shape[axis]
        factors = stream.factors(channels)
        if self.mode == "uint8":
            # TF1 QAT style: one asymmetric scale per tensor, zero point near the middle.
            scale = _f32(std / _BELL_STD)
            zero_point = 120 + int(stream.bytes(1)[0] & 15)
            data = np.clip(q + zero_point, 0, 255).astype(np.uint8)
            quant = QuantParams((scale,), (zero_point,))
            return TensorDef(name, shape, "uint8", data.tobytes(), quant), (scale,)
        if self.mode == "int8" and not per_channel:
            scale = _f32(std / _BELL_STD)
            data = np.clip(q, -127, 127).astype(np.int8)
            quant = QuantParams((scale,), (0,))
            return TensorDef(name, shape, "int8", data.tobytes(), quant), (scale,)
        scales = tuple(_f32(std * f / _BELL_STD) for f in factors.tolist())
        if self.mode == "int8":
            # TF2 PTQ style: symmetric per-channel, zero points 0, scales along ``axis``.
            data = np.clip(q, -127, 127).astype(np.int8)
            quant = QuantParams(scales, (0,) * channels, axis)
            return TensorDef(name, shape, "int8", data.tobytes(), quant), scales
        bcast = [1] * len(shape)
        bcast[axis] = channels
        values = q.astype(np.float64) * np.asarray(scales, dtype=np.float64).reshape(bcast)
        return TensorDef(name, shape, "float32", values.astype("<f4").tobytes()), scales

    def bias(
        self,
        stream: IntStream,
        name: str,
        channels: int,
        std: float,
        *,
        input_scale: float | None,
        weight_scales: tuple[float, ...],
        offset: float = 0.0,
    ) -> TensorDef:
        """Draw a bias vector (small, mean ``offset``) with scale = input_scale × weight_scale."""
        import numpy as np

        values = stream.unit(channels) * (0.25 * std)
        if offset:
            values = values + offset
        if self.mode == "float32" or input_scale is None:
            return TensorDef(name, (channels,), "float32", values.astype("<f4").tobytes())
        scales = [_f32(input_scale * s) for s in weight_scales]
        per = np.asarray(scales if len(scales) > 1 else scales * channels, dtype=np.float64)
        data = np.round(values / per).astype("<i4")
        dim_scales = tuple(scales)
        quant = QuantParams(dim_scales, (0,) * len(dim_scales))
        return TensorDef(name, (channels,), "int32", data.tobytes(), quant)


def he_std(target_std: float, fan_in: int, input_mean_sq: float) -> float:
    """Weight std that gives pre-activations std ``target_std`` for inputs with E[x²]."""
    return target_std / math.sqrt(fan_in * input_mean_sq)


def _f32(value: float) -> float:
    """Round to the nearest float32, as stored in the flatbuffer."""
    import numpy as np

    return float(np.float32(value))
