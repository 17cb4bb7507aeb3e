"""Generated models have the exact structure of the pretrained models they stand in for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edgebench.agent.modeltools.modelfile import inspect_model
from tests.agent.generator.conftest import REFERENCES, generated_path

# Option fields whose values are implementation details of the converter, not structure.
_IGNORED_OPTIONS = {"QuantizedBiasType", "PotScaleInt16"}


def _structure(path: Path) -> list[dict[str, Any]]:
    """Per operator: name, builtin options, and dtype/shape/quantization layout of tensors."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator
    from tflite.BuiltinOptions import BuiltinOptions

    op_names = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
    option_names = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
    model = tflite.Model.GetRootAs(path.read_bytes(), 0)
    graph = model.Subgraphs(0)

    def tensor(index: int) -> tuple[Any, ...]:
        t = graph.Tensors(index)
        q = t.Quantization()
        scales = q.ScaleLength() if q is not None else 0
        qdim = q.QuantizedDimension() if scales > 1 else None
        const = model.Buffers(t.Buffer()).DataLength() > 0
        return (t.Type(), tuple(t.ShapeAsNumpy().tolist()), scales, qdim, const)

    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = op_names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        options: dict[str, Any] = {}
        table = op.BuiltinOptions()
        if table is not None:
            cls = getattr(tflite, option_names[op.BuiltinOptionsType()])
            obj = cls()
            obj.Init(table.Bytes, table.Pos)
            for field in dir(cls):
                if field[0].isupper() and field not in _IGNORED_OPTIONS and field != "Init":
                    attr = getattr(obj, field)
                    if (
                        callable(attr)
                        and not field.startswith("GetRootAs")
                        and "Buffer" not in field
                    ):
                        options[field] = attr()
        ops.append(
            {
                "op": name,
                "version": code.Version(),
                "options": options,
                "inputs": [tensor(j) for j in op.InputsAsNumpy().tolist()],
                "outputs": [tensor(j) for j in op.OutputsAsNumpy().tolist()],
            }
        )
    return ops


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_same_ops_options_tensors_as_pretrained(
    reference: str, models_dir: Path, generated_dir: Path
) -> None:
    generated = _structure(generated_path(generated_dir, *REFERENCES[reference]))
    real = _structure(models_dir / reference)
    assert [o["op"] for o in generated] == [o["op"] for o in real]
    for index, (mine, theirs) in enumerate(zip(generated, real, strict=True)):
        assert mine == theirs, f"op {index} ({theirs['op']}) differs"


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_same_macs_params_and_io_as_pretrained(
    reference: str, models_dir: Path, generated_dir: Path
) -> None:
    mine = inspect_model(generated_path(generated_dir, *REFERENCES[reference]))
    real = inspect_model(models_dir / reference)
    assert mine.macs == real.macs
    assert mine.conv_fc_macs == real.conv_fc_macs
    assert mine.params == real.params
    assert mine.op_count == real.op_count
    assert mine.op_histogram == real.op_histogram
    assert [(t.shape, t.dtype) for t in mine.inputs] == [(t.shape, t.dtype) for t in real.inputs]
    assert [(t.shape, t.dtype, t.scale, t.zero_point) for t in mine.outputs] == [
        (t.shape, t.dtype, t.scale, t.zero_point) for t in real.outputs
    ]
    assert [(r.op, r.output_shape, r.macs, r.params) for r in mine.ops] == [
        (r.op, r.output_shape, r.macs, r.params) for r in real.ops
    ]
