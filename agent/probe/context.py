"""What a sampler or power source may look at (:class:`SamplerContext`) and ``NoData``.

Samplers (:mod:`edgebench.agent.samplers`) and measured power sources
(:mod:`edgebench.agent.power`) both probe the board through this context and signal an
absent source with :class:`NoData`, so both packages import it from here, below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edgebench.agent.probe.readers import Vcgencmd

if TYPE_CHECKING:
    from edgebench.agent.config import AgentConfig
    from edgebench.shared.result import DeviceFacts


class NoData(Exception):
    """The source (a sampler's or a power source's) is absent on this machine (not an error)."""


@dataclass
class SamplerContext:
    """Everything a probe may look at: config, facts, roots and the ``vcgencmd`` runner."""

    config: AgentConfig
    facts: DeviceFacts | None = None
    vcgencmd: Vcgencmd = field(init=False)

    def __post_init__(self) -> None:
        self.vcgencmd = Vcgencmd(self.config.vcgencmd)

    @property
    def proc_root(self) -> Path:
        """The procfs root (``/proc`` or a fixture tree)."""
        return Path(self.config.proc_root)

    @property
    def sys_root(self) -> Path:
        """The sysfs root (``/sys`` or a fixture tree)."""
        return Path(self.config.sys_root)
