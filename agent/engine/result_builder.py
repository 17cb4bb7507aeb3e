"""Pieces of the RunResult that describe the model, the configuration and the power.

The run loop measures; this module turns what was loaded and asked for into the
schema's dataclasses, so ``runner`` stays a readable sequence of steps.
"""

from __future__ import annotations

from typing import Any

from edgebench.agent.config import PowerConfig
from edgebench.agent.engine.backends import PreparedInterpreter
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.modeltools.resolve import ResolvedModel
from edgebench.agent.power.energy import energy_info
from edgebench.shared.result import EnergyInfo, ModelInfo, PowerInfo, RunConfig, TensorInfo


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
    resolved: ResolvedModel, prepared: PreparedInterpreter, warnings: list[str]
) -> ModelInfo:
    """Identify the model by the hash of the bytes that ran, with its static cost.

    A failed static analysis (``LoadedModel.report`` None) must not cost the user a
    benchmark, so it leaves MACs/params empty and adds a warning instead.
    """
    model = resolved.model
    report = model.report
    if report is None:
        warnings.append(f"static analysis failed, MACs/params unknown: {model.report_error}")
    return ModelInfo(
        name=resolved.name,
        path=str(model.path.resolve()),
        sha256=model.sha256,
        size_bytes=model.size_bytes,
        source=resolved.source,
        inputs=[tensor_info(d) for d in prepared.input_details],
        outputs=[tensor_info(d) for d in prepared.output_details],
        macs=report.macs if report else None,
        params=report.params if report else None,
        op_count=report.op_count if report else None,
    )


def run_config(options: RunOptions, loaded: PreparedInterpreter, sample_hz: float) -> RunConfig:
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
