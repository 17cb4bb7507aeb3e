"""Terminal output of a run: the human summary (stdout) and live progress (stderr)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from edgebench.agent.power.estimate import GENERIC_SOURCE
from edgebench.shared.result import (
    EnergyInfo,
    ModelInfo,
    PowerInfo,
    RunConfig,
    RunResult,
)
from edgebench.shared.result_quality import BusyInfo, SpreadInfo

# Without a TTY, print a progress line at most this often (log files stay short).
SPARSE_INTERVAL_S = 10.0
# Metrics shown in the summary's telemetry line, in this order.
_TELEMETRY_KEYS = ("temp_c", "cpu_freq_mhz", "cpu_util_pct", "power_w", "proc_rss_mb")


def _fmt(value: float | None, spec: str = ".3g", unit: str = "") -> str:
    """Format an optional number, '-' when absent."""
    return "-" if value is None else f"{value:{spec}}{unit}"


def _delegate(config: RunConfig) -> str:
    """Describe what XNNPACK did, next to what was asked."""
    if not config.xnnpack_requested:
        return "XNNPACK off (--no-xnnpack)"
    return "XNNPACK applied" if config.xnnpack_applied else "XNNPACK requested, NOT applied"


def power_line(power: PowerInfo, energy: EnergyInfo) -> str | None:
    """Mean power and energy per inference, saying how the watts were obtained."""
    if power.mean_w is None:
        return None
    if power.measured:
        how = f"measured, {power.method}"
    elif power.source.startswith(GENERIC_SOURCE):
        how = power.source
    else:
        how = f"estimate from {power.source}"
    per = energy.joules_per_inference
    return f"{power.mean_w:.2f} W ({how})" + (f", {per * 1e3:.3f} mJ/inference" if per else "")


def format_summary(result: RunResult) -> str:
    """Return the multi-line human summary of a run."""
    model, cfg, timing, lat = result.model, result.config, result.timing, result.latency_ms
    macs = f", {model.macs / 1e6:.0f} M MACs" if model.macs else ""
    lines = [
        f"Run        {result.run_id} ({result.status})",
        f"Model      {model.name} ({model.source}, {model.size_bytes / 1e6:.2f} MB{macs})",
        f"Backend    {cfg.backend} {cfg.backend_version}, {cfg.threads} threads, {_delegate(cfg)}",
        f"Inputs     {cfg.input_source}"
        + (f" from {cfg.images_dir}" if cfg.images_dir else f" (seed {cfg.seed})")
        + (f", paced at {cfg.rate_hz:g} Hz" if cfg.rate_hz else ""),
        f"Timing     init {timing.init_ms:.2f} ms, first inference"
        f" {_fmt(timing.first_inference_ms, '.3f', ' ms')}, warm-up {timing.warmup_count} runs"
        f" mean {_fmt(timing.warmup_mean_ms, '.3f', ' ms')}",
    ]
    if timing.preprocess_ms is not None:
        mean = _fmt(timing.preprocess_ms.mean, ".3f", " ms")
        lines.append(f"Preprocess {mean} mean per image (not timed)")
    if lat.count:
        lines.append(
            f"Latency    {lat.count} runs in {timing.measured_duration_s:.2f} s: mean"
            f" {lat.mean:.3f} ms (std {lat.std:.3f}), min {lat.min:.3f}, p50 {lat.p50:.3f},"
            f" p90 {lat.p90:.3f}, p95 {lat.p95:.3f}, p99 {lat.p99:.3f}, p99.9 {lat.p999:.3f},"
            f" max {lat.max:.3f}"
        )
    else:
        lines.append("Latency    no measured runs")
    lines.extend(_uncertainty_lines(result))
    gops = f", {result.gops:.2f} GOPS" if result.gops else ""
    lines.append(f"Throughput {result.throughput_ips:.2f} inferences/s{gops}")
    mem = result.memory
    lines.append(
        f"Memory     RSS {_fmt(mem.rss_before_load_mb, '.1f', ' MB')} before load,"
        f" {_fmt(mem.rss_after_load_mb, '.1f', ' MB')} after, peak {mem.peak_rss_mb:.1f} MB"
    )
    shown = [
        f"{key} {_fmt(s.mean)}/{_fmt(s.max)}{s.unit and ' ' + s.unit}"
        for key in _TELEMETRY_KEYS
        if (s := result.samples_summary.get(key)) is not None and s.count
    ]
    if shown:
        lines.append("Telemetry  mean/max: " + ", ".join(shown))
    power_text = power_line(result.power, result.energy)
    if power_text:
        lines.append(f"Power      {power_text}")
    if result.accuracy is not None:
        lines.extend(_accuracy_lines(result))
    if result.busy is not None:
        lines.append(f"Busy guard {busy_line(result.busy)}")
    verdict = result.verdict
    lines.append(
        f"Verdict    {verdict.status}"
        + (": " + "; ".join(verdict.reasons) if verdict.reasons else "")
    )
    lines.extend(f"Warning    {warning}" for warning in result.warnings)
    return "\n".join(lines)


def _pair(pair: tuple[float, float] | list[float], spec: str = ".3f") -> str:
    """Format an interval as ``[lo, hi]``."""
    return f"[{pair[0]:{spec}}, {pair[1]:{spec}}]"


def _uncertainty_lines(result: RunResult) -> list[str]:
    """Return the 95 % interval, --target-ci and --repeat lines."""
    lat, ci, lines = result.latency_ms, result.latency_ms.ci95, []
    if ci is not None:
        throughput = (
            f", throughput {result.throughput_ips:.2f} {_pair(ci.throughput_ips, '.2f')} inf/s"
            if ci.throughput_ips is not None
            else ""
        )
        lines.append(
            f"95 % CI    p50 {lat.p50:.3f} ms {_pair(ci.p50)}, p90 {lat.p90:.3f} {_pair(ci.p90)},"
            f" p99 {lat.p99:.3f} {_pair(ci.p99)}{throughput}"
            f" (block bootstrap, block {ci.block_length})"
        )
    target = result.target_ci
    if target is not None:
        got = "-" if target.half_width_pct is None else f"±{target.half_width_pct:.2f} %"
        state = "reached" if target.reached else "NOT reached by --max-secs"
        lines.append(
            f"Target CI  p50 {got} for a target of ±{target.pct:g} %: {state}"
            f" ({target.checks} checks)"
        )
    trials = result.trials
    if trials is not None:
        temp = "" if trials.temp_start_c is None else f", start {trials.temp_start_c:.1f} °C"
        lines.append(
            f"Trial      {trials.index} of {trials.count} (cool-down {trials.waited_s:.1f} s{temp})"
        )
    return lines


def busy_line(busy: BusyInfo) -> str:
    """Other processes' CPU before and during the run, and what the guard made of it."""
    before = _fmt(busy.other_cpu_pct_before, ".1f", " %")
    during = _fmt(busy.other_cpu_pct_during, ".1f", " %")
    if busy.busy or busy.contended:
        state = "BUSY" if busy.busy else "CONTENDED"
        state += " (allowed by --allow-busy)" if busy.allowed else ""
    else:
        state = "quiet"
    waited = f", waited {busy.waited_s:.0f} s" if busy.waited_s >= 1 else ""
    return (
        f"other processes {before} of a core before{waited}, {during} during"
        f" (threshold {busy.threshold_pct:g} %): {state}"
    )


