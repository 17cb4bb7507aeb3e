"""The model catalog: named workloads, hosted (downloaded) or generated (built locally).

Hosted entries carry the official download URL and, only where it was verified against
a local copy, the sha256. An entry without a known checksum is never trusted silently:
``edgebench model fetch`` needs ``--sha256 HEX`` or ``--no-verify`` for it.

Published MACs, parameters and top-1 come from ``published`` (papers and READMEs, each
with its source); ``None`` where no table gives them. A generated entry carries the published
top-1 of its architecture, "published, not measured": its own weights are random.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from edgebench.agent.modeltools.generator import mobilenet_v1, mobilenet_v2
from edgebench.agent.modeltools.generator.build import config_name
from edgebench.agent.modeltools.generator.families import ARCHS
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.published import PUBLISHED, TOP1_LABEL, published, source

# Mirrors set this to serve the hosted files under their file names.
BASE_URL_ENV = "EDGEBENCH_MODEL_BASE_URL"
CORAL_BASE_URL = "https://github.com/google-coral/test_data/raw/master/"

# The generated entries are every width and resolution the generator builds.
V2_ALPHAS = mobilenet_v2.ALPHAS
V2_RESOLUTIONS = mobilenet_v2.RESOLUTIONS
V1_ALPHAS = mobilenet_v1.ALPHAS
V1_RESOLUTIONS = mobilenet_v1.RESOLUTIONS
QUANTS = ("int8", "uint8")


@dataclass(frozen=True)
class CatalogEntry:
    """One named workload."""

    name: str
    kind: Literal["hosted", "generated"]
    description: str
    # Hosted: the file name in the cache and under the base URL, the official URL, checksum.
    filename: str | None = None
    url: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    # Generated: the generator's arguments.
    arch: str | None = None
    alpha: float | None = None
    resolution: int | None = None
    quant: str | None = None
    # Published figures (None where no table gives them).
    published_macs_m: float | None = None
    published_params_m: float | None = None
    published_top1: float | None = None
    # Where the published figures come from; for generated entries the top-1 is labelled.
    published_source: str | None = None

    def download_url(self, override: str | None = None) -> str:
        """Return the URL to fetch: ``override``, else the env base URL, else the official one."""
        if override:
            return override
        base = os.environ.get(BASE_URL_ENV, "").strip()
        if base and self.filename:
            return base.rstrip("/") + "/" + self.filename
        if not self.url:
            raise EdgebenchError(f"catalog entry {self.name} has no download URL")
        return self.url


def _coral(  # noqa: PLR0917 - one positional row per catalog file reads as a table
    name: str,
    filename: str,
    description: str,
    sha256: str | None,
    size: int | None,
    table: tuple[float | None, float | None, float | None] | None,
) -> CatalogEntry:
    """Build a hosted entry for a file of the Coral test_data repository."""
    macs, params, top1 = table if table else (None, None, None)
    arch = re.match(r"(?:tf2_)?(mobilenet_v[12])", name)
    return CatalogEntry(
        name=name,
        kind="hosted",
        description=description,
        filename=filename,
        url=CORAL_BASE_URL + filename,
        sha256=sha256,
        size_bytes=size,
        published_macs_m=macs,
        published_params_m=params,
        published_top1=top1,
        published_source=source(arch.group(1)) if arch and table else None,
    )


def _hosted() -> list[CatalogEntry]:
    """Hosted entries; sha256 only for the files verified against ../shared/models."""
    return [
        _coral(
            "mobilenet_v2_1.0_224_quant",
            "mobilenet_v2_1.0_224_quant.tflite",
            "MobileNetV2 1.0/224, uint8 quantization-aware trained (TF1); the reference",
            "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
            3610798,
            PUBLISHED[("mobilenet_v2", 1.0, 224)],
        ),
        _coral(
            "tf2_mobilenet_v2_1.0_224_ptq",
            "tf2_mobilenet_v2_1.0_224_ptq.tflite",
            "MobileNetV2 1.0/224, TF2 post-training int8, uint8 input/output",
            "5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c",
            4070174,
            (300, 3.47, None),  # the same net; its post-training top-1 is not in the tables
        ),
        _coral(
            "mobilenet_v1_0.25_128_quant",
            "mobilenet_v1_0.25_128_quant.tflite",
            "MobileNetV1 0.25/128, uint8; small and fast",
            "cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785",
            525598,
            PUBLISHED[("mobilenet_v1", 0.25, 128)],
        ),
        _coral(
            "mobilenet_v1_0.5_160_quant",
            "mobilenet_v1_0.5_160_quant.tflite",
            "MobileNetV1 0.5/160, uint8",
            "3cc6d2ca460abd2e0f699a6d0d2550c6b61c6e3b0e27a3616e384ea74cb86f43",
            1392846,
            PUBLISHED[("mobilenet_v1", 0.5, 160)],
        ),
        _coral(
            "mobilenet_v1_1.0_224_quant",
            "mobilenet_v1_1.0_224_quant.tflite",
            "MobileNetV1 1.0/224, uint8 (checksum not verified here)",
            None,
            None,
            PUBLISHED[("mobilenet_v1", 1.0, 224)],
        ),
        _coral(
            "mobilenet_v1_0.75_192_quant",
            "mobilenet_v1_0.75_192_quant.tflite",
            "MobileNetV1 0.75/192, uint8 (checksum not verified here)",
            None,
            None,
            PUBLISHED[("mobilenet_v1", 0.75, 192)],
        ),
        CatalogEntry(
            name="efficientnet_lite0_int8",
            kind="hosted",
            description="EfficientNet-Lite0 int8 (TF Hub / Kaggle; checksum not verified here)",
            filename="efficientnet_lite0_int8_2.tflite",
            url=(
                "https://storage.googleapis.com/download.tensorflow.org/models/tflite/"
                "task_library/image_classification/android/efficientnet_lite0_int8_2.tflite"
            ),
            published_macs_m=407,
            published_params_m=4.7,
            published_top1=74.4,  # the README's INT8 column
            published_source=source("efficientnet_lite0") + ", INT8 top-1",
        ),
    ]


def _generated() -> list[CatalogEntry]:
    """Every configuration the generator can build, in both quantizations."""
    entries = []
    for arch, spec in ARCHS.items():
        for alpha in spec.alphas:
            for resolution in spec.resolutions:
                row = published(arch, alpha, resolution)
                what = config_name(arch, alpha, resolution, "").rstrip("_")
                top1 = f"; top-1 {row.top1:g} % {TOP1_LABEL}" if row and row.top1 else ""
                for quant in QUANTS:
                    entries.append(
                        CatalogEntry(
                            name=generated_name(arch, alpha, resolution, quant),
                            kind="generated",
                            description=(
                                f"{what} {quant}, random weights (seed 0), built offline{top1}"
                            ),
                            arch=arch,
                            alpha=alpha,
                            resolution=resolution,
                            quant=quant,
                            published_macs_m=row.macs_m if row else None,
                            published_params_m=row.params_m if row else None,
                            published_top1=row.top1 if row else None,
                            published_source=source(arch) if row else None,
                        )
                    )
    return entries


def generated_name(arch: str, alpha: float, resolution: int, quant: str) -> str:
    """Name a generated configuration (``gen-mobilenet_v2_1.0_224_int8``)."""
    return f"gen-{config_name(arch, alpha, resolution, quant)}"


def catalog() -> list[CatalogEntry]:
    """All catalog entries, hosted first."""
    return [*_hosted(), *_generated()]


def find_entry(name: str) -> CatalogEntry | None:
    """Return the entry called ``name``, or None."""
    for entry in catalog():
        if entry.name == name:
            return entry
    return None


def get_entry(name: str) -> CatalogEntry:
    """Return the entry called ``name``; raise an error naming ``model list`` if none."""
    entry = find_entry(name)
    if entry is None:
        raise EdgebenchError(
            f"unknown model {name!r}: not a catalog name; see the names with edgebench model list"
        )
    return entry


def models_dir(cache_dir: Path) -> Path:
    """Where fetched models are stored."""
    return cache_dir / "models"


def cached_path(entry: CatalogEntry, cache_dir: Path) -> Path | None:
    """Return the cached file of a hosted entry if it has been fetched, else None."""
    if entry.kind != "hosted" or not entry.filename:
        return None
    path = models_dir(cache_dir) / entry.filename
    return path if path.is_file() else None


def generated_equivalent(entry: CatalogEntry) -> str | None:
    """Name the generated model with the same architecture as a hosted MobileNet, if any."""
    if entry.kind == "generated":
        return entry.name
    match = re.search(r"mobilenet_(v[12])_([\d.]+)_(\d+)_(quant|ptq)", entry.name)
    if not match:
        return None
    arch, alpha, resolution, how = match.groups()
    # Quantization-aware TF1 models are uint8 throughout; TF2 post-training ones are int8.
    quant = "uint8" if how == "quant" else "int8"
    name = generated_name(f"mobilenet_{arch}", float(alpha), int(resolution), quant)
    return name if find_entry(name) else None
