"""The sampler registry: built-ins are registered once, names are unique and required."""

from __future__ import annotations

import pytest

from edgebench.agent.samplers import REGISTRY
from edgebench.agent.samplers.base import Sampler, register


def test_builtins_are_registered() -> None:
    expected = {"cpu", "cpufreq", "arm_clock", "thermal", "throttle", "memory", "fan", "power"}
    assert expected <= set(REGISTRY)
    assert all(cls.name == name for name, cls in REGISTRY.items())


def test_a_name_is_required() -> None:
    class Nameless(Sampler):
        pass

    with pytest.raises(ValueError, match="no name"):
        register(Nameless)


def test_a_name_cannot_be_taken_twice() -> None:
    class Impostor(Sampler):
        name = "cpu"

    with pytest.raises(ValueError, match="twice"):
        register(Impostor)
