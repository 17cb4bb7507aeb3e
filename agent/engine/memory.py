"""Resident memory of this process: current RSS and the kernel's high-water mark."""

from __future__ import annotations

from pathlib import Path

_STATUS = Path("/proc/self/status")


def _status_kb(key: str) -> float | None:
    """Read one ``kB`` line (``VmRSS``, ``VmHWM``) from /proc/self/status."""
    try:
        text = _STATUS.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return None


def rss_mb() -> float | None:
    """Return the current resident set size in MB (MiB, 2^20 bytes, like /proc), or None.

    None where no source can tell (no /proc mounted, e.g. a bare chroot): the result says
    "unknown" rather than guessing.
    """
    kb = _status_kb("VmRSS")
    if kb is not None:
        return kb / 1024
    import psutil

    try:
        return psutil.Process().memory_info().rss / 2**20
    except (psutil.Error, OSError):
        return None


def peak_rss_mb() -> float:
    """Return the peak resident set size so far in MB (VmHWM, or ru_maxrss)."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    import resource

    # ru_maxrss is in kB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
