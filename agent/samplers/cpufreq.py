"""CPU frequency: the kernel's requested clock (sysfs) and the Pi's real clock (vcgencmd).

sysfs ``scaling_cur_freq`` (kHz) is what the kernel asked for; Raspberry Pi firmware can
run the Arm cores slower than that when it throttles, so on a Pi the real clock comes from
``vcgencmd measure_clock arm`` (Hz). When that works, ``cpu_freq_mhz`` is the real clock
and the sysfs value is kept as ``cpu_freq_req_mhz``; elsewhere ``cpu_freq_mhz`` is sysfs.
On big.LITTLE boards (RK3588) the fastest policy is reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_int, read_text
from edgebench.agent.samplers.base import Sampler, register

_MEASURE_CLOCK = re.compile(r"frequency\(\d+\)=(\d+)")


def parse_measure_clock(text: str) -> int:
    """Parse ``frequency(48)=1500000000`` into hertz; raise ValueError on anything else."""
    match = _MEASURE_CLOCK.search(text)
    if not match:
        raise ValueError(f"not a measure_clock line: {text!r}")
    return int(match.group(1))


def cpufreq_dirs(sys_root: Path) -> list[Path]:
    """Return the cpufreq policy directories (``policyN``, else ``cpuN/cpufreq``)."""
    cpu = sys_root / "devices" / "system" / "cpu"
    policies = sorted((cpu / "cpufreq").glob("policy*"), key=lambda p: p.name)
    if policies:
        return policies
    return sorted(cpu.glob("cpu[0-9]*/cpufreq"), key=lambda p: p.parent.name)


def read_khz_max(dirs: list[Path], filename: str) -> float | None:
    """Return the largest ``filename`` value (kHz) over ``dirs`` in MHz, or None."""
    values = [v for v in (read_int(d / filename) for d in dirs) if v is not None]
    return max(values) / 1000.0 if values else None


def read_governor(sys_root: Path) -> str | None:
    """Return the cpufreq governor of the first policy (e.g. ``ondemand``), or None."""
    for d in cpufreq_dirs(sys_root):
        governor = read_text(d / "scaling_governor")
        if governor:
            return governor
    return None


def vcgencmd_clock_works(ctx: SamplerContext) -> bool:
    """Whether ``vcgencmd measure_clock arm`` answers with a frequency here."""
    text = ctx.vcgencmd.probe("measure_clock", "arm")
    if text is None:
        return False
    try:
        parse_measure_clock(text)
    except ValueError:
        return False
    return True


@register
class CpuFreqSampler(Sampler):
    """The kernel's current cpufreq setting in MHz (fastest policy)."""

    name = "cpufreq"

    def setup(self, ctx: SamplerContext) -> None:
        """Find the policies; the key depends on whether the real clock is available."""
        self._dirs = cpufreq_dirs(ctx.sys_root)
        if read_khz_max(self._dirs, "scaling_cur_freq") is None:
            raise NoData("no readable cpufreq scaling_cur_freq")
        self._key = "cpu_freq_req_mhz" if vcgencmd_clock_works(ctx) else "cpu_freq_mhz"
        self.units = {self._key: "MHz"}
        self.source = f"cpufreq scaling_cur_freq ({len(self._dirs)} policies) as {self._key}"

    def sample(self) -> dict[str, float | None]:
        """Read every policy's scaling_cur_freq once."""
        return {self._key: read_khz_max(self._dirs, "scaling_cur_freq")}


@register
class ArmClockSampler(Sampler):
    """The Raspberry Pi's real Arm clock in MHz from ``vcgencmd measure_clock arm``."""

    name = "arm_clock"
    min_interval_s = 0.5  # each read forks vcgencmd

    def setup(self, ctx: SamplerContext) -> None:
        """Probe the command once."""
        if not vcgencmd_clock_works(ctx):
            raise NoData("vcgencmd measure_clock arm is not available")
        self._vc = ctx.vcgencmd
        self.units = {"cpu_freq_mhz": "MHz"}
        self.source = "vcgencmd measure_clock arm (the real clock)"

    def sample(self) -> dict[str, float | None]:
        """Fork vcgencmd once."""
        try:
            hz = parse_measure_clock(self._vc.run("measure_clock", "arm") or "")
        except ValueError:
            return {"cpu_freq_mhz": None}
        return {"cpu_freq_mhz": hz / 1e6}
