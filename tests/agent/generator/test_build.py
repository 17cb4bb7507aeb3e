"""Determinism, caching and published MACs/parameters of the generator."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edgebench.agent.modeltools.generator.build import (
    ARCHS,
    GENERATOR_VERSION,
    build_model_bytes,
    model_config,
)
from edgebench.agent.modeltools.generator.cache import cached_build
from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.errors import EdgebenchError
from tests.agent.generator.test_structure import _structure
from tests.conftest import ROOT


def test_same_config_gives_identical_bytes_and_seed_changes_only_weights(tmp_path: Path) -> None:
    config = model_config("mobilenet_v2", 0.5, 128, "int8", seed=0)
    first = build_model_bytes(config)
    assert build_model_bytes(config) == first
    other = build_model_bytes(model_config("mobilenet_v2", 0.5, 128, "int8", seed=1))
    assert other != first
    (tmp_path / "a.tflite").write_bytes(first)
    (tmp_path / "b.tflite").write_bytes(other)
    assert _structure(tmp_path / "a.tflite") == _structure(tmp_path / "b.tflite")


def test_bytes_do_not_depend_on_the_process(tmp_path: Path) -> None:
    # Hash randomization and import order must not leak into the file.
    script = (
        "import hashlib, sys\n"
        "from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config\n"
        "c = model_config('mobilenet_v1', 0.25, 128, 'uint8', seed=7)\n"
        "print(hashlib.sha256(build_model_bytes(c)).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
        )
        digests.add(out.stdout.strip())
    local = build_model_bytes(model_config("mobilenet_v1", 0.25, 128, "uint8", seed=7))
    assert digests == {hashlib.sha256(local).hexdigest()}


def test_cached_build_writes_once_under_a_descriptive_name(tmp_path: Path) -> None:
    path = cached_build(tmp_path, "mobilenet_v2", 0.35, 96, "int8", seed=3)
    assert path.parent == tmp_path / "generated"
    assert path.name == f"mobilenet_v2_0.35_96_int8_seed3_gen{GENERATOR_VERSION}.tflite"
    config = model_config("mobilenet_v2", 0.35, 96, "int8", seed=3)
    assert path.read_bytes() == build_model_bytes(config)
    stat = path.stat()
    assert cached_build(tmp_path, "mobilenet_v2", 0.35, 96, "int8", seed=3) == path
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_ino == stat.st_ino
    other = cached_build(tmp_path, "mobilenet_v2", 0.35, 96, "int8", seed=4)
    assert other != path
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, other.name])


def test_cached_build_rejects_unsupported_config(tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"supported: 96, 128, 160, 192, 224"):
        cached_build(tmp_path, "mobilenet_v2", 1.0, 100, "int8")
    with pytest.raises(EdgebenchError, match=r"supported: 0.25, 0.5, 0.75, 1.0"):
        cached_build(tmp_path, "mobilenet_v1", 0.35, 128, "int8")
    assert not (tmp_path / "generated").exists()


def _published(shared_dir: Path) -> dict[tuple[str, float, int], tuple[float, float]]:
    """(arch, alpha, resolution) -> (million MACs, million params) from hardware.md §5."""
    text = (shared_dir / "reference" / "hardware.md").read_text()
    rows = re.findall(
        r"\| (mobilenet_v2|MobileNet_v1)_([\d.]+)_(\d+) \| (\d+) \| ([\d.]+) \|", text
    )
    return {
        (arch.lower(), float(alpha), int(res)): (float(macs), float(params))
        for arch, alpha, res, macs, params in rows
    }


def test_every_supported_config_matches_published_cost(shared_dir: Path, tmp_path: Path) -> None:
    published = _published(shared_dir)
    assert len(published) == 38
    path = tmp_path / "m.tflite"
    checked = 0
    for arch in ("mobilenet_v2", "mobilenet_v1"):
        spec = ARCHS[arch]
        for alpha in spec.alphas:
            params_seen = set()
            macs_by_res = []
            for resolution in spec.resolutions:
                path.write_bytes(build_model_bytes(model_config(arch, alpha, resolution, "int8")))
                report = inspect_model(path)
                params_seen.add(report.params)
                macs_by_res.append(report.conv_fc_macs)
                ref = published.get((arch, alpha, resolution))
                if ref is None:
                    continue
                checked += 1
                # Published parameters include biases and are rounded to 0.01 M.
                assert report.params / 1e6 == pytest.approx(ref[1], rel=0.015, abs=0.006)
                if resolution == 224:
                    # The slim table rounds small-resolution MACs loosely; 224 is exact to ~3 %
                    # (V1 0.75: 325 M in the paper, 317 M in the slim table).
                    assert report.conv_fc_macs / 1e6 == pytest.approx(ref[0], rel=0.03)
            assert len(params_seen) == 1, "parameters must not depend on resolution"
            assert macs_by_res == sorted(macs_by_res)
    assert checked == 38


# One architecture per family and per kind of op (SE and hard-swish; the dense head).
_NUMPY_1_ARCHS = (
    ("mobilenet_v2", 0.35),
    ("mobilenet_v3_small", 1.0),
    ("mobilenet_v3_large_minimalistic", 0.5),
    ("efficientnet_lite0", 1.0),
)


def test_bytes_identical_with_numpy_1_in_the_tflite_runtime_venv() -> None:
    # Boards often run an older numpy (tflite-runtime needs numpy<2): same file there.
    python = ROOT / ".venv-tflite" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} missing; see tests/agent/generator/test_runtime.py")
    script = (
        "import hashlib, numpy\n"
        "from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config\n"
        "print(numpy.__version__)\n"
        f"for arch, alpha in {_NUMPY_1_ARCHS!r}:\n"
        "    for q in ('int8', 'uint8', 'float32'):\n"
        "        c = model_config(arch, alpha, 96, q, seed=2)\n"
        "        print(hashlib.sha256(build_model_bytes(c)).hexdigest())\n"
    )
    out = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0].startswith("1.")
    local = [
        hashlib.sha256(build_model_bytes(model_config(arch, alpha, 96, q, seed=2))).hexdigest()
        for arch, alpha in _NUMPY_1_ARCHS
        for q in ("int8", "uint8", "float32")
    ]
    assert out[1:] == local
