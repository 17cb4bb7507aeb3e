"""Generated models shared by the generator tests, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config

# (reference file in ../shared/models, generated configuration that must match it)
REFERENCES = {
    "mobilenet_v2_1.0_224_quant.tflite": ("mobilenet_v2", 1.0, 224, "uint8"),
    "tf2_mobilenet_v2_1.0_224_ptq.tflite": ("mobilenet_v2", 1.0, 224, "int8"),
    "mobilenet_v1_0.25_128_quant.tflite": ("mobilenet_v1", 0.25, 128, "uint8"),
    "mobilenet_v1_0.5_160_quant.tflite": ("mobilenet_v1", 0.5, 160, "uint8"),
}


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated models: the four reference twins plus small configurations."""
    folder = tmp_path_factory.mktemp("generated")
    configs = set(REFERENCES.values())
    for arch, alpha in (("mobilenet_v2", 0.35), ("mobilenet_v1", 0.25)):
        for quant in ("int8", "uint8", "float32"):
            configs.add((arch, alpha, 128, quant))
    for arch, alpha, resolution, quant in sorted(configs):
        config = model_config(arch, alpha, resolution, quant)
        (folder / f"{config.name}.tflite").write_bytes(build_model_bytes(config))
    return folder


def generated_path(folder: Path, arch: str, alpha: float, resolution: int, quant: str) -> Path:
    """Where ``generated_dir`` put one configuration."""
    return folder / f"{model_config(arch, alpha, resolution, quant).name}.tflite"
