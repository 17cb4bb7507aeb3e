"""Power and energy of a run with no measured phase: nothing claimed, user settings kept."""

from __future__ import annotations

from edgebench.agent.config import PowerConfig
from edgebench.agent.engine.result_builder import no_window_power


def test_no_window_claims_no_energy_and_keeps_the_configured_grid() -> None:
    power, energy = no_window_power(
        "interrupted", PowerConfig(country_iso_code="FRA", carbon_intensity_g_per_kwh=56.0)
    )
    assert (power.method, power.measured, power.mean_w) == ("none", False, None)
    assert power.note == "interrupted"
    assert energy.joules is None and energy.emissions is None
    assert energy.joules_per_inference is None and energy.inferences_per_joule is None
    assert (energy.country_iso_code, energy.carbon_intensity_g_per_kwh) == ("FRA", 56.0)
