"""Sampler plugins: CPU, frequency, temperature, throttling, memory, fan, power.

Importing this package registers the built-in samplers in :data:`base.REGISTRY`, in the
order they are read on every tick (like Telegraf's ``plugins/inputs/all``). A new sampler
is one module with a ``@register`` class, imported here.
"""

from edgebench.agent.samplers import cpu, cpufreq, fan, memory, power, thermal, throttle
from edgebench.agent.samplers.base import REGISTRY, Sampler, register

__all__ = [
    "REGISTRY",
    "Sampler",
    "cpu",
    "cpufreq",
    "fan",
    "memory",
    "power",
    "register",
    "thermal",
    "throttle",
]
