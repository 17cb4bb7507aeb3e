"""Memory readings: real values from /proc, and "unknown" (None) where /proc is missing."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from edgebench.agent.engine import memory


def test_rss_and_peak_from_proc() -> None:
    rss = memory.rss_mb()
    assert rss is not None and rss > 1
    assert memory.peak_rss_mb() >= rss * 0.99


def test_without_proc_rss_is_unknown_and_peak_still_known(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A chroot without /proc mounted: the status file is absent and psutil cannot read.
    monkeypatch.setattr(memory, "_STATUS", tmp_path / "no-proc" / "self" / "status")

    def no_proc(*_args: object) -> psutil.Process:
        raise psutil.NoSuchProcess(0)

    monkeypatch.setattr(psutil, "Process", no_proc)
    assert memory.rss_mb() is None
    assert memory.peak_rss_mb() > 1  # from getrusage, which needs no /proc
