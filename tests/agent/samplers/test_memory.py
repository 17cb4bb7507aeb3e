"""System memory and process RSS from /proc/meminfo and /proc/self/status."""

from __future__ import annotations

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.memory import MemorySampler, memory_mb, parse_kib_fields
from tests.fixtures.boards import use_board


def test_parse_meminfo_and_used_is_total_minus_available() -> None:
    fields = parse_kib_fields("MemTotal:  2048 kB\nMemFree:  512 kB\nMemAvailable: 1024 kB\n")
    assert fields == {"MemTotal": 2048, "MemFree": 512, "MemAvailable": 1024}
    assert memory_mb(fields) == (2.0, 1.0, 1.0)


def test_old_kernels_without_memavailable_use_free_plus_cache() -> None:
    text = "MemTotal: 4096 kB\nMemFree: 1024 kB\nBuffers: 512 kB\nCached: 512 kB"
    fields = parse_kib_fields(text)
    assert memory_mb(fields) == (4.0, 2.0, 2.0)


def test_sampler_on_pi4_tree(monkeypatch) -> None:
    sampler = MemorySampler()
    sampler.setup(SamplerContext(use_board(monkeypatch, "pi4")))
    row = sampler.sample()
    assert row["mem_used_mb"] == pytest.approx((3884000 - 3500000) / 1024)
    assert row["mem_available_mb"] == pytest.approx(3500000 / 1024)
    assert row["proc_rss_mb"] == pytest.approx(40.0)


def test_real_machine_reports_this_process_rss() -> None:
    from edgebench.agent.config import AgentConfig

    sampler = MemorySampler()
    sampler.setup(SamplerContext(AgentConfig()))
    row = sampler.sample()
    assert row["proc_rss_mb"] is not None and row["proc_rss_mb"] > 1
    assert row["mem_available_mb"] is not None and row["mem_available_mb"] > 0


def test_empty_tree_is_no_data(monkeypatch, tmp_path) -> None:
    with pytest.raises(NoData):
        MemorySampler().setup(SamplerContext(use_board(monkeypatch, "x", tmp_path)))
