"""Public entry points of the generator: validate a configuration, build, write a file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from edgebench.agent.modeltools.generator.families import ARCHS
from edgebench.agent.modeltools.generator.quant import QUANT_MODES, IntStream, Scheme
from edgebench.shared.errors import EdgebenchError

# Bump when the bytes produced for a configuration change; it is part of cache file names.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class ModelConfig:
    """One generated model: architecture, width multiplier, input size, quantization, seed."""

    arch: str
    alpha: float
    resolution: int
    quant: str
    seed: int = 0

    @property
    def alpha_text(self) -> str:
        """α as in the published file names: 1.0, 0.35, 0.5."""
        return _alpha_text(self.alpha)

    @property
    def name(self) -> str:
        """Human name, e.g. ``mobilenet_v2_1.0_224_int8`` or ``efficientnet_lite2_260_int8``."""
        return config_name(self.arch, self.alpha, self.resolution, self.quant)

    @property
    def file_name(self) -> str:
        """Cache file name: configuration, seed and generator version."""
        return f"{self.name}_seed{self.seed}_gen{GENERATOR_VERSION}.tflite"


def model_config(
    arch: str, alpha: float, resolution: int, quant: str, seed: int = 0
) -> ModelConfig:
    """Validate a configuration; raise ``EdgebenchError`` naming the supported values."""
    spec = ARCHS.get(arch)
    if spec is None:
        raise EdgebenchError(f"unknown architecture {arch!r}; supported: {', '.join(ARCHS)}")
    match = [a for a in spec.alphas if abs(a - float(alpha)) < 1e-6]
    if not match and not spec.has_alpha:
        raise EdgebenchError(f"{arch} has no width multiplier; its variant sets the width")
    if not match:
        supported = ", ".join(_alpha_text(a) for a in spec.alphas)
        raise EdgebenchError(f"{arch} does not support alpha {alpha:g}; supported: {supported}")
    if resolution not in spec.resolutions:
        supported = ", ".join(str(r) for r in spec.resolutions)
        raise EdgebenchError(
            f"{arch} does not support resolution {resolution}; supported: {supported}"
        )
    if quant not in QUANT_MODES:
        raise EdgebenchError(f"unknown quantization {quant!r}; supported: {', '.join(QUANT_MODES)}")
    if not 0 <= seed < 2**32:
        raise EdgebenchError(f"seed {seed} out of range; use 0 to 4294967295")
    return ModelConfig(arch, match[0], resolution, quant, seed)


def config_name(arch: str, alpha: float, resolution: int, quant: str) -> str:
    """Name a configuration: ``<arch>_<α>_<resolution>_<quant>`` (no α for EfficientNet-Lite)."""
    width = f"_{_alpha_text(alpha)}" if ARCHS[arch].has_alpha else ""
    return f"{arch}{width}_{resolution}_{quant}"


def _alpha_text(alpha: float) -> str:
    text = f"{alpha:g}"
    return text if "." in text else f"{text}.0"


def build_model_bytes(config: ModelConfig) -> bytes:
    """Generate the TFLite flatbuffer for ``config`` (deterministic)."""
    from edgebench.agent.modeltools.generator.builder import serialize
    from edgebench.agent.modeltools.generator.heads import NetBuilder

    digest = hashlib.sha256(f"{config.name}|gen{GENERATOR_VERSION}".encode()).digest()
    words = [config.seed, *(int.from_bytes(digest[i : i + 4], "little") for i in (0, 4, 8, 12))]
    description = (
        f"edgebench generator v{GENERATOR_VERSION}: {config.name} seed {config.seed} "
        "(random weights, exact architecture)"
    )
    graph = NetBuilder(Scheme(config.quant), IntStream(words), description)  # type: ignore[arg-type]
    ARCHS[config.arch].build(graph, config.alpha, config.resolution)
    return serialize(graph.model)
