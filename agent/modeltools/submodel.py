"""Cut ops out of a TFLite model into a smaller model with the same tensors and weights.

``model profile`` times each op on its own: :func:`op_model` copies one operator of a
parsed flatbuffer, with its real constant buffers, tensor shapes, types, quantization
(per-tensor or per-axis) and builtin options, into a ``ModelDef`` that the generator's
writer (``generator.builder.serialize``) turns into bytes. :func:`prefix_model` does the
same for the first k ops (the ``--cross-check`` method). Activations that a kept op reads
but no kept op writes become model inputs; values written and not read inside the cut
become outputs, so no kept op is dead code the runtime could skip.
"""

from __future__ import annotations

import re
from typing import Any

from edgebench.agent.modeltools.generator.ir import ModelDef, OpDef, QuantParams, TensorDef
from edgebench.agent.modeltools.modelfile import LoadedModel
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.latency_model import OpFeatures
from edgebench.shared.tflite.flatbuf import operator_name, tensor_type_name


def op_model(model: Any, index: int) -> ModelDef:
    """Return a one-op model of op ``index`` of subgraph 0 of a parsed flatbuffer."""
    return _cut(model, [index], f"edgebench profile: op {index}")


def prefix_model(model: Any, count: int) -> ModelDef:
    """Return the model made of the first ``count`` ops of subgraph 0."""
    return _cut(model, list(range(count)), f"edgebench profile: ops 0..{count - 1}")


def op_count(model: Any) -> int:
    """Return the number of ops in subgraph 0."""
    return int(model.Subgraphs(0).OperatorsLength())


def model_features(model: LoadedModel) -> list[OpFeatures]:
    """Type, MACs (as ``model inspect`` counts them) and bytes of every op of subgraph 0."""
    return [
        OpFeatures(row.op, row.macs, row.io_bytes)
        for row in model.checked_report().ops
        if row.subgraph == 0
    ]


def _cut(model: Any, indices: list[int], description: str) -> ModelDef:
    """Copy the ops ``indices`` (in order) and every tensor they touch into a ModelDef."""
    subgraph = model.Subgraphs(0)
    out = ModelDef(description=description)
    mapping: dict[int, int] = {}
    written: set[int] = set()
    read: set[int] = set()
    ops: list[OpDef] = []

    def tensor(t: int) -> int:
        if t not in mapping:
            mapping[t] = out.add_tensor(_tensor_def(model, subgraph, t))
        return mapping[t]

    for i in indices:
        op = subgraph.Operators(i)
        name = operator_name(model, op.OpcodeIndex())
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == 32:
            raise EdgebenchError(f"op {i} is the custom op {name}, which cannot be cut out")
        inputs = _ints(op.InputsAsNumpy())
        outputs = _ints(op.OutputsAsNumpy())
        for t in inputs:
            # An input not written by a kept op and not a constant becomes a model input.
            fed = t >= 0 and t not in written and not _is_constant(model, subgraph, t)
            if fed and tensor(t) not in out.inputs:
                out.inputs.append(tensor(t))
            if t >= 0:
                read.add(t)
        new_inputs = tuple(tensor(t) if t >= 0 else -1 for t in inputs)
        new_outputs = tuple(tensor(t) for t in outputs)
        written.update(outputs)
        options_type, options = _options(op)
        ops.append(OpDef(name, new_inputs, new_outputs, code.Version(), options_type, options))
    out.ops = ops
    graph_outputs = set(_ints(subgraph.OutputsAsNumpy()))
    last = set(_ints(subgraph.Operators(indices[-1]).OutputsAsNumpy()))
    for t in sorted(written, key=mapping.__getitem__):
        # Outputs: what no kept op reads (the frontier), graph outputs, the last op's outputs.
        if t not in read or t in graph_outputs or t in last:
            out.outputs.append(mapping[t])
    return out


def _ints(array: Any) -> list[int]:
    """Tensor indices as ints (the generated code returns 0 for an absent vector)."""
    return [] if isinstance(array, int) else [int(i) for i in array.tolist()]


def _is_constant(model: Any, subgraph: Any, t: int) -> bool:
    """Whether tensor ``t`` holds data in the file."""
    b = subgraph.Tensors(t).Buffer()
    return 0 < b < model.BuffersLength() and model.Buffers(b).DataLength() > 0


def _tensor_def(model: Any, subgraph: Any, t: int) -> TensorDef:
    """Copy a tensor: name, shape, element type, constant data and quantization."""
    tensor = subgraph.Tensors(t)
    shape = tuple(int(d) for d in tensor.ShapeAsNumpy().tolist()) if tensor.ShapeLength() else ()
    data = None
    if _is_constant(model, subgraph, t):
        data = model.Buffers(tensor.Buffer()).DataAsNumpy().tobytes()
    quant = None
    q = tensor.Quantization()
    if q is not None and q.ScaleLength():
        scales = tuple(float(s) for s in q.ScaleAsNumpy().tolist())
        zeros = tuple(int(z) for z in q.ZeroPointAsNumpy().tolist()) if q.ZeroPointLength() else ()
        quant = QuantParams(scales, zeros or (0,) * len(scales), int(q.QuantizedDimension()))
    name = tensor.Name()
    return TensorDef(
        name.decode("utf-8", "replace") if name else f"tensor_{t}",
        shape,
        tensor_type_name(tensor.Type()),  # type: ignore[arg-type]
        data,
        quant,
    )


def _options(op: Any) -> tuple[str | None, dict[str, Any]]:
    """Read an op's builtin options into the writer's (union name, snake_case fields) form.

    Every field the schema's builder functions take (``<Union>Add<Field>``) is read with
    the matching reader method; vectors of ints (``SqueezeOptions.squeeze_dims``) as tuples.
    """
    import tflite
    from tflite.BuiltinOptions import BuiltinOptions

    code = op.BuiltinOptionsType()
    if code == 0:
        return None, {}
    names = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
    union = names.get(code)
    table = op.BuiltinOptions()
    if union is None or table is None:
        return None, {}
    reader = getattr(tflite, union)()
    reader.Init(table.Bytes, table.Pos)
    prefix = f"{union}Add"
    fields: dict[str, Any] = {}
    for attr in dir(tflite):
        if not attr.startswith(prefix):
            continue
        camel = attr[len(prefix) :]
        if hasattr(reader, f"{camel}Length"):
            n = getattr(reader, f"{camel}Length")()
            values = getattr(reader, f"{camel}AsNumpy")() if n else []
            fields[_snake(camel)] = tuple(int(v) for v in values)
        elif hasattr(reader, camel):
            fields[_snake(camel)] = getattr(reader, camel)()
    return union, fields


def _snake(camel: str) -> str:
    """``DilationWFactor`` -> ``dilation_w_factor`` (the writer capitalizes it back)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()
