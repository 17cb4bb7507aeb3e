"""Pieces of the RunResult that describe the model, the configuration and the power.

The run loop measures; this module turns what was loaded and asked for into the
schema's dataclasses, so ``runner`` stays a readable sequence of steps.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Literal

from edgebench.agent.config import PowerConfig
from edgebench.agent.engine.backends import LoadedModel
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.power.energy import energy_info
from edgebench.shared.result import EnergyInfo, ModelInfo, PowerInfo, RunConfig, TensorInfo

log = logging.getLogger(__name__)

Source = Literal["file", "catalog", "generated"]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tensor_info(detail: dict[str, Any]) -> TensorInfo:
    """Convert an interpreter tensor detail (scale/zero point only when quantized)."""
    import numpy as np

    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorInfo(
        name=str(detail["name"]),
        shape=[int(dim) for dim in detail["shape"]],
        dtype=np.dtype(detail["dtype"]).name,
        scale=float(scale) if scale else None,
        zero_point=int(zero_point) if scale else None,
    )


def model_info(
    path: Path, name: str, source: Source, loaded: LoadedModel, warnings: list[str]
) -> ModelInfo:
    """Identify the model by hash and add its static cost from ``inspect_model``.

    A failure of the static analysis must not cost the user a benchmark, so it
    leaves MACs/params empty and adds a warning instead.
    """
    macs = params = op_count = None
    try:
        from edgebench.agent.modeltools.inspect import inspect_model

        report = inspect_model(path)
        macs, params, op_count = report.macs, report.params, report.op_count
    except Exception as exc:
        log.debug("inspect_model failed", exc_info=True)
        warnings.append(f"static analysis failed, MACs/params unknown: {exc}")
    return ModelInfo(
        name=name,
        path=str(path.resolve()),
        sha256=sha256_file(path),
        size_bytes=path.stat().st_size,
        source=source,
        inputs=[tensor_info(d) for d in loaded.input_details],
        outputs=[tensor_info(d) for d in loaded.output_details],
        macs=macs,
        params=params,
        op_count=op_count,
    )


def run_config(options: RunOptions, loaded: LoadedModel, sample_hz: float) -> RunConfig:
    """Record what was asked for next to what actually ran."""
    return RunConfig(
        backend=loaded.backend,
        backend_version=loaded.backend_version,
        threads=loaded.threads,
        xnnpack_requested=loaded.xnnpack_requested,
        xnnpack_applied=loaded.xnnpack_applied,
        warmup_runs=options.warmup_runs,
        warmup_secs=options.warmup_secs,
        runs=options.runs,
        min_secs=options.min_secs,
        max_secs=options.max_secs,
        rate_hz=options.rate_hz,
        seed=options.seed,
        input_source="images" if options.images is not None else "random",
        images_dir=str(options.images.resolve()) if options.images is not None else None,
        sample_hz=sample_hz,
    )


def no_window_power(note: str, config: PowerConfig) -> tuple[PowerInfo, EnergyInfo]:
    """Power and energy when there was no measured window to attribute them to."""
    power = PowerInfo(method="none", measured=False, source="", mean_w=None, note=note)
    energy = energy_info(
        measured=False,
        method="none",
        window_s=0.0,
        joules=None,
        ram_joules=None,
        inferences=0,
        power=config,
    )
    return power, energy
