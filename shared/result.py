"""The run-result document: what ``agent run --json`` writes and what the collector stores.

This is a versioned contract (see ``docs/result-schema.md``). Units are in the field
names (``_ms``, ``_s``, ``_w``, ``_mb``); timestamps are UTC epoch seconds. Fields
are only ever added within one ``schema_version``; renaming or removing one bumps it.

Every type here is a :class:`~edgebench.shared.wire.Record` (a msgspec Struct) built from
the constrained types of ``shared/wire.py``, ``X | None``, ``list``, ``dict``, ``Literal``
and nested records: msgspec decodes and checks a payload against them in one pass, and the
JSON Schema in ``docs/schemas/`` is generated from them.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from edgebench.shared.op_profile import OpProfile
from edgebench.shared.result_quality import BusyInfo, LatencyCI, TargetCI, Trials
from edgebench.shared.wire import Int64, Number, Record, RunId, Text

RESULT_SCHEMA_VERSION = 1


class LatencySummary(Record):
    """Distribution of one latency series in milliseconds (population std, nearest-rank pct).

    With ``count == 0`` (nothing was measured, e.g. interrupted during warm-up) every
    statistic is None rather than a misleading zero.
    """

    count: Int64
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    p999: float | None
    # Intervals of p50/p90/p99 and throughput (the measured latencies only).
    ci95: LatencyCI | None = None


class DeviceFacts(Record):
    """What the board is: stable identity plus hardware and software facts."""

    device_id: Text
    hostname: Text
    board: Text
    board_compatible: list[Text]
    board_profile: Text | None
    cpu_model: Text
    architecture: Text
    cpu_cores: Int64
    cpu_max_mhz: float | None
    ram_mb: float
    os_release: Text
    kernel: Text
    python: Text
    runtimes: dict[Text, Text]
    edgebench_version: Text
    cpu_governor: Text | None = None
    # The operator's labels for this board (``tags`` in the agent's config): campaigns
    # select boards by them (docs/campaigns.md).
    tags: list[Text] = msgspec.field(default_factory=list)


class TensorInfo(Record):
    """One model input or output tensor."""

    name: Text
    shape: list[Int64]
    dtype: Text
    scale: float | None = None
    zero_point: Int64 | None = None


class ModelInfo(Record):
    """Which model ran, identified by content hash, with its static cost."""

    name: Text
    path: Text
    sha256: Text
    size_bytes: Int64
    source: Literal["file", "catalog", "generated"]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    macs: Int64 | None = None
    params: Int64 | None = None
    op_count: Int64 | None = None


class RunConfig(Record):
    """What was asked for and what actually ran (backend, threads, delegate, run control)."""

    backend: Text
    backend_version: Text
    threads: Int64
    xnnpack_requested: bool
    xnnpack_applied: bool
    warmup_runs: Int64
    warmup_secs: float
    runs: Int64
    min_secs: float
    max_secs: float
    rate_hz: float | None
    seed: Int64
    input_source: Literal["random", "images"]
    images_dir: Text | None
    sample_hz: float


class Timing(Record):
    """Phases of the run, as ``benchmark_model`` reports them."""

    init_ms: float
    # None when no inference ran at all (interrupted before the first one finished).
    first_inference_ms: float | None
    # None when there was no warm-up run.
    warmup_mean_ms: float | None
    warmup_count: Int64
    measured_start: float
    measured_end: float
    measured_duration_s: float
    preprocess_ms: LatencySummary | None = None


class MemoryInfo(Record):
    """Resident set size of the agent process around model load and at its peak."""

    # None where the current RSS cannot be read (no /proc, e.g. a bare chroot).
    rss_before_load_mb: float | None
    rss_after_load_mb: float | None
    peak_rss_mb: float


class Verdict(Record):
    """MLPerf-LoadGen-style validity: VALID only when every check passed."""

    status: Literal["VALID", "INVALID"]
    reasons: list[Text]
    checks: dict[Text, bool]


class MetricSummary(Record):
    """Summary of one sampled metric over the measured phase."""

    count: Int64
    min: float | None
    max: float | None
    mean: float | None
    last: float | None
    unit: Text


class PowerInfo(Record):
    """Board power over the measured phase and how it was obtained."""

    # e.g. "pmic", "ina2xx", "ina3221", "rapl", "power_supply", "estimate"
    method: Text
    measured: bool
    source: Text
    mean_w: float | None
    min_w: float | None = None
    max_w: float | None = None
    profile: Text | None = None
    idle_w: float | None = None
    load_w: float | None = None
    note: Text = ""


class EnergyInfo(Record):
    """Energy over the measured phase, plus CodeCarbon-compatible fields."""

    measured: bool
    method: Text
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
    country_iso_code: Text = "WLD"
    carbon_intensity_g_per_kwh: float = 475.0


class Tag(Record):
    """One predicted label with its score (dequantized probability)."""

    index: Int64
    label: Text
    score: float


class ImageResult(Record):
    """Top-5 tags for one image and whether they match the expected label."""

    image: Text
    top5: list[Tag]
    expected: Text | None = None
    top1_correct: bool | None = None
    top5_correct: bool | None = None


class Accuracy(Record):
    """Accuracy-mode outcome over a folder of images."""

    images: Int64
    top1: float | None
    top5: float | None
    per_image: list[ImageResult]


class RunResult(Record):
    """The full result of one benchmark run."""

    schema_version: Int64
    run_id: RunId
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
    samples_summary: dict[Text, MetricSummary]
    power: PowerInfo
    energy: EnergyInfo
    gops: float | None = None
    sweep_id: Text | None = None
    accuracy: Accuracy | None = None
    # Steady-state latencies in order (ms), for histograms and re-analysis.
    latencies_ms: list[float] = msgspec.field(default_factory=list)
    # Time series: one dict per sample, "t" (epoch s) plus metric keys (see samples_summary units).
    samples: list[dict[Text, Number | None]] = msgspec.field(default_factory=list)
    warnings: list[Text] = msgspec.field(default_factory=list)
    trials: Trials | None = None
    target_ci: TargetCI | None = None
    busy: BusyInfo | None = None
    # agent run --profile-ops: per-op latency measured after the run (docs/profiling.md).
    op_profile: OpProfile | None = None
