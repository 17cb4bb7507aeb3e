"""Energy integration over the window and the CodeCarbon-compatible fields."""

from __future__ import annotations

import msgspec
import pytest

from edgebench.agent.config import PowerConfig
from edgebench.agent.facts import collect_device_facts
from edgebench.agent.power.energy import energy_info, integrate_trapezoid
from edgebench.agent.samplers.session import TelemetrySession
from tests.fixtures.boards import use_board


def test_trapezoid_over_the_window() -> None:
    points = [(10.0, 2.0), (11.0, 4.0), (13.0, 4.0)]
    assert integrate_trapezoid(points, 10.0, 13.0) == pytest.approx(3.0 + 8.0)


def test_edges_are_held_flat_and_outside_points_ignored() -> None:
    points = [(9.0, 100.0), (11.0, 2.0), (12.0, 4.0), (20.0, 100.0)]
    # 1 s at 2 W before the first point, 3 W for 1 s, 1 s at 4 W after the last.
    assert integrate_trapezoid(points, 10.0, 13.0) == pytest.approx(2.0 + 3.0 + 4.0)


def test_one_reading_is_power_times_window() -> None:
    assert integrate_trapezoid([(5.0, 3.0)], 4.0, 8.0) == pytest.approx(12.0)
    with pytest.raises(ValueError, match="no power readings"):
        integrate_trapezoid([], 0.0, 1.0)


def test_a_window_between_readings_takes_the_next_one() -> None:
    # sample_hz 0 or a phase shorter than one period: readings only at the edges.
    assert integrate_trapezoid([(9.0, 2.0), (12.0, 5.0)], 10.0, 11.0) == pytest.approx(5.0)
    assert integrate_trapezoid([(9.0, 2.0)], 10.0, 11.5) == pytest.approx(3.0)


def test_codecarbon_fields() -> None:
    info = energy_info(
        measured=True,
        method="pmic",
        window_s=100.0,
        joules=3.6e6 / 1000,  # 1 Wh
        ram_joules=360.0,
        inferences=3600,
        power=PowerConfig(carbon_intensity_g_per_kwh=475.0, country_iso_code="FRA"),
    )
    assert info.energy_consumed == pytest.approx(0.001)
    assert info.cpu_energy + info.ram_energy == pytest.approx(info.energy_consumed)
    assert info.ram_power == pytest.approx(3.6) and info.cpu_power == pytest.approx(32.4)
    assert info.emissions == pytest.approx(0.001 * 475 / 1000)
    assert info.emissions_rate == pytest.approx(info.emissions / 100.0)
    assert info.joules_per_inference == pytest.approx(1.0)
    assert info.inferences_per_joule == pytest.approx(1.0)
    assert (info.country_iso_code, info.tracking_mode) == ("FRA", "machine")


def test_no_energy_and_no_inferences() -> None:
    empty = energy_info(
        measured=False,
        method="none",
        window_s=1.0,
        joules=None,
        ram_joules=None,
        inferences=5,
        power=PowerConfig(),
    )
    assert empty.joules is None and empty.emissions is None
    zero = energy_info(
        measured=True,
        method="x",
        window_s=1.0,
        joules=2.0,
        ram_joules=None,
        inferences=0,
        power=PowerConfig(),
    )
    assert zero.joules_per_inference is None and zero.ram_energy == 0.0


def test_pi5_session_integrates_pmic_readings(monkeypatch) -> None:
    config = msgspec.structs.replace(use_board(monkeypatch, "pi5"), sample_hz=0.0)
    session = TelemetrySession(config, collect_device_facts(config))
    session.start()
    session.stop()
    power, energy = session.power_and_energy(inferences=50)
    watts = session.samples[0]["power_w"]
    ram_w = session.samples[0]["power_ram_w"]
    assert power.method == "pmic" and power.measured and energy.measured
    assert power.mean_w == pytest.approx(watts)
    assert energy.joules == pytest.approx(watts * energy.window_s)
    assert energy.ram_energy * 3.6e6 == pytest.approx(ram_w * energy.window_s)
    assert energy.cpu_energy + energy.ram_energy == pytest.approx(energy.energy_consumed)
