"""``agent run --repeat N``: N trials of one configuration, with a cool-down between them.

Each trial is a complete run (its own ``run_id``, result and MQTT messages), so the
collector can pool or compare them; ``trials`` in each result says where it stands in
the series and carries the between-trial spread so far (the last trial's holds all).
Between trials the board rests ``--cooldown`` seconds and then, with
``--cooldown-temp-delta``, until its temperature is back within that many degrees of the
temperature before the first trial (at most :data:`TEMP_WAIT_MAX_S`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.events import RunListener
from edgebench.agent.engine.options import RunOptions
from edgebench.agent.engine.runner import run_benchmark
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.thermal import ThermalSampler
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import DeviceFacts, RunResult
from edgebench.shared.result_quality import Trials

log = logging.getLogger(__name__)

# The wait for the temperature is bounded: a board in a warm room may never get back.
TEMP_WAIT_MAX_S = 300.0
TEMP_POLL_S = 1.0


@dataclass(frozen=True)
class RepeatPlan:
    """How many trials, and how to cool down between them."""

    count: int
    cooldown_s: float = 0.0
    temp_delta_c: float | None = None

    def validate(self) -> None:
        """Raise EdgebenchError naming the first bad option."""
        if self.count < 1:
            raise EdgebenchError(f"--repeat {self.count}: must be at least 1")
        if not 0 <= self.cooldown_s < float("inf"):
            raise EdgebenchError(f"--cooldown {self.cooldown_s}: must be 0 or more seconds")
        if self.temp_delta_c is not None and not 0 < self.temp_delta_c < float("inf"):
            raise EdgebenchError(
                f"--cooldown-temp-delta {self.temp_delta_c}: must be a positive number of °C"
            )


def temperature_reader(config: AgentConfig, facts: DeviceFacts) -> Callable[[], float | None]:
    """Return a function reading the SoC temperature (always None where there is none)."""
    sampler = ThermalSampler()
    try:
        sampler.setup(SamplerContext(config, facts))
    except NoData:
        return lambda: None
    return lambda: sampler.sample().get("temp_c")


def cool_down(
    plan: RepeatPlan,
    reference_c: float | None,
    read_temp: Callable[[], float | None],
    sleep: Callable[[float], Any] = time.sleep,
) -> float:
    """Rest, then wait for the temperature to come back; return the seconds waited."""
    began = time.monotonic()
    sleep(plan.cooldown_s)
    if plan.temp_delta_c is not None and reference_c is not None:
        while time.monotonic() - began < plan.cooldown_s + TEMP_WAIT_MAX_S:
            now = read_temp()
            if now is None or now <= reference_c + plan.temp_delta_c:
                break
            sleep(TEMP_POLL_S)
    return time.monotonic() - began


def run_trials(  # noqa: PLR0917 -- mirrors run_benchmark's seam
    model: Any,
    options: RunOptions,
    config: AgentConfig,
    facts: DeviceFacts,
    listener: RunListener | None,
    plan: RepeatPlan,
    on_result: Callable[[RunResult], object] | None = None,
) -> list[RunResult]:
    """Run ``plan.count`` trials; stop early after an interrupted one."""
    read_temp = temperature_reader(config, facts)
    reference = read_temp()
    repeat_id = uuid.uuid4().hex
    results: list[RunResult] = []
    waited = 0.0
    for index in range(1, plan.count + 1):
        if index > 1:
            waited = cool_down(plan, reference, read_temp)
        trials = Trials(
            repeat_id=repeat_id,
            index=index,
            count=plan.count,
            cooldown_s=plan.cooldown_s,
            cooldown_temp_delta_c=plan.temp_delta_c,
            waited_s=waited,
            temp_start_c=read_temp() if index > 1 else reference,
            reference_temp_c=reference,
            completed=list(results[-1].trials.completed) if results and results[-1].trials else [],
        )
        result = run_benchmark(model, options, config, facts, listener, trials=trials)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if result.status == "interrupted":
            break
    return results
