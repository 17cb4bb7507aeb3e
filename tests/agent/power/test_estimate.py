"""Board profiles and the labelled estimate: formula, calibration, generic fallback."""

from __future__ import annotations

import statistics

import msgspec
import pytest

from edgebench.agent.config import AgentConfig, PowerConfig
from edgebench.agent.facts import collect_device_facts
from edgebench.agent.power.estimate import make_estimator
from edgebench.agent.power.profiles import PROFILES, generic_profile, profile_table_markdown
from edgebench.agent.samplers.session import TelemetrySession
from edgebench.shared.errors import EdgebenchError
from tests.fixtures.boards import copy_board, use_board


def facts_of(monkeypatch, board: str):
    return collect_device_facts(use_board(monkeypatch, board))


@pytest.mark.parametrize(
    ("board", "idle", "load"),
    [("pi4", 2.7, 6.4), ("pi3bplus", 1.9, 5.1), ("zero2w", 0.6, 2.1), ("pi5", 3.3, 9.8)],
)
def test_board_figures_come_from_the_profile(monkeypatch, board, idle, load) -> None:
    estimator = make_estimator(AgentConfig(), facts_of(monkeypatch, board))
    assert (estimator.idle_w, estimator.load_w) == (idle, load)
    assert estimator.watts(0.0, None) == idle
    assert estimator.watts(100.0, None) == pytest.approx(load)
    assert "estimate, not measured" in estimator.note


def test_formula_scales_with_utilisation_and_clock(monkeypatch) -> None:
    estimator = make_estimator(AgentConfig(), facts_of(monkeypatch, "pi4"))  # max 1500 MHz
    assert estimator.watts(50.0, 1500.0) == pytest.approx(2.7 + 3.7 * 0.5)
    assert estimator.watts(100.0, 750.0) == pytest.approx(2.7 + 3.7 * 0.5)
    assert estimator.watts(100.0, 3000.0) == pytest.approx(6.4)  # clamped
    assert estimator.watts(None, 1500.0) is None


def test_user_calibration_overrides_the_profile(monkeypatch) -> None:
    config = AgentConfig(power=PowerConfig(idle_w=2.0, load_w=4.0))
    estimator = make_estimator(config, facts_of(monkeypatch, "pi4"))
    assert estimator.source == "user calibration power.idle_w / power.load_w"
    assert estimator.watts(100.0, None) == 4.0


def test_profile_override_and_unknown_profile(monkeypatch) -> None:
    facts = facts_of(monkeypatch, "x86-rapl")
    assert make_estimator(AgentConfig(power=PowerConfig(profile="pi5-d0")), facts).idle_w == 2.4
    with pytest.raises(EdgebenchError, match="not a board profile"):
        make_estimator(AgentConfig(power=PowerConfig(profile="pi9")), facts)


def test_board_without_profile_gets_a_flagged_generic_estimate(monkeypatch) -> None:
    estimator = make_estimator(AgentConfig(), facts_of(monkeypatch, "jetson-nano-jp4"))
    generic = generic_profile()
    assert estimator.profile == "generic"
    assert "generic estimate" in estimator.note
    assert estimator.source.startswith("generic estimate: no power profile for board ")
    assert generic.idle_w == statistics.median(p.idle_w for p in PROFILES.values())
    assert generic.load_w < 85  # never CodeCarbon's generic TDP


def test_profile_table_lists_every_profile() -> None:
    table = profile_table_markdown()
    for key in [*PROFILES, "generic"]:
        assert f"| `{key}` |" in table


def test_docs_show_the_same_table() -> None:
    from tests.conftest import ROOT

    assert profile_table_markdown() in (ROOT / "docs" / "power.md").read_text()


def test_estimate_session_on_a_pi4(monkeypatch, tmp_path) -> None:
    root = copy_board("pi4", tmp_path)
    config = msgspec.structs.replace(use_board(monkeypatch, "pi4", root), sample_hz=0.0)
    session = TelemetrySession(config, collect_device_facts(config))
    session.start()
    stat = root / "pi4" / "proc" / "stat"
    stat.write_text("cpu  4100 0 2000 90100 400 0 40 0 0 0\n")  # 50 % busy since start
    session.stop()
    assert session.samples[0]["power_est_w"] is None  # no utilisation yet
    power, energy = session.power_and_energy(inferences=10)
    assert power.method == "estimate" and not power.measured and not energy.measured
    assert power.profile == "pi4" and (power.idle_w, power.load_w) == (2.7, 6.4)
    expected_w = 2.7 + 3.7 * 0.5  # real clock 1500 of 1500 MHz
    assert power.mean_w == pytest.approx(expected_w)
    assert energy.joules == pytest.approx(expected_w * energy.window_s)
    assert energy.ram_power == 0.0 and "RAM is not metered" in power.note
