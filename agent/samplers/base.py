"""The sampler plugin interface, the ``NoData`` signal and the registry of built-in samplers.

A sampler is a small object in the shape of a Telegraf input or a node_exporter collector:

* ``setup(ctx)`` runs once, before the measured phase. It validates and probes the source
  and raises :class:`NoData` when the source does not exist on this machine (no thermal
  zone, no ``vcgencmd``, no RAPL). That is logged at debug level and is never an error.
* ``sample()`` runs on every tick of the sampling thread. It does one cheap, non-blocking
  read and returns ``{metric_key: value}``; a value is ``None`` when one read failed.
* ``close()`` releases whatever ``setup`` opened.

Samplers never share state with each other; what they need to know about the board comes
from the :class:`SamplerContext` (config, device facts, file-system roots, ``vcgencmd``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from edgebench.agent.samplers.readers import Vcgencmd

if TYPE_CHECKING:
    from edgebench.agent.config import AgentConfig
    from edgebench.agent.power.select import PowerSelection
    from edgebench.shared.result import DeviceFacts


class NoData(Exception):
    """The sampler's source is absent on this machine (not an error)."""


@dataclass
class SamplerContext:
    """Everything a sampler may look at: config, facts, roots and the ``vcgencmd`` runner."""

    config: AgentConfig
    facts: DeviceFacts | None = None
    vcgencmd: Vcgencmd = field(init=False)
    _power: PowerSelection | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.vcgencmd = Vcgencmd(self.config.vcgencmd)

    def power_selection(self) -> PowerSelection:
        """Return the best measured power source here, chosen once per context."""
        if self._power is None:
            # Imported here: the power package imports this module.
            from edgebench.agent.power.select import select_power_source

            self._power = select_power_source(self)
        return self._power

    @property
    def proc_root(self) -> Path:
        """The procfs root (``/proc`` or a fixture tree)."""
        return Path(self.config.proc_root)

    @property
    def sys_root(self) -> Path:
        """The sysfs root (``/sys`` or a fixture tree)."""
        return Path(self.config.sys_root)


class Sampler:
    """Base class of every sampler; subclasses set ``name`` and ``units`` and override hooks."""

    name: ClassVar[str] = ""
    # The shortest interval between two reads inside the sampling thread. Sources that
    # fork ``vcgencmd`` use it so a 10 Hz session does not fork 10 times a second for a
    # value that changes slowly; the start and stop readings always read every sampler.
    min_interval_s: float = 0.0

    def __init__(self) -> None:
        # Per instance, because some samplers learn their keys in setup (cpuN_util_pct).
        self.units: dict[str, str] = {}
        # Where the readings come from, set by setup (shown by ``edgebench agent facts``).
        self.source = ""

    def setup(self, ctx: SamplerContext) -> None:
        """Validate and probe the source; raise :class:`NoData` when it is absent."""

    def sample(self) -> dict[str, float | None]:
        """Do one cheap read and return ``{metric_key: value}``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``setup`` acquired (nothing by default)."""


S = TypeVar("S", bound=type[Sampler])

# name -> sampler class, in registration (and so sampling) order.
REGISTRY: dict[str, type[Sampler]] = {}


def register(cls: S) -> S:
    """Class decorator: add a sampler class to :data:`REGISTRY` under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"sampler name {cls.name!r} is registered twice")
    REGISTRY[cls.name] = cls
    return cls


SampleCallback = Callable[[dict[str, float | None]], None]
