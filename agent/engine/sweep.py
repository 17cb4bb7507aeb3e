"""A grid of generated models (families × widths × resolutions) × thread counts, run in turn.

Every configuration is one ordinary ``run_benchmark`` call and one ``RunResult``; all
results of a sweep share one ``sweep_id``. Between runs the board cools back to near its
starting temperature so later configurations are not measured on a hotter, throttled
chip. Each result is handed to ``on_result`` as soon as it exists, so an interrupted
sweep loses nothing that finished.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.events import RunListener
from edgebench.agent.engine.options import RunOptions
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import DeviceFacts, RunResult


@dataclass(frozen=True)
class SweepPoint:
    """One configuration of the grid."""

    arch: str
    alpha: float
    resolution: int
    quant: str
    threads: int

    @property
    def label(self) -> str:
        """Short text for progress lines, e.g. ``mobilenet_v2_0.5_128_int8 x2``."""
        from edgebench.agent.modeltools.generator.build import config_name

        return f"{config_name(self.arch, self.alpha, self.resolution, self.quant)} x{self.threads}"


def expand_grid(
    families: Iterable[str],
    alphas: list[float] | None,
    resolutions: list[int] | None,
    threads: Iterable[int],
    quant: str,
    *,
    variants: list[int] | None = None,
) -> list[SweepPoint]:
    """Every (model, threads) combination, validated before anything runs.

    The width axis is α for the MobileNets (default 1.0) and the variant for
    EfficientNet-Lite (default 0); resolutions default to 224, and to each variant's own for
    EfficientNet-Lite. Models vary slowest, so consecutive runs reuse one file in the page
    cache.
    """
    from edgebench.agent.modeltools.generator.build import model_config
    from edgebench.agent.modeltools.generator.families import ARCHS, family_archs

    threads = list(threads)
    archs = [arch for family in families for arch in family_archs(family, variants)]
    if not archs:
        raise EdgebenchError("--family: give at least one model family")
    points: list[SweepPoint] = []
    for arch in archs:
        spec = ARCHS[arch]
        widths = (alphas or [1.0]) if spec.has_alpha else [1.0]
        for alpha in widths:
            for resolution in resolutions or [spec.default_resolution]:
                config = model_config(arch, alpha, resolution, quant)
                points.extend(
                    SweepPoint(arch, config.alpha, resolution, quant, count) for count in threads
                )
    # "1,1.0" or a repeated thread count would measure the same thing twice.
    return list(dict.fromkeys(points))


@dataclass
class SweepOutcome:
    """What a sweep produced: its id, every result in order, and whether it was cut short."""

    sweep_id: str
    results: list[RunResult] = field(default_factory=list)
    interrupted: bool = False


class Cooldown:
    """Wait between runs until the temperature is back near its starting value."""

    def __init__(
        self,
        read_temp_c: Callable[[], float | None] | None,
        *,
        tolerance_c: float = 2.0,
        max_secs: float = 120.0,
        poll_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.read_temp_c = read_temp_c
        self.tolerance_c = tolerance_c
        self.max_secs = max_secs
        self.poll_s = poll_s
        self.sleep = sleep
        self.baseline_c = read_temp_c() if read_temp_c is not None else None

    @property
    def available(self) -> bool:
        """True when a temperature source answered at the start."""
        return self.baseline_c is not None

    def wait(self) -> tuple[float, float | None]:
        """Block until cool (or ``max_secs``); return (seconds waited, last temperature)."""
        if self.baseline_c is None or self.read_temp_c is None or self.max_secs <= 0:
            return 0.0, None
        target = self.baseline_c + self.tolerance_c
        start = time.monotonic()
        temp = self.read_temp_c()
        # A failed read (None) is not "cool": keep polling, bounded by max_secs.
        while (temp is None or temp > target) and time.monotonic() - start < self.max_secs:
            self.sleep(self.poll_s)
            temp = self.read_temp_c()
        return time.monotonic() - start, temp


def thermal_reader(config: AgentConfig, facts: DeviceFacts) -> Callable[[], float | None] | None:
    """Return a function reading the SoC temperature in °C, or None without a sensor."""
    from edgebench.agent.probe.context import NoData, SamplerContext
    from edgebench.agent.samplers.thermal import ThermalSampler

    sampler = ThermalSampler()
    try:
        sampler.setup(SamplerContext(config, facts))
    except NoData:
        return None
    return lambda: sampler.sample().get("temp_c")


def run_sweep(
    points: list[SweepPoint],
    options: RunOptions,
    config: AgentConfig,
    facts: DeviceFacts,
    *,
    cooldown: Cooldown,
    on_result: Callable[[RunResult], None],
    listener: RunListener | None = None,
    on_point: Callable[[SweepPoint], None] | None = None,
) -> SweepOutcome:
    """Benchmark every point in order; Ctrl-C ends the sweep, keeping finished results."""
    from edgebench.agent.engine.runner import run_benchmark
    from edgebench.agent.modeltools.catalog import generated_name
    from edgebench.agent.modeltools.generator.cache import cached_build
    from edgebench.agent.modeltools.resolve import open_model

    outcome = SweepOutcome(sweep_id=uuid.uuid4().hex)
    try:
        # Build every model first: a bad grid fails before any run, and building does not
        # heat the board between a cool-down and the run it was for.
        models: dict[tuple[str, float, int], tuple[Path, str]] = {}
        for p in points:
            if (p.arch, p.alpha, p.resolution) not in models:
                path = cached_build(Path(config.cache_dir), p.arch, p.alpha, p.resolution, p.quant)
                name = generated_name(p.arch, p.alpha, p.resolution, p.quant)
                models[(p.arch, p.alpha, p.resolution)] = (path, name)
        for index, point in enumerate(points):
            if on_point is not None:
                on_point(point)
            if index:
                cooldown.wait()
            run_options = dataclasses.replace(options, threads=point.threads)
            # Read each model just before its run: a grid's files need not all fit in memory.
            path, name = models[(point.arch, point.alpha, point.resolution)]
            result = run_benchmark(
                open_model(path, name, "generated"),
                run_options,
                config,
                facts,
                listener,
                sweep_id=outcome.sweep_id,
            )
            outcome.results.append(result)
            on_result(result)
            if result.status == "interrupted":
                outcome.interrupted = True
                break
    except KeyboardInterrupt:
        outcome.interrupted = True
    return outcome


def _gops(result: RunResult) -> float | None:
    """Giga-operations per second (2 per MAC), as the engine reports it."""
    if result.gops is not None:
        return result.gops
    macs, ips = result.model.macs, result.throughput_ips
    return 2 * macs * ips / 1e9 if macs and ips else None


def format_table(results: list[RunResult]) -> str:
    """Latency, throughput, MACs and GOPS per configuration as an aligned text table."""
    header = ("model", "threads", "p50 ms", "p90 ms", "inf/s", "M MACs", "GOPS", "verdict")
    rows = [header]
    for r in results:
        lat = r.latency_ms
        gops = _gops(r)
        status = r.verdict.status + ("" if r.status == "complete" else f" ({r.status})")
        rows.append(
            (
                r.model.name,
                str(r.config.threads),
                f"{lat.p50:.3f}" if lat.count else "-",
                f"{lat.p90:.3f}" if lat.count else "-",
                f"{r.throughput_ips:.2f}",
                f"{r.model.macs / 1e6:.1f}" if r.model.macs else "-",
                f"{gops:.2f}" if gops is not None else "-",
                status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
