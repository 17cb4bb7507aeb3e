"""Static analysis of a TFLite model: tensors, op histogram, parameters, MACs and FLOPs.

Reads the parsed flatbuffer with the generated ``tflite`` schema classes; no interpreter
is created, so it works on models LiteRT cannot run (unknown custom ops) and on a board
without LiteRT (and on the collector, which checks uploads with it). How MACs and
parameters are counted is documented in docs/models.md. ``modelbytes.read_model_bytes``
parses the bytes and calls :func:`analyse`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgebench.shared.result import TensorInfo
from edgebench.shared.tflite.flatbuf import operator_name, tensor_type_name
from edgebench.shared.tflite.macs import Shape, op_cost

# Bytes per element of the tensor types edgebench's models use (others count as 4).
DTYPE_BYTES = {"float32": 4, "int32": 4, "int64": 8, "uint8": 1, "int8": 1, "int16": 2}


@dataclass(frozen=True)
class OpRow:
    """One operator: where it is, what it is, its output shape and its cost."""

    subgraph: int
    index: int
    op: str
    custom: bool
    kind: str
    output_shape: list[int]
    macs: int
    flops: int
    params: int
    # Bytes the op reads and writes: every input (weights too) and output, at their types.
    io_bytes: int


@dataclass(frozen=True)
class ModelReport:
    """Everything ``edgebench model inspect`` reports about one model file."""

    path: str
    size_bytes: int
    sha256: str
    schema_version: int
    description: str
    subgraphs: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    ops: list[OpRow]
    op_histogram: dict[str, int]
    op_count: int
    # Elements of the constant weight and bias tensors of the MAC ops (each counted once).
    params: int
    weight_params: int
    bias_params: int
    # MACs of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / ...: what published tables count.
    conv_fc_macs: int
    # MAC-equivalents of the element-wise ops (ADD, pooling, MEAN, SOFTMAX, ...).
    elementwise_macs: int
    macs: int
    flops: int
    custom_ops: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict form."""
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        # TensorInfo is the result schema's type: read its fields, whatever class it is.
        for key in ("inputs", "outputs"):
            document[key] = [_tensor_dict(t) for t in document[key]]
        document["ops"] = [dataclasses.asdict(row) for row in self.ops]
        return document


def _tensor_dict(tensor: TensorInfo) -> dict[str, Any]:
    """Return a TensorInfo as a plain dict."""
    return {
        "name": tensor.name,
        "shape": list(tensor.shape),
        "dtype": tensor.dtype,
        "scale": tensor.scale,
        "zero_point": tensor.zero_point,
    }


def analyse(model: Any, *, path: Path | str, size_bytes: int, sha256: str) -> ModelReport:
    """Count the tensors, ops, parameters and MACs of a parsed, walked flatbuffer.

    ``model`` is what ``flatbuf.parse_flatbuffer`` returned for the file at ``path`` (or
    an upload's name); ``size_bytes`` and ``sha256`` describe the bytes it was parsed from.
    """
    rows: list[OpRow] = []
    counted: set[tuple[int, int]] = set()
    weight_params = bias_params = 0
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(o)
            name = operator_name(model, op.OpcodeIndex())
            inputs = _indices(op.InputsAsNumpy())
            outputs = _indices(op.OutputsAsNumpy())
            shapes = [_shape(subgraph, t) if t >= 0 else None for t in inputs]
            out_shape = _shape(subgraph, outputs[0]) if outputs else None
            cost = op_cost(name, inputs, shapes, out_shape, op)
            op_params = 0
            for slot, tensor in (("w", cost.weights), ("b", cost.bias)):
                # A weights tensor shared by two ops is one set of parameters.
                if tensor is None or (s, tensor) in counted:
                    continue
                if not _is_constant(model, subgraph, tensor):
                    continue
                counted.add((s, tensor))
                n = _elements(_shape(subgraph, tensor))
                op_params += n
                if slot == "w":
                    weight_params += n
                else:
                    bias_params += n
            rows.append(
                OpRow(
                    subgraph=s,
                    index=o,
                    op=name,
                    custom=_is_custom(model, op.OpcodeIndex()),
                    kind=cost.kind,
                    output_shape=out_shape or [],
                    macs=cost.macs,
                    flops=2 * cost.macs,
                    params=op_params,
                    io_bytes=_io_bytes(subgraph, inputs + outputs),
                )
            )
    main = model.Subgraphs(0)
    conv_fc = sum(r.macs for r in rows if r.kind == "mac")
    elementwise = sum(r.macs for r in rows if r.kind == "elementwise")
    description = model.Description()
    return ModelReport(
        path=str(path),
        size_bytes=size_bytes,
        sha256=sha256,
        schema_version=model.Version(),
        description=description.decode("utf-8", "replace") if description else "",
        subgraphs=model.SubgraphsLength(),
        inputs=[_tensor_info(main, t) for t in _indices(main.InputsAsNumpy())],
        outputs=[_tensor_info(main, t) for t in _indices(main.OutputsAsNumpy())],
        ops=rows,
        op_histogram=dict(Counter(r.op for r in rows).most_common()),
        op_count=len(rows),
        params=weight_params + bias_params,
        weight_params=weight_params,
        bias_params=bias_params,
        conv_fc_macs=conv_fc,
        elementwise_macs=elementwise,
        macs=conv_fc + elementwise,
        flops=2 * (conv_fc + elementwise),
        custom_ops=sorted({r.op for r in rows if r.custom}),
    )