def _spread_text(name: str, spread: SpreadInfo | None, spec: str, unit: str) -> str:
    """One figure's spread over the trials."""
    if spread is None:
        return f"{name} -"
    return (
        f"{name} {spread.min:{spec}}-{spread.max:{spec}}{unit}"
        f" (range {spread.range_pct:.1f} %, CV {spread.cv_pct:.1f} %)"
    )


def format_trials(result: RunResult) -> str:
    """Return the between-trial spread of a --repeat series, beside each trial's interval."""
    trials = result.trials
    if trials is None:
        return ""
    lines = [
        f"Trials     {len(trials.completed)} of {trials.count} (repeat {trials.repeat_id[:8]})"
    ]
    for trial in trials.completed:
        ci = _pair(trial.p50_ci95) if trial.p50_ci95 is not None else ""
        lines.append(
            f"  trial {trial.index}: p50 {_fmt(trial.p50_ms, '.3f', ' ms')} {ci},"
            f" {trial.throughput_ips:.2f} inf/s"
        )
    lines.append(
        "Between    "
        + _spread_text("p50", trials.p50_spread, ".3f", " ms")
        + "; "
        + _spread_text("throughput", trials.throughput_spread, ".2f", " inf/s")
    )
    return "\n".join(lines)


def _accuracy_lines(result: RunResult) -> list[str]:
    """Accuracy totals and one line per image."""
    acc = result.accuracy
    assert acc is not None
    if acc.top1 is not None and acc.top5 is not None:
        head = f"Accuracy   top-1 {acc.top1:.1%}, top-5 {acc.top5:.1%} over {acc.images} images"
    else:
        head = f"Accuracy   {acc.images} images (no expected labels given)"
    lines = [head]
    for item in acc.per_image:
        best = item.top5[0]
        mark = {True: "ok", False: f"WRONG (expected {item.expected})", None: ""}[item.top1_correct]
        lines.append(f"  {item.image}: {best.label} ({best.score:.2f}) {mark}".rstrip())
    return lines


