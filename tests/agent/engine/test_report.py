"""The summary's power line says how the watts were obtained (measured or which estimate)."""

from __future__ import annotations

import msgspec

from edgebench.agent.config import AgentConfig, PowerConfig
from edgebench.agent.engine.report import power_line
from edgebench.agent.power.energy import energy_info
from edgebench.agent.power.estimate import make_estimator
from edgebench.shared.result import PowerInfo


def _energy(joules: float | None):
    return energy_info(
        measured=False,
        method="estimate",
        window_s=2.0,
        joules=joules,
        ram_joules=None,
        inferences=100,
        power=PowerConfig(),
    )


def _estimate(estimator) -> PowerInfo:
    return PowerInfo(
        method="estimate", measured=False, source=estimator.source, mean_w=5.0, profile="x"
    )


def test_measured_power_names_its_method():
    power = PowerInfo(method="pmic", measured=True, source="vcgencmd pmic_read_adc", mean_w=4.5)
    assert power_line(power, _energy(9.0)) == "4.50 W (measured, pmic), 90.000 mJ/inference"


def test_estimates_say_which_profile_or_that_they_are_generic():
    pi4 = make_estimator(AgentConfig(), msgspec.structs.replace(_facts(), board_profile="pi4"))
    line = power_line(_estimate(pi4), _energy(10.0))
    assert line.startswith("5.00 W (estimate from board profile pi4 (")
    unknown = make_estimator(AgentConfig(), msgspec.structs.replace(_facts(), board_profile="acme"))
    line = power_line(_estimate(unknown), _energy(None))
    assert line == "5.00 W (generic estimate: no power profile for board acme)"


def test_no_power_no_line():
    power = PowerInfo(method="none", measured=False, source="", mean_w=None)
    assert power_line(power, _energy(None)) is None


def _facts():
    from edgebench.agent.facts import collect_device_facts

    return collect_device_facts(AgentConfig())
