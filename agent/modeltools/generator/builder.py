"""Serialize a ``ModelDef`` into TFLite flatbuffer bytes (schema v3, file identifier TFL3).

Uses the ``flatbuffers`` runtime and the generated schema functions shipped in the
``tflite`` PyPI package (``ModelStart``, ``TensorAddShape``, ...), so no TensorFlow is
needed. Output is a pure function of the ``ModelDef``: same input, same bytes.
"""

from __future__ import annotations

from typing import Any

from edgebench.agent.modeltools.generator.ir import ModelDef, OpDef, TensorDef

# Schema version 3 is what every TFLite runtime since 1.x reads.
_SCHEMA_VERSION = 3
# Constant buffers are aligned so int32 biases and wide loads are aligned for the kernels.
_DATA_ALIGNMENT = 16


def serialize(model: ModelDef) -> bytes:
    """Return the flatbuffer bytes of ``model``."""
    import flatbuffers
    import tflite

    data_bytes = sum(len(t.data) for t in model.tensors if t.data is not None)
    b = flatbuffers.Builder(data_bytes + (1 << 20))

    # Buffer 0 is the empty sentinel that every activation tensor points to.
    buffer_payloads: list[bytes | None] = [None]
    tensor_buffer: list[int] = []
    for tensor in model.tensors:
        if tensor.data is None:
            tensor_buffer.append(0)
        else:
            tensor_buffer.append(len(buffer_payloads))
            buffer_payloads.append(tensor.data)
    runtime_buffer = len(buffer_payloads)
    buffer_payloads.append(model.min_runtime_version.encode().ljust(16, b"\0"))

    buffers = [_buffer(b, tflite, payload) for payload in buffer_payloads]
    tensors = [_tensor(b, tflite, t, tensor_buffer[i]) for i, t in enumerate(model.tensors)]

    opcode_names = sorted(set(op.opcode for op in model.ops), key=_first_use(model.ops))
    opcode_versions = {
        name: max(o.version for o in model.ops if o.opcode == name) for name in opcode_names
    }
    opcodes = [_opcode(b, tflite, name, opcode_versions[name]) for name in opcode_names]
    operators = [_operator(b, tflite, op, opcode_names.index(op.opcode)) for op in model.ops]

    tensors_vec = _offset_vector(b, tensors)
    operators_vec = _offset_vector(b, operators)
    inputs_vec = _int32_vector(b, model.inputs)
    outputs_vec = _int32_vector(b, model.outputs)
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, inputs_vec)
    tflite.SubGraphAddOutputs(b, outputs_vec)
    tflite.SubGraphAddOperators(b, operators_vec)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    md_name = b.CreateString("min_runtime_version")
    tflite.MetadataStart(b)
    tflite.MetadataAddName(b, md_name)
    tflite.MetadataAddBuffer(b, runtime_buffer)
    metadata = tflite.MetadataEnd(b)

    opcodes_vec = _offset_vector(b, opcodes)
    subgraphs_vec = _offset_vector(b, [subgraph])
    buffers_vec = _offset_vector(b, buffers)
    metadata_vec = _offset_vector(b, [metadata])
    description = b.CreateString(model.description)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, _SCHEMA_VERSION)
    tflite.ModelAddOperatorCodes(b, opcodes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffers_vec)
    tflite.ModelAddMetadata(b, metadata_vec)
    root = tflite.ModelEnd(b)
    b.Finish(root, file_identifier=b"TFL3")
    return bytes(b.Output())


def _first_use(ops: list[OpDef]) -> Any:
    """Sort key: opcodes are numbered in order of first use, as the TFLite converter does."""
    order = {}
    for op in ops:
        order.setdefault(op.opcode, len(order))
    return order.__getitem__


def _offset_vector(b: Any, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _int32_vector(b: Any, values: list[int] | tuple[int, ...]) -> int:
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def _buffer(b: Any, tflite: Any, payload: bytes | None) -> int:
    data = None
    if payload:
        b.StartVector(1, len(payload), _DATA_ALIGNMENT)
        b.head -= len(payload)
        b.Bytes[b.head : b.head + len(payload)] = payload
        data = b.EndVector()
    tflite.BufferStart(b)
    if data is not None:
        tflite.BufferAddData(b, data)
    return tflite.BufferEnd(b)


def _tensor(b: Any, tflite: Any, t: TensorDef, buffer_index: int) -> int:
    quant = None
    if t.quant is not None:
        b.StartVector(4, len(t.quant.scale), 4)
        for s in reversed(t.quant.scale):
            b.PrependFloat32(s)
        scale_vec = b.EndVector()
        b.StartVector(8, len(t.quant.zero_point), 8)
        for z in reversed(t.quant.zero_point):
            b.PrependInt64(int(z))
        zp_vec = b.EndVector()
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, scale_vec)
        tflite.QuantizationParametersAddZeroPoint(b, zp_vec)
        tflite.QuantizationParametersAddQuantizedDimension(b, t.quant.quantized_dimension)
        quant = tflite.QuantizationParametersEnd(b)
    shape = _int32_vector(b, t.shape)
    name = b.CreateString(t.name)
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, getattr(tflite.TensorType, t.dtype.upper()))
    tflite.TensorAddBuffer(b, buffer_index)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    return tflite.TensorEnd(b)


def _opcode(b: Any, tflite: Any, name: str, version: int) -> int:
    code = getattr(tflite.BuiltinOperator, name)
    tflite.OperatorCodeStart(b)
    # Codes below 127 also go in the deprecated int8 field, which older runtimes read.
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
    tflite.OperatorCodeAddVersion(b, version)
    tflite.OperatorCodeAddBuiltinCode(b, code)
    return tflite.OperatorCodeEnd(b)


def _operator(b: Any, tflite: Any, op: OpDef, opcode_index: int) -> int:
    options = None
    if op.options_type is not None:
        otype = op.options_type
        # Vector fields (tuples, e.g. squeeze_dims) are written before the table starts.
        values = {
            key: _int32_vector(b, value) if isinstance(value, tuple) else value
            for key, value in op.options.items()
        }
        getattr(tflite, f"{otype}Start")(b)
        for key, value in values.items():
            camel = "".join(part.capitalize() for part in key.split("_"))
            getattr(tflite, f"{otype}Add{camel}")(b, value)
        options = getattr(tflite, f"{otype}End")(b)
    inputs = _int32_vector(b, op.inputs)
    outputs = _int32_vector(b, op.outputs)
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, opcode_index)
    tflite.OperatorAddInputs(b, inputs)
    tflite.OperatorAddOutputs(b, outputs)
    if options is not None:
        tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options_type))
        tflite.OperatorAddBuiltinOptions(b, options)
    return tflite.OperatorEnd(b)
