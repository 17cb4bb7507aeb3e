"""Expand a campaign spec into ordered jobs, and estimate how long they take (pure).

Every device runs every configuration (model × backend × threads) ``repetitions`` times.
The order on a device is one of:

- ``sequential``: all repetitions of one configuration, then the next;
- ``interleaved``: one round through every configuration per repetition;
- ``shuffled`` (the default): interleaved, each round in a new random order drawn from
  the campaign's seed. As ``benchmark_model_performance_options`` shuffles its runs, a
  slow drift of the board (heat, a background job) then spreads over every
  configuration instead of favouring the ones that happened to run first.

All devices get the same order, so their results line up. The duration estimate knows
only the options (a model's speed on a board is what the campaign measures): per job a
fixed overhead (load, interpreter set-up, publishing) plus warm-up and the measured
phase's minimum time or, when ``rate_hz`` paces it, ``runs / rate_hz``; plus the
cool-down between jobs. Devices work in parallel, so the campaign takes as long as its
busiest device.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from edgebench.collector.campaigns.spec import CampaignSpec

# Loading the model, building the interpreter, the busy check, publishing: about this
# much per run on a Pi 4 with a small model (docs/campaigns.md, "Estimate").
JOB_OVERHEAD_S = 3.0
# RunOptions' defaults (agent/engine/options.py) for the options the estimate reads.
DEFAULT_WARMUP_SECS = 0.5
DEFAULT_MIN_SECS = 1.0
DEFAULT_RUNS = 64
DEFAULT_MAX_SECS = 150.0


@dataclass(frozen=True)
class Configuration:
    """One combination of the campaign's axes."""

    model: str | None
    backend: str
    threads: int | None


@dataclass(frozen=True)
class JobPlan:
    """One job before it is stored: which device runs which configuration, and when."""

    device_id: str
    model: str | None
    backend: str
    threads: int | None
    repetition: int
    position: int


@dataclass(frozen=True)
class Estimate:
    """How long a campaign should take: the busiest device, and each device."""

    total_s: float
    per_device_s: dict[str, float]
    job_s: float


def configurations(spec: CampaignSpec) -> list[Configuration]:
    """Return the spec's configurations, models outermost (the order they were given)."""
    return [
        Configuration(model, backend, threads)
        for model in spec.models
        for backend in spec.backends
        for threads in spec.threads
    ]


def job_order(spec: CampaignSpec, seed: int) -> list[tuple[int, Configuration]]:
    """Return ``(repetition, configuration)`` in the order every device runs them."""
    configs = configurations(spec)
    reps = range(1, spec.repetitions + 1)
    if spec.order == "sequential":
        return [(rep, config) for config in configs for rep in reps]
    rng = random.Random(seed)
    order: list[tuple[int, Configuration]] = []
    for rep in reps:
        round_ = list(configs)
        if spec.order == "shuffled":
            rng.shuffle(round_)
        order += [(rep, config) for config in round_]
    return order


def plan_jobs(spec: CampaignSpec, device_ids: list[str], seed: int) -> list[JobPlan]:
    """Return every job of the campaign on ``device_ids``, positions counting from 0."""
    order = job_order(spec, seed)
    return [
        JobPlan(device, c.model, c.backend, c.threads, rep, position)
        for device in device_ids
        for position, (rep, c) in enumerate(order)
    ]


def expected_job_s(options: dict[str, Any]) -> float:
    """Return the expected seconds of one run with these options (see the module doc)."""
    warmup = _number(options.get("warmup_secs"), DEFAULT_WARMUP_SECS)
    measured = _number(options.get("min_secs"), DEFAULT_MIN_SECS)
    rate = _number(options.get("rate_hz"), 0.0)
    if rate > 0:
        measured = max(measured, _number(options.get("runs"), DEFAULT_RUNS) / rate)
    max_secs = options.get("max_secs")
    if isinstance(max_secs, int | float) and not isinstance(max_secs, bool):
        measured = min(measured, float(max_secs))
    return JOB_OVERHEAD_S + warmup + measured


def longest_job_s(options: dict[str, Any]) -> float:
    """Return how long one run with these options may take at most (``max_secs`` caps it)."""
    warmup = _number(options.get("warmup_secs"), DEFAULT_WARMUP_SECS)
    measured = _number(options.get("max_secs"), DEFAULT_MAX_SECS)
    if options.get("profile_ops"):
        measured *= 2  # the per-op profile times the model again, op by op
    return JOB_OVERHEAD_S + warmup + measured


def estimate(spec: CampaignSpec, jobs: list[JobPlan]) -> Estimate:
    """Return the duration estimate of ``jobs`` (cool-downs between a device's jobs)."""
    job_s = expected_job_s(spec.options)
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.device_id] = counts.get(job.device_id, 0) + 1
    per_device = {
        device: n * job_s + max(0, n - 1) * spec.cooldown_s for device, n in counts.items()
    }
    return Estimate(max(per_device.values(), default=0.0), per_device, job_s)


def command_options(spec_options: dict[str, Any], backend: str, threads: int | None) -> dict:
    """Return a job's command options: the campaign's options plus its backend and threads."""
    options = {**spec_options, "backend": backend}
    if threads is not None:
        options["threads"] = threads
    return options


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default
