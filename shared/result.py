"""The run-result document: what ``agent run --json`` writes and what the collector stores.

This is a versioned contract (see ``docs/result-schema.md``). Units are in the field
names (``_ms``, ``_s``, ``_w``, ``_mb``); timestamps are UTC epoch seconds. Fields
are only ever added within one ``schema_version``; renaming or removing one bumps it.

Every type here is built from plain JSON types, ``X | None``, ``list``, ``dict[str, X]``,
``Literal`` and nested dataclasses, so a generic validator can check a payload and a JSON
Schema can be generated from the code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

RESULT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class LatencySummary:
    """Distribution of one latency series in milliseconds (population std, nearest-rank pct).

    With ``count == 0`` (nothing was measured, e.g. interrupted during warm-up) every
    statistic is None rather than a misleading zero.
    """

    count: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    p999: float | None


@dataclass(frozen=True)
class DeviceFacts:
    """What the board is: stable identity plus hardware and software facts."""

    device_id: str
    hostname: str
    board: str
    board_compatible: list[str]
    board_profile: str | None
    cpu_model: str
    architecture: str
    cpu_cores: int
    cpu_max_mhz: float | None
    ram_mb: float
    os_release: str
    kernel: str
    python: str
    runtimes: dict[str, str]
    edgebench_version: str
    cpu_governor: str | None = None


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output tensor."""

    name: str
    shape: list[int]
    dtype: str
    scale: float | None = None
    zero_point: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    """Which model ran, identified by content hash, with its static cost."""

    name: str
    path: str
    sha256: str
    size_bytes: int
    source: Literal["file", "catalog", "generated"]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    macs: int | None = None
    params: int | None = None
    op_count: int | None = None


@dataclass(frozen=True)
class RunConfig:
    """What was asked for and what actually ran (backend, threads, delegate, run control)."""

    backend: str
    backend_version: str
    threads: int
    xnnpack_requested: bool
    xnnpack_applied: bool
    warmup_runs: int
    warmup_secs: float
    runs: int
    min_secs: float
    max_secs: float
    rate_hz: float | None
    seed: int
    input_source: Literal["random", "images"]
    images_dir: str | None
    sample_hz: float


@dataclass(frozen=True)
class Timing:
    """Phases of the run, as ``benchmark_model`` reports them."""

    init_ms: float
    # None when no inference ran at all (interrupted before the first one finished).
    first_inference_ms: float | None
    # None when there was no warm-up run.
    warmup_mean_ms: float | None
    warmup_count: int
    measured_start: float
    measured_end: float
    measured_duration_s: float
    preprocess_ms: LatencySummary | None = None


@dataclass(frozen=True)
class MemoryInfo:
    """Resident set size of the agent process around model load and at its peak."""

    # None where the current RSS cannot be read (no /proc, e.g. a bare chroot).
    rss_before_load_mb: float | None
    rss_after_load_mb: float | None
    peak_rss_mb: float


@dataclass(frozen=True)
class Verdict:
    """MLPerf-LoadGen-style validity: VALID only when every check passed."""

    status: Literal["VALID", "INVALID"]
    reasons: list[str]
    checks: dict[str, bool]


@dataclass(frozen=True)
class MetricSummary:
    """Summary of one sampled metric over the measured phase."""

    count: int
    min: float | None
    max: float | None
    mean: float | None
    last: float | None
    unit: str


@dataclass(frozen=True)
class PowerInfo:
    """Board power over the measured phase and how it was obtained."""

    # e.g. "pmic", "ina2xx", "ina3221", "rapl", "power_supply", "estimate"
    method: str
    measured: bool
    source: str
    mean_w: float | None
    min_w: float | None = None
    max_w: float | None = None
    profile: str | None = None
    idle_w: float | None = None
    load_w: float | None = None
    note: str = ""


@dataclass(frozen=True)
class EnergyInfo:
    """Energy over the measured phase, plus CodeCarbon-compatible fields."""

    measured: bool
    method: str
    window_s: float
    joules: float | None
    joules_per_inference: float | None
    inferences_per_joule: float | None
    # CodeCarbon field names and units: W, kWh, kg CO2eq, kg/s.
    cpu_power: float | None
    ram_power: float | None
    cpu_energy: float | None
    ram_energy: float | None
    energy_consumed: float | None
    emissions: float | None
    emissions_rate: float | None
    tracking_mode: Literal["machine", "process"] = "machine"
    country_iso_code: str = "WLD"
    carbon_intensity_g_per_kwh: float = 475.0


@dataclass(frozen=True)
class Tag:
    """One predicted label with its score (dequantized probability)."""

    index: int
    label: str
    score: float


@dataclass(frozen=True)
class ImageResult:
    """Top-5 tags for one image and whether they match the expected label."""

    image: str
    top5: list[Tag]
    expected: str | None = None
    top1_correct: bool | None = None
    top5_correct: bool | None = None


@dataclass(frozen=True)
class Accuracy:
    """Accuracy-mode outcome over a folder of images."""

    images: int
    top1: float | None
    top5: float | None
    per_image: list[ImageResult]


@dataclass(frozen=True)
class RunResult:
    """The full result of one benchmark run."""

    schema_version: int
    run_id: str
    status: Literal["complete", "interrupted", "failed"]
    started_at: float
    finished_at: float
    device: DeviceFacts
    model: ModelInfo
    config: RunConfig
    timing: Timing
    latency_ms: LatencySummary
    throughput_ips: float
    memory: MemoryInfo
    verdict: Verdict
    samples_summary: dict[str, MetricSummary]
    power: PowerInfo
    energy: EnergyInfo
    gops: float | None = None
    sweep_id: str | None = None
    accuracy: Accuracy | None = None
    # Steady-state latencies in order (ms), for histograms and re-analysis.
    latencies_ms: list[float] = field(default_factory=list)
    # Time series: one dict per sample, "t" (epoch s) plus metric keys (see samples_summary units).
    samples: list[dict[str, float | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict form."""
        return dataclasses.asdict(self)
