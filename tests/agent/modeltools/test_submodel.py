"""Ops cut out of real models: one-op and prefix models load, run and keep shapes and weights."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from edgebench.agent.modeltools.generator.builder import serialize
from edgebench.agent.modeltools.modelfile import inspect_model, load_model
from edgebench.agent.modeltools.submodel import model_features, op_count, op_model, prefix_model
from edgebench.shared.tflite.flatbuf import parse_flatbuffer
from edgebench.shared.tflite.inspect import DTYPE_BYTES

MODELS = (
    "mobilenet_v1_0.25_128_quant.tflite",
    "mobilenet_v2_1.0_224_quant.tflite",
    "tf2_mobilenet_v2_1.0_224_ptq.tflite",
)


def _interpreter(data: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # Reference kernels without a delegate: outputs comparable bit for bit.
    it = Interpreter(
        model_content=data,
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    it.allocate_tensors()
    return it


def _parsed(path: Path):
    data = path.read_bytes()
    return data, parse_flatbuffer(data, path)


@pytest.mark.parametrize("name", MODELS)
def test_every_op_runs_alone_with_its_shapes(models_dir: Path, name: str) -> None:
    path = models_dir / name
    _, parsed = _parsed(path)
    report = inspect_model(path)
    subgraph = parsed.Subgraphs(0)
    for row in report.ops:
        one = op_model(parsed, row.index)
        assert [op.opcode for op in one.ops] == [row.op]
        it = _interpreter(serialize(one))
        for detail in it.get_input_details():
            it.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        it.invoke()
        source = subgraph.Operators(row.index)
        activations = [
            t
            for t in source.InputsAsNumpy().tolist()
            if t >= 0 and parsed.Buffers(subgraph.Tensors(t).Buffer()).DataLength() == 0
        ]
        in_shapes = [list(d["shape"]) for d in it.get_input_details()]
        want = [subgraph.Tensors(t).ShapeAsNumpy().tolist() for t in activations]
        assert in_shapes == want, row
        assert list(it.get_output_details()[0]["shape"]) == row.output_shape


@pytest.mark.parametrize("name", MODELS)
def test_prefix_of_all_ops_computes_what_the_model_computes(models_dir: Path, name: str) -> None:
    # Same output bytes: every weight, bias, quantization parameter and option was copied.
    data, parsed = _parsed(models_dir / name)
    original = _interpreter(data)
    rebuilt = _interpreter(serialize(prefix_model(parsed, op_count(parsed))))
    detail = original.get_input_details()[0]
    x = np.random.default_rng(1).integers(0, 256, detail["shape"]).astype(detail["dtype"])
    outputs = []
    for it in (original, rebuilt):
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        outputs.append(it.get_tensor(it.get_output_details()[0]["index"]))
    assert outputs[0].shape == outputs[1].shape
    assert np.array_equal(outputs[0], outputs[1])


def test_one_op_model_of_a_depthwise_conv_equals_its_place_in_the_model(models_dir: Path) -> None:
    # Op 1 fed with op 0's real output gives what the first two ops of the model give.
    _, parsed = _parsed(models_dir / MODELS[0])
    first, two = (_interpreter(serialize(prefix_model(parsed, k))) for k in (1, 2))
    alone = _interpreter(serialize(op_model(parsed, 1)))
    detail = first.get_input_details()[0]
    x = np.random.default_rng(2).integers(0, 256, detail["shape"]).astype(detail["dtype"])
    for it in (first, two):
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
    mid = first.get_tensor(first.get_output_details()[0]["index"])
    alone.set_tensor(alone.get_input_details()[0]["index"], mid)
    alone.invoke()
    got = alone.get_tensor(alone.get_output_details()[0]["index"])
    assert np.array_equal(got, two.get_tensor(two.get_output_details()[0]["index"]))


@pytest.mark.parametrize("name", MODELS)
def test_features_carry_inspects_macs(models_dir: Path, name: str) -> None:
    path = models_dir / name
    features = model_features(load_model(path))
    report = inspect_model(path)
    assert [f.macs for f in features] == [r.macs for r in report.ops]
    assert [f.op for f in features] == [r.op for r in report.ops]
    assert all(f.bytes > 0 for f in features)


def test_bytes_of_a_conv_count_input_weights_bias_output(models_dir: Path) -> None:
    # Op 0 of MobileNetV1 0.25/128 uint8: 1x128x128x3 in, 8x3x3x3 weights, 8 int32 biases,
    # 1x64x64x8 out.
    report = inspect_model(models_dir / MODELS[0])
    assert report.ops[0].io_bytes == 128 * 128 * 3 + 8 * 27 + 8 * 4 + 64 * 64 * 8


@pytest.mark.parametrize("name", MODELS)
def test_inspected_bytes_are_the_bytes_of_each_cut_op(models_dir: Path, name: str) -> None:
    """The inspector's per-op bytes equal the tensors of the one-op model the profile times."""
    _, parsed = _parsed(models_dir / name)
    for row in inspect_model(models_dir / name).ops:
        one = op_model(parsed, row.index)
        tensors = [one.tensors[t] for t in (*one.ops[0].inputs, *one.ops[0].outputs) if t >= 0]
        held = sum(
            math.prod(max(d, 1) for d in t.shape) * DTYPE_BYTES.get(t.dtype, 4) for t in tensors
        )
        assert row.io_bytes == held, (name, row.index, row.op)
