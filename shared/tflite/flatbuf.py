"""Read and parse a TFLite flatbuffer safely: checks that turn bad files into one-line errors.

:func:`check_model_file` is the one check of a model file (it exists, is a readable
regular file, carries the TFL3 identifier), :func:`check_identifier` the same check of
bytes that did not come from a file (an upload to the collector), and
:func:`parse_flatbuffer` follows every offset once, so a missing, unreadable, non-TFLite
or truncated model is reported the same way everywhere. The agent's
``modeltools.modelfile.load_model`` and the collector's model store reach them through
``modelbytes``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError

# The file identifier of the TFLite schema, at bytes 4..8 of every flatbuffer.
TFLITE_IDENTIFIER = b"TFL3"

_ADVICE = (
    "pass a .tflite file, a catalog name (edgebench model list), "
    "or build one with edgebench model build"
)


def check_model_file(path: Path) -> bytes:
    """Read ``path`` and check that it looks like a TFLite flatbuffer; return its bytes."""
    if not path.exists():
        raise EdgebenchError(f"model file {path} does not exist; {_ADVICE}")
    if not path.is_file():
        raise EdgebenchError(f"{path} is not a regular file; {_ADVICE}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EdgebenchError(
            f"cannot read model file {path} ({exc.strerror or exc}); check its permissions"
        ) from None
    check_identifier(data, str(path), _ADVICE)
    return data


def check_identifier(data: bytes, what: str, advice: str) -> None:
    """Raise a one-line ``EdgebenchError`` unless ``data`` carries the TFLite identifier."""
    if len(data) < 8 or data[4:8] != TFLITE_IDENTIFIER:
        raise EdgebenchError(f"{what} is not a TFLite model (no TFL3 identifier); {advice}")


def parse_flatbuffer(data: bytes, path: Path | str) -> Any:
    """Parse and fully walk the bytes read from ``path``; raise a one-line ``EdgebenchError``.

    Returns the root ``tflite.Model.Model`` (typed loosely: tflite is imported lazily, so
    importing this module costs nothing on a role that never inspects a model).
    """
    import tflite

    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        _walk(model)
    except EdgebenchError:
        raise
    except Exception as exc:  # flatbuffers raises IndexError, struct.error, ValueError...
        raise EdgebenchError(
            f"{path} is a truncated or corrupt TFLite flatbuffer ({type(exc).__name__}); "
            "download or build it again"
        ) from None
    return model


def _walk(model: Any) -> None:
    """Touch every table inspection reads, so corruption shows up here and not later.

    The Python flatbuffers runtime does no verification: an offset past the end of a
    truncated file raises only when it is followed, so follow them all up front.
    """
    if model.SubgraphsLength() < 1:
        raise ValueError("no subgraphs")
    n_buffers = model.BuffersLength()
    for b in range(n_buffers):
        buffer = model.Buffers(b)
        if buffer.DataLength():
            # A view into the file; numpy raises if the vector runs past the end.
            buffer.DataAsNumpy()
    n_codes = model.OperatorCodesLength()
    for c in range(n_codes):
        code = model.OperatorCodes(c)
        code.BuiltinCode()
        code.DeprecatedBuiltinCode()
        code.CustomCode()
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        n_tensors = subgraph.TensorsLength()
        for t in range(n_tensors):
            tensor = subgraph.Tensors(t)
            tensor.ShapeAsNumpy() if tensor.ShapeLength() else None
            tensor.Name()
            tensor.Type()
            if not 0 <= tensor.Buffer() < max(n_buffers, 1):
                raise ValueError(f"tensor {t} refers to buffer {tensor.Buffer()}")
            quant = tensor.Quantization()
            if quant is not None and quant.ScaleLength():
                quant.ScaleAsNumpy()
                quant.ZeroPointAsNumpy() if quant.ZeroPointLength() else None
        for io in (subgraph.InputsAsNumpy, subgraph.OutputsAsNumpy):
            _check_indices(io(), n_tensors)
        for o in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(o)
            if not 0 <= op.OpcodeIndex() < n_codes:
                raise ValueError(f"operator {o} refers to opcode {op.OpcodeIndex()}")
            _check_indices(op.InputsAsNumpy(), n_tensors, optional=True)
            _check_indices(op.OutputsAsNumpy(), n_tensors)


def _check_indices(indices: Any, n_tensors: int, *, optional: bool = False) -> None:
    """Check tensor indices are in range (-1 marks an omitted optional input)."""
    # The generated code returns 0 (not an array) for an absent vector.
    if isinstance(indices, int):
        return
    low = -1 if optional else 0
    for index in indices.tolist():
        if not low <= index < n_tensors:
            raise ValueError(f"tensor index {index} out of range")


@functools.cache  # the inspector asks once per tensor of every op
def tensor_type_name(type_code: int) -> str:
    """Return the lower-case TFLite type name of a ``TensorType`` code (``uint8``, ...)."""
    from tflite.TensorType import TensorType

    for name, value in vars(TensorType).items():
        if not name.startswith("_") and value == type_code:
            return name.lower()
    return f"type_{type_code}"


def operator_name(model: Any, opcode_index: int) -> str:
    """Return the builtin op name (``CONV_2D``) or, for a custom op, its custom code."""
    from tflite.utils import BUILTIN_OPCODE2NAME

    code = model.OperatorCodes(opcode_index)
    # Schema 3a: builtin_code replaced deprecated_builtin_code (an int8 capped at 127);
    # old files set only the deprecated field, new ones both, so take the larger.
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    name = BUILTIN_OPCODE2NAME.get(builtin, f"BUILTIN_{builtin}")
    if name == "CUSTOM":
        custom = code.CustomCode()
        return custom.decode("utf-8", "replace") if custom else "CUSTOM"
    return name
