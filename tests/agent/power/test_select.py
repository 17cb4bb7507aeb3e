"""Power-source selection per board: the best source present wins."""

from __future__ import annotations

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.power.select import select_power_source
from edgebench.agent.probe.context import SamplerContext
from tests.fixtures.boards import use_board


@pytest.mark.parametrize(
    ("board", "method"),
    [
        ("pi5", "pmic"),
        ("jetson-orin-jp5", "ina3221"),
        ("jetson-nano-jp4", "ina3221"),
        ("x86-rapl", "rapl"),
        ("pi4", None),
        ("pi3bplus", None),
        ("zero2w", None),
    ],
)
def test_selected_method_per_board(monkeypatch, board: str, method: str | None) -> None:
    selection = select_power_source(SamplerContext(use_board(monkeypatch, board)))
    assert (selection.source.method if selection.source else None) == method


def test_pmic_beats_an_ina219_hat_on_a_pi5(monkeypatch, tmp_path) -> None:
    from tests.fixtures.boards import copy_board

    root = copy_board("pi5", tmp_path)
    hat = root / "pi5" / "sys" / "class" / "hwmon" / "hwmon9"
    hat.mkdir()
    (hat / "name").write_text("ina219\n")
    (hat / "power1_input").write_text("176000\n")
    ctx = SamplerContext(use_board(monkeypatch, "pi5", root))
    selection = select_power_source(ctx, probe_all=True)
    assert selection.source.method == "pmic"
    assert selection.availability["ina2xx"].startswith("available")
    assert selection.availability["rapl"].startswith("no data")


def test_probe_all_reports_every_method(monkeypatch) -> None:
    selection = select_power_source(SamplerContext(use_board(monkeypatch, "pi4")), probe_all=True)
    assert list(selection.availability) == ["pmic", "ina2xx", "ina3221", "rapl", "power_supply"]
    assert all(v.startswith("no data") for v in selection.availability.values())


def test_this_machine_never_errors() -> None:
    selection = select_power_source(SamplerContext(AgentConfig()), probe_all=True)
    assert not [v for v in selection.availability.values() if v.startswith("error")]