def format_oneline(result: RunResult) -> str:
    """Return a one-line result (for --quiet)."""
    lat = result.latency_ms
    ci = f" {_pair(lat.ci95.p50)}" if lat.ci95 is not None else ""
    return (
        f"{result.model.name}: p50 {_fmt(lat.p50, '.3f', ' ms')}{ci},"
        f" p90 {_fmt(lat.p90, '.3f', ' ms')},"
        f" {result.throughput_ips:.2f} inf/s, {result.verdict.status} ({result.status})"
    )


class TerminalProgress:
    """A RunListener that shows progress on stderr: a live line on a TTY, sparse lines else."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._phase = ""
        self._last_print = 0.0
        self._line_open = False

    def _write(self, text: str) -> None:
        """Write a live (overwritten) line on a TTY or a normal line otherwise."""
        if self.live:
            self.stream.write("\r\x1b[2K" + text)
            self._line_open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _end_line(self) -> None:
        """Finish a live line so later output starts on a fresh line."""
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False

    def run_started(self, run_id: str, model: ModelInfo, config: RunConfig) -> None:
        """Announce the run."""
        self._phase = ""
        self._write(
            f"edgebench: {model.name} on {config.backend} {config.backend_version},"
            f" {config.threads} threads, {_delegate(config)} (run {run_id[:8]})"
        )
        self._end_line()

    def progress(self, run_id: str, phase: str, done: int, elapsed_s: float) -> None:
        """Update the live line, or print when a phase changes / every few seconds."""
        now = time.monotonic()
        text = f"  {phase}: {done} runs, {elapsed_s:.1f} s"
        if phase == "accuracy":
            text = f"  accuracy: {done} images classified"
        if self.live:
            if phase != self._phase:
                self._end_line()
            self._write(text)
        elif phase != self._phase or now - self._last_print >= SPARSE_INTERVAL_S:
            self._write(text)
            self._last_print = now
        self._phase = phase

    def samples(self, run_id: str, rows: list[dict[str, float | None]]) -> None:
        """Telemetry is shown in the summary, not while running."""

    def finished(self, result: RunResult) -> None:
        """Close the live line."""
        self._end_line()

    def failed(self, run_id: str, error: str) -> None:
        """Close the live line (the CLI prints the error)."""
        self._end_line()

    def close(self) -> None:
        """Close the live line."""
        self._end_line()
