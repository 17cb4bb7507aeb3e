"""Carbon intensity: the user's figure wins, else the world average, which only WLD may use."""

from __future__ import annotations

import pytest

from edgebench.agent.config import WORLD_G_PER_KWH, AgentConfig, PowerConfig
from edgebench.agent.power.carbon import carbon_intensity
from edgebench.agent.power.energy import energy_info
from edgebench.shared.config import load_config
from edgebench.shared.errors import ConfigError, EdgebenchError


def test_the_explicit_figure_wins_and_wld_defaults_to_the_world_average() -> None:
    assert carbon_intensity("WLD", None) == WORLD_G_PER_KWH == 475.0
    assert carbon_intensity("wld", None) == 475.0  # codes are case-insensitive
    assert carbon_intensity("FRA", 56.0) == 56.0
    assert carbon_intensity("FRA", 0.0) == 0.0  # zero is a figure, not "unset"


def test_another_country_without_a_figure_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError, match=r"'FRA' needs power\.carbon_intensity_g_per_kwh"):
        load_config(AgentConfig, section="agent", env={"EDGEBENCH_POWER__COUNTRY_ISO_CODE": "FRA"})
    with pytest.raises(EdgebenchError, match=r"'FRA' needs power\.carbon_intensity_g_per_kwh"):
        carbon_intensity("FRA", None)
    config = load_config(
        AgentConfig,
        section="agent",
        env={
            "EDGEBENCH_POWER__COUNTRY_ISO_CODE": "FRA",
            "EDGEBENCH_POWER__CARBON_INTENSITY_G_PER_KWH": "56",
        },
    )
    assert config.power.carbon_intensity_g_per_kwh == 56.0


def _emissions(power: PowerConfig) -> tuple[float | None, float, str]:
    info = energy_info(
        measured=True,
        method="pmic",
        window_s=10.0,
        joules=3.6e6,  # 1 kWh
        ram_joules=None,
        inferences=100,
        power=power,
    )
    return info.emissions, info.carbon_intensity_g_per_kwh, info.country_iso_code


def test_energy_uses_the_users_figure_and_records_the_country() -> None:
    emissions, intensity, country = _emissions(
        PowerConfig(country_iso_code="FRA", carbon_intensity_g_per_kwh=100.0)
    )
    assert (intensity, country) == (100.0, "FRA")
    assert emissions == pytest.approx(0.1)  # kg for 1 kWh


def test_energy_without_a_figure_uses_the_world_average() -> None:
    emissions, intensity, country = _emissions(PowerConfig())
    assert (intensity, country) == (475.0, "WLD")
    assert emissions == pytest.approx(0.475)
