"""Turn what the user typed (a path, a catalog name, or nothing) into a loaded model file.

``resolve_model(None, config)`` is the default workload: the generated MobileNetV2
1.0/224 int8 (seed 0), so a board with no network and no model files can still run.
The file is read once, here (``modelfile.load_model``); the run uses what was read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from edgebench.agent.config import AgentConfig
from edgebench.agent.modeltools.catalog import (
    CatalogEntry,
    cached_path,
    find_entry,
    generated_name,
)
from edgebench.agent.modeltools.modelfile import LoadedModel, load_model
from edgebench.shared.errors import EdgebenchError

# The default workload: the reference network, built offline with random weights.
DEFAULT_ARCH = "mobilenet_v2"
DEFAULT_ALPHA = 1.0
DEFAULT_RESOLUTION = 224
DEFAULT_QUANT = "int8"
DEFAULT_SEED = 0


Source = Literal["file", "catalog", "generated"]


@dataclass(frozen=True)
class ResolvedModel:
    """A read and checked model file, with the name results show and where it came from."""

    model: LoadedModel
    name: str
    source: Source

    @property
    def path(self) -> Path:
        """The model file."""
        return self.model.path


def open_model(path: Path, name: str, source: Source) -> ResolvedModel:
    """Read and check a model file already found elsewhere (e.g. a sweep's generated model)."""
    return ResolvedModel(load_model(path), name, source)


def resolve_model(spec: str | None, config: AgentConfig) -> ResolvedModel:
    """Resolve a path, a catalog name or ``None`` (the default workload) to a read, checked file.

    Raises ``EdgebenchError`` with one line saying what to do when the file is missing or
    not a TFLite model, the name is unknown, or the model cannot be fetched or built.
    """
    if spec is None:
        return _generated(DEFAULT_ARCH, DEFAULT_ALPHA, DEFAULT_RESOLUTION, DEFAULT_QUANT, config)
    if _looks_like_path(spec):
        path = Path(spec).expanduser()
        return open_model(path, path.stem, "file")
    entry = find_entry(spec)
    if entry is None:
        raise EdgebenchError(
            f"model {spec!r} is neither a file nor a catalog name; pass a .tflite path, "
            "see the catalog names with edgebench model list, or build one with "
            "edgebench model build"
        )
    return _from_catalog(entry, config)


def _looks_like_path(spec: str) -> bool:
    """Tell whether a spec is a path: it exists or is written like one."""
    try:
        exists = Path(spec).expanduser().exists()
    except OSError:
        # e.g. the working directory is unreadable: decide by the spelling alone.
        exists = False
    return (
        exists
        or os.sep in spec
        or (os.altsep is not None and os.altsep in spec)
        or spec.endswith(".tflite")
        or spec.startswith(("~", "."))
    )


def _from_catalog(entry: CatalogEntry, config: AgentConfig) -> ResolvedModel:
    """Use a cached file, a generated build, or a fresh download of a hosted entry."""
    if entry.kind == "generated":
        assert entry.arch and entry.alpha and entry.resolution and entry.quant
        return _generated(entry.arch, entry.alpha, entry.resolution, entry.quant, config)
    path = cached_path(entry, config.cache_dir)
    if path is None:
        from edgebench.agent.modeltools.fetch import fetch_model

        if entry.sha256 is None:
            # Never download an unchecked file implicitly; the user decides how to trust it.
            raise EdgebenchError(
                f"catalog model {entry.name} is not cached and has no verified checksum; "
                f"fetch it first with edgebench model fetch {entry.name} --sha256 HEX "
                "(or --no-verify), or pass a local .tflite path"
            )
        path = fetch_model(entry, config.cache_dir)
    return open_model(path, entry.name, "catalog")


def _generated(
    arch: str, alpha: float, resolution: int, quant: str, config: AgentConfig
) -> ResolvedModel:
    """Build (or reuse) a generated MobileNet with the offline generator."""
    from edgebench.agent.modeltools.generator.cache import cached_build

    path = Path(cached_build(config.cache_dir, arch, alpha, resolution, quant, DEFAULT_SEED))
    return open_model(path, generated_name(arch, alpha, resolution, quant), "generated")
