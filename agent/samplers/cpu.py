"""CPU utilisation, total and per core, from ``/proc/stat`` tick deltas."""

from __future__ import annotations

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_text
from edgebench.agent.samplers.base import Sampler, register

# Columns of a /proc/stat cpu line: user nice system idle iowait irq softirq steal guest
# guest_nice. guest time is already counted in user/nice, so it is left out of the total.
_IDLE_COLUMNS = (3, 4)
_TOTAL_COLUMNS = 8


def parse_proc_stat(text: str) -> dict[str, tuple[int, int]]:
    """Return ``{"cpu": (busy, total), "cpu0": ...}`` in clock ticks from /proc/stat text."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        if not line.startswith("cpu"):
            continue
        parts = line.split()
        try:
            ticks = [int(v) for v in parts[1 : 1 + _TOTAL_COLUMNS]]
        except ValueError:
            continue
        total = sum(ticks)
        idle = sum(ticks[i] for i in _IDLE_COLUMNS if i < len(ticks))
        out[parts[0]] = (total - idle, total)
    return out


def utilisation_pct(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Busy share of the ticks between two readings, in percent (None when no tick passed)."""
    busy = after[0] - before[0]
    total = after[1] - before[1]
    if total <= 0 or busy < 0:
        return None
    return max(0.0, min(100.0, 100.0 * busy / total))


def util_key(name: str) -> str:
    """Map a /proc/stat row name to its sample key (``cpu`` -> ``cpu_util_pct``)."""
    return "cpu_util_pct" if name == "cpu" else f"{name}_util_pct"


@register
class CpuSampler(Sampler):
    """Total and per-core CPU utilisation since the previous read."""

    name = "cpu"

    def setup(self, ctx: SamplerContext) -> None:
        """Check that /proc/stat is readable and learn the core names."""
        self._path = ctx.proc_root / "stat"
        text = read_text(self._path)
        rows = parse_proc_stat(text or "")
        if "cpu" not in rows:
            raise NoData(f"{self._path} is missing or has no cpu line")
        self.units = {util_key(name): "%" for name in rows}
        self.source = f"{self._path} ({len(rows) - 1} cores)"
        # The first read only sets the baseline, so its utilisation is None.
        self._last: dict[str, tuple[int, int]] | None = None

    def sample(self) -> dict[str, float | None]:
        """Return utilisation since the last call (None for every key on the first)."""
        rows = parse_proc_stat(read_text(self._path) or "")
        last, self._last = self._last, rows or self._last
        out: dict[str, float | None] = dict.fromkeys(self.units)
        if last is None or not rows:
            return out
        for name, now in rows.items():
            key = util_key(name)
            if key in out and name in last:
                out[key] = utilisation_pct(last[name], now)
        return out
