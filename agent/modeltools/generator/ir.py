"""A small in-memory description of a single-subgraph TFLite model, written by ``builder``.

The generator builds these plain records layer by layer; only ``builder`` knows the
flatbuffer layout. Field names follow the TFLite schema (``schema.fbs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TensorDType = Literal["float32", "int32", "uint8", "int8"]


@dataclass(frozen=True)
class QuantParams:
    """Affine quantization of one tensor: per-tensor (one entry) or per-axis."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0


@dataclass(frozen=True)
class TensorDef:
    """One tensor: activations have ``data=None``; constants carry their raw bytes."""

    name: str
    shape: tuple[int, ...]
    dtype: TensorDType
    data: bytes | None = None
    quant: QuantParams | None = None


@dataclass(frozen=True)
class OpDef:
    """One operator: builtin name (``CONV_2D``), tensor indices and its builtin options."""

    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    version: int = 1
    # Schema union name (e.g. "Conv2DOptions") and its fields in snake_case (int vectors as
    # tuples).
    options_type: str | None = None
    options: dict[str, int | float | bool | tuple[int, ...]] = field(default_factory=dict)


@dataclass
class ModelDef:
    """A whole model: tensors, operators in execution order, graph inputs and outputs."""

    tensors: list[TensorDef] = field(default_factory=list)
    ops: list[OpDef] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    description: str = ""
    min_runtime_version: str = "1.5.0"

    def add_tensor(self, tensor: TensorDef) -> int:
        """Append a tensor and return its index."""
        self.tensors.append(tensor)
        return len(self.tensors) - 1