def _indices(array: Any) -> list[int]:
    """Tensor indices as ints (the generated code returns 0 for an absent vector)."""
    return [] if isinstance(array, int) else [int(i) for i in array.tolist()]


def _shape(subgraph: Any, tensor: int) -> Shape:
    """Return the static shape of a tensor (a scalar is ``[]``)."""
    t = subgraph.Tensors(tensor)
    return [int(d) for d in t.ShapeAsNumpy().tolist()] if t.ShapeLength() else []


def _elements(shape: Shape) -> int:
    """Count the elements of a static shape."""
    n = 1
    for d in shape:
        n *= max(d, 0)
    return n


def _io_bytes(subgraph: Any, tensors: list[int]) -> int:
    """Bytes of ``tensors`` (an absent optional input, index -1, is none)."""
    total = 0
    for t in tensors:
        if t >= 0:
            kind = tensor_type_name(subgraph.Tensors(t).Type())
            total += math.prod(max(d, 1) for d in _shape(subgraph, t)) * DTYPE_BYTES.get(kind, 4)
    return total


def _is_constant(model: Any, subgraph: Any, tensor: int) -> bool:
    """Whether a tensor holds data in the file (weights), not a runtime activation."""
    index = subgraph.Tensors(tensor).Buffer()
    if index <= 0 or index >= model.BuffersLength():
        return False
    buffer = model.Buffers(index)
    if buffer.DataLength() > 0:
        return True
    # Models over 2 GB keep weights after the flatbuffer, addressed by offset and size.
    return buffer.Offset() > 1 and buffer.Size() > 0


def _is_custom(model: Any, opcode_index: int) -> bool:
    """Whether an operator code is a custom op (builtin code 32)."""
    code = model.OperatorCodes(opcode_index)
    return max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == 32


def _tensor_info(subgraph: Any, tensor: int) -> TensorInfo:
    """Name, shape, dtype and per-tensor quantization of an input or output."""
    t = subgraph.Tensors(tensor)
    name = t.Name()
    scale: float | None = None
    zero_point: int | None = None
    quant = t.Quantization()
    # Per-channel quantization has no single scale; inputs and outputs are per-tensor.
    if quant is not None and quant.ScaleLength() == 1:
        scale = float(quant.Scale(0))
        zero_point = int(quant.ZeroPoint(0)) if quant.ZeroPointLength() else 0
    return TensorInfo(
        name=name.decode("utf-8", "replace") if name else f"tensor_{tensor}",
        shape=_shape(subgraph, tensor),
        dtype=tensor_type_name(t.Type()),
        scale=scale,
        zero_point=zero_point,
    )
