"""The sampler plugin interface and the registry of built-in samplers.

A sampler is a small object in the shape of a Telegraf input or a node_exporter collector:

* ``setup(ctx)`` runs once, before the measured phase. It validates and probes the source
  and raises ``NoData`` when the source does not exist on this machine (no thermal zone,
  no ``vcgencmd``, no RAPL). That is logged at debug level and is never an error.
* ``sample()`` runs on every tick of the sampling thread. It does one cheap, non-blocking
  read and returns ``{metric_key: value}``; a value is ``None`` when one read failed.
* ``close()`` releases whatever ``setup`` opened.

Samplers never share state with each other; what they need to know about the board comes
from the ``SamplerContext`` (config, device facts, file-system roots, ``vcgencmd``). It and
``NoData`` live in :mod:`edgebench.agent.probe.context`, below both this package and the
power sources, which probe the board the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from edgebench.agent.probe.context import SamplerContext


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
