"""Turn a session's rows into the PowerInfo and EnergyInfo blocks of a run result."""

from __future__ import annotations

from collections.abc import Sequence

from edgebench.agent.config import PowerConfig
from edgebench.agent.power.base import PowerSource
from edgebench.agent.power.energy import energy_info, integrate_trapezoid, series
from edgebench.agent.power.estimate import Estimator
from edgebench.shared.result import EnergyInfo, PowerInfo

ESTIMATE_KEY = "power_est_w"
RAM_NOTE = "RAM is not metered separately: CodeCarbon cpu_power holds the whole figure"


def _integrate(
    rows: Sequence[dict[str, float | None]], key: str, start: float, stop: float
) -> float | None:
    """Joules of one power key over the window, or None without readings."""
    points = series(rows, key)
    return integrate_trapezoid(points, start, stop) if points else None


def power_report(
    rows: Sequence[dict[str, float | None]],
    *,
    start: float | None,
    stop: float | None,
    inferences: int,
    power: PowerConfig,
    source: PowerSource | None,
    estimator: Estimator | None,
    counter_j: tuple[float, float] | None = None,
) -> tuple[PowerInfo, EnergyInfo]:
    """Build both blocks; ``counter_j`` is (total, RAM) joules from an energy counter."""
    start = start if start is not None else 0.0
    stop = stop if stop is not None else start
    window = max(stop - start, 0.0)
    key = "power_w" if source is not None else ESTIMATE_KEY
    values = [w for _, w in series(rows, key)]
    ram_j: float | None = None
    if source is not None and counter_j is not None:
        joules, ram_j = counter_j
    else:
        joules = _integrate(rows, key, start, stop)
        if source is not None:
            ram_j = _integrate(rows, "power_ram_w", start, stop)
    if window > 0 and joules is not None:
        mean = joules / window
    else:
        mean = sum(values) / len(values) if values else None
    lo = min(values) if values else None
    hi = max(values) if values else None
    if source is not None:
        notes = [source.note] + ([] if "power_ram_w" in _keys(rows) or ram_j else [RAM_NOTE])
        info = PowerInfo(
            method=source.method,
            measured=True,
            source=source.source,
            mean_w=mean,
            min_w=lo,
            max_w=hi,
            note="; ".join(n for n in notes if n),
        )
        method = f"{source.method} counter" if counter_j is not None else source.method
        return info, energy_info(
            measured=True,
            method=method,
            window_s=window,
            joules=joules,
            ram_joules=ram_j,
            inferences=inferences,
            power=power,
        )
    if estimator is None:
        info = PowerInfo(method="none", measured=False, source="no power data", mean_w=None)
        return info, energy_info(
            measured=False,
            method="none",
            window_s=window,
            joules=None,
            ram_joules=None,
            inferences=inferences,
            power=power,
        )
    info = PowerInfo(
        method="estimate",
        measured=False,
        source=estimator.source,
        mean_w=mean,
        min_w=lo,
        max_w=hi,
        profile=estimator.profile,
        idle_w=estimator.idle_w,
        load_w=estimator.load_w,
        note=f"{estimator.note}; {RAM_NOTE}",
    )
    return info, energy_info(
        measured=False,
        method="estimate",
        window_s=window,
        joules=joules,
        ram_joules=None,
        inferences=inferences,
        power=power,
    )


def _keys(rows: Sequence[dict[str, float | None]]) -> set[str]:
    """Keys that hold at least one value."""
    return {k for row in rows for k, v in row.items() if v is not None}
