"""The agent's one typed configuration object (defaults, TOML, ``EDGEBENCH_*``, flags)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from edgebench.shared.config import load_config
from edgebench.shared.mqtt_config import MqttConfig

# CodeCarbon's world average carbon intensity (IEA Global Energy & CO2 Status Report 2019;
# CodeCarbon methodology.md), its default when nothing is known of the grid.
WORLD = "WLD"
WORLD_G_PER_KWH = 475.0


def intensity_needed(country: str) -> str:
    """Say why a country other than WLD needs a carbon intensity of the user's own."""
    return (
        f"power.country_iso_code {country!r} needs power.carbon_intensity_g_per_kwh: "
        f"edgebench knows only the world average ({WORLD}, {WORLD_G_PER_KWH:g} gCO2eq/kWh); "
        "look up your grid's figure (e.g. CodeCarbon's or Our World in Data's per-country table)"
    )


def _default_state_dir() -> Path:
    """Where the agent keeps its outbox and caches unless configured otherwise."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "edgebench"


def _default_cache_dir() -> Path:
    """Where generated and fetched models are cached unless configured otherwise."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "edgebench"


class PowerConfig(msgspec.Struct, frozen=True):
    """Power estimation settings: board profile override and a user calibration."""

    # Name of a board profile from edgebench.agent.power.profiles, or "" to detect.
    profile: str = ""
    # A user calibration (measured with a meter) overrides the profile's figures.
    idle_w: float | None = None
    load_w: float | None = None
    # gCO2eq/kWh of the board's electricity; None: the world average, for WLD only.
    carbon_intensity_g_per_kwh: float | None = None
    # Where the board is (ISO 3166-1 alpha-3, CodeCarbon's field), recorded in the result.
    country_iso_code: str = WORLD

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = []
        if (self.idle_w is None) != (self.load_w is None):
            errors.append("power: idle_w and load_w must be given together")
        if (
            self.idle_w is not None
            and self.load_w is not None
            and not 0 <= self.idle_w <= self.load_w
        ):
            errors.append("power: need 0 <= idle_w <= load_w")
        if self.carbon_intensity_g_per_kwh is None:
            if self.country_iso_code.upper() != WORLD:
                errors.append(intensity_needed(self.country_iso_code))
        elif self.carbon_intensity_g_per_kwh < 0:
            errors.append("power.carbon_intensity_g_per_kwh: must not be negative")
        return errors


class AgentConfig(msgspec.Struct, frozen=True):
    """Everything the agent process needs, validated once at start-up."""

    device_id: str = ""
    state_dir: Path = msgspec.field(default_factory=_default_state_dir)
    cache_dir: Path = msgspec.field(default_factory=_default_cache_dir)
    sample_hz: float = 10.0
    proc_root: Path = Path("/proc")
    sys_root: Path = Path("/sys")
    # Holds os-release and machine-id; a fixture tree in tests.
    etc_root: Path = Path("/etc")
    vcgencmd: str = "vcgencmd"
    outbox_max_messages: int = 10000
    status_interval_s: float = 60.0
    # Run messages stay in the outbox until the collector's receipt; one without a receipt
    # is resent after this long, then with back-off (docs/mqtt-contract.md, "Receipts").
    # 0: no receipts, PUBACK deletes (a broker whose consumer is not an edgebench collector).
    receipt_timeout_s: float = 30.0
    models: tuple[str, ...] = ()
    # Labels for this board (e.g. "lab", "fan"): a campaign's device_filter selects by them.
    tags: tuple[str, ...] = ()
    # The collector whose model store a command may name a model from (`sha256:<hex>`), and
    # the file holding this board's device token for it (docs/mqtt-contract.md, "Commands").
    # Both or neither: without them a board runs only catalog and configured models.
    collector_url: str | None = None
    collector_token_file: Path | None = None
    # The busy-board guard (docs/statistics.md): other processes' CPU, in % of one core,
    # above which a run waits (up to busy_wait_s) and is then INVALID; measured over
    # busy_window_s before the run (0 skips the check before; the run is still watched).
    busy_threshold_pct: float = 10.0
    busy_window_s: float = 1.0
    busy_wait_s: float = 30.0
    mqtt: MqttConfig = msgspec.field(default_factory=MqttConfig)
    power: PowerConfig = msgspec.field(default_factory=PowerConfig)

    @property
    def receipt_timeout(self) -> float | None:
        """The receipt timeout, or None when PUBACK alone confirms a message."""
        return self.receipt_timeout_s or None

    def validate(self) -> list[str]:
        """Return a list of problems (empty when valid)."""
        errors = [*self.mqtt.validate(), *self.power.validate()]
        if not 0 <= self.sample_hz <= 1000:
            errors.append("sample_hz: must be between 0 (off) and 1000")
        for key, value in (
            ("busy_threshold_pct", self.busy_threshold_pct),
            ("busy_window_s", self.busy_window_s),
            ("busy_wait_s", self.busy_wait_s),
            ("receipt_timeout_s", self.receipt_timeout_s),
        ):
            if not 0 <= value < float("inf"):
                errors.append(f"{key}: must be a finite number, 0 or more")
        errors.extend(self._collector_errors())
        if self.outbox_max_messages < 100:
            errors.append("outbox_max_messages: must be at least 100")
        errors += [
            f"tags: {tag!r} must be 1-64 letters, digits, '-', '_' or '.'"
            for tag in self.tags
            if not _valid_device_id(tag)
        ]
        if self.device_id and not _valid_device_id(self.device_id):
            errors.append(
                f"device_id: {self.device_id!r} may hold only letters, digits, '-', '_' and '.'"
                " (it becomes an MQTT topic level and a broker login)"
            )
        return errors

    def _collector_errors(self) -> list[str]:
        """Return problems with the model-store settings (URL, token file)."""
        errors = []
        if (self.collector_url is None) != (self.collector_token_file is None):
            errors.append("collector_url and collector_token_file must be given together")
        if self.collector_url is not None:
            parts = urlsplit(self.collector_url)
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
                port_ok = True
            except ValueError:
                port_ok = False
            # The URL is the only place model downloads go to: no credentials, query or
            # fragment that a path appended to it could be confused with.
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or not port_ok
                or parts.username is not None
                or parts.query
                or parts.fragment
            ):
                errors.append(
                    f"collector_url: {self.collector_url!r} is not a collector URL; "
                    "use http://server:8080 or https://server"
                )
        path = self.collector_token_file
        if path is not None and not path.is_file():
            errors.append(f"collector_token_file: file {path} does not exist")
        return errors


def _valid_device_id(device_id: str) -> bool:
    """Device ids become topic levels and usernames, so keep them to a safe alphabet."""
    return 0 < len(device_id) <= 64 and all(c.isalnum() or c in "-_." for c in device_id)


def load_agent_config(
    config_file: Path | None = None, flags: dict[str, object] | None = None
) -> AgentConfig:
    """Build the agent's config from defaults, ``[agent]`` in the file, environment and flags."""
    return load_config(AgentConfig, section="agent", file=config_file, flags=flags)
