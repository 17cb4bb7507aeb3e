"""System memory (``/proc/meminfo``) and this process's resident set (``/proc/self/status``)."""

from __future__ import annotations

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.probe.readers import read_text
from edgebench.agent.samplers.base import Sampler, register

KIB_PER_MB = 1024.0


def parse_kib_fields(text: str) -> dict[str, int]:
    """Return ``{"MemTotal": kB, ...}`` from meminfo- or status-style ``Key: value kB`` text."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        fields = rest.split()
        if fields and fields[0].isdigit():
            out[key.strip()] = int(fields[0])
    return out


def memory_mb(meminfo: dict[str, int]) -> tuple[float | None, float | None, float | None]:
    """Return (total, used, available) in MB; used = MemTotal - MemAvailable."""
    total = meminfo.get("MemTotal")
    available = meminfo.get("MemAvailable")
    if available is None and total is not None:
        # Kernels before 3.14 have no MemAvailable; free + page cache is the usual stand-in.
        parts = [meminfo.get(k) for k in ("MemFree", "Buffers", "Cached")]
        available = sum(p for p in parts if p is not None) if any(parts) else None
    total_mb = total / KIB_PER_MB if total is not None else None
    avail_mb = available / KIB_PER_MB if available is not None else None
    used_mb = total_mb - avail_mb if total_mb is not None and avail_mb is not None else None
    return total_mb, used_mb, avail_mb


@register
class MemorySampler(Sampler):
    """Used and available system memory and the agent's resident set size, in MB."""

    name = "memory"

    def setup(self, ctx: SamplerContext) -> None:
        """Check that /proc/meminfo is readable."""
        self._meminfo = ctx.proc_root / "meminfo"
        self._status = ctx.proc_root / "self" / "status"
        if "MemTotal" not in parse_kib_fields(read_text(self._meminfo) or ""):
            raise NoData(f"{self._meminfo} is missing or has no MemTotal")
        self.source = f"{self._meminfo}, {self._status}"
        self.units = {"mem_used_mb": "MB", "mem_available_mb": "MB", "proc_rss_mb": "MB"}

    def sample(self) -> dict[str, float | None]:
        """Read meminfo and the process status once each."""
        _, used, available = memory_mb(parse_kib_fields(read_text(self._meminfo) or ""))
        rss_kib = parse_kib_fields(read_text(self._status) or "").get("VmRSS")
        rss = rss_kib / KIB_PER_MB if rss_kib is not None else None
        return {"mem_used_mb": used, "mem_available_mb": available, "proc_rss_mb": rss}
