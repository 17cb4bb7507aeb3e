"""CPU utilisation from /proc/stat: pure parsing and the sampler on a board tree."""

from __future__ import annotations

import pytest

from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.cpu import CpuSampler, parse_proc_stat, utilisation_pct
from tests.fixtures.boards import copy_board, use_board

STAT_A = (
    "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 60 0 20 400 20 0 0 0 0 0\ncpu1 40 0 30 400 30 0 0 0\n"
)
STAT_B = (
    "cpu  250 0 100 850 50 0 0 0 0 0\ncpu0 160 0 40 400 20 0 0 0 0 0\ncpu1 90 0 60 450 30 0 0 0\n"
)


def test_parse_proc_stat_counts_iowait_as_idle() -> None:
    rows = parse_proc_stat(STAT_A)
    assert rows["cpu"] == (150, 1000)
    assert rows["cpu0"] == (80, 500)
    assert set(rows) == {"cpu", "cpu0", "cpu1"}


def test_utilisation_between_two_readings() -> None:
    a, b = parse_proc_stat(STAT_A), parse_proc_stat(STAT_B)
    assert utilisation_pct(a["cpu"], b["cpu"]) == pytest.approx(100 * 200 / 250)
    assert utilisation_pct(a["cpu0"], b["cpu0"]) == pytest.approx(100.0)
    assert utilisation_pct(a["cpu1"], b["cpu1"]) == pytest.approx(100 * 80 / 130)
    assert utilisation_pct(a["cpu"], a["cpu"]) is None


def test_sampler_reports_deltas_on_a_board_tree(monkeypatch, tmp_path) -> None:
    root = copy_board("pi4", tmp_path)
    config = use_board(monkeypatch, "pi4", root)
    sampler = CpuSampler()
    sampler.setup(SamplerContext(config))
    assert set(sampler.units) == {"cpu_util_pct"} | {f"cpu{n}_util_pct" for n in range(4)}
    first = sampler.sample()
    assert all(v is None for v in first.values())  # baseline only
    stat = root / "pi4" / "proc" / "stat"
    stat.write_text(
        "cpu  4400 0 2000 90400 400 0 40 0 0 0\n"
        "cpu0 1400 0 500 22500 100 0 10 0 0 0\n"
        "cpu1 1000 0 500 22600 100 0 10 0 0 0\n"
        "cpu2 1000 0 500 22600 100 0 10 0 0 0\n"
        "cpu3 1000 0 500 22700 100 0 10 0 0 0\n"
    )
    second = sampler.sample()
    assert second["cpu_util_pct"] == pytest.approx(50.0)
    assert second["cpu0_util_pct"] == pytest.approx(100.0)
    assert second["cpu1_util_pct"] == pytest.approx(0.0)


def test_missing_stat_is_no_data(monkeypatch, tmp_path) -> None:
    config = use_board(monkeypatch, "pi4", tmp_path)  # an empty tree
    with pytest.raises(NoData):
        CpuSampler().setup(SamplerContext(config))
