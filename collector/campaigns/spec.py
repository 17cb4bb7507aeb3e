"""The campaign request: one msgspec Struct, checked in one pass, refused in one line.

``POST /api/campaigns`` and ``POST /api/campaigns/preview`` take the same JSON body::

    {"name": "nightly", "devices": ["pi4-a", "pi5-b"] | "device_filter": {...},
     "models": ["gen-mobilenet_v2_0.35_96_int8", "sha256:<64 hex>", null],
     "backends": ["litert"], "threads": [1, 4], "repetitions": 3,
     "options": {"runs": 64, "min_secs": 1}, "cooldown_s": 10,
     "order": "shuffled", "seed": 7, "deadline_s": 86400, "retries": 1,
     "schedule": {"daily_at": "02:30"}}

msgspec checks the types and bounds (as it checks every MQTT message, ``shared/wire.py``
words its errors); :func:`parse_spec` then checks what types cannot say: one of
``devices`` or ``device_filter``, model names a board may accept, option names the
agent knows (``shared/run_options.py``), no repeated values, a bounded job count.
Models are never paths or URLs: the agent refuses those anyway, but a campaign that
names one is refused here, before any command goes out.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

import msgspec

from edgebench.shared.errors import SchemaError
from edgebench.shared.run_options import BACKENDS, COMMAND_OPTIONS, FILE_OPTIONS
from edgebench.shared.storemodel import store_digest
from edgebench.shared.wire import DeviceId, schema_error

MAX_JOBS = 10_000
MAX_DEADLINE_S = 30 * 86_400.0
DEFAULT_DEADLINE_S = 86_400.0
# Catalog, generated and configured names: no path separators, no "..", no scheme.
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
# The campaign's axes: given as lists of their own, never inside ``options``.
AXIS_OPTIONS = frozenset({"backend", "threads"})

Backend = Literal[BACKENDS]  # type: ignore[valid-type]
Tag = Annotated[str, msgspec.Meta(pattern="^[0-9A-Za-z._-]{1,64}$")]
Threads = Annotated[int, msgspec.Meta(ge=1, le=256)]
OptionValue = int | float | bool | None


class DeviceFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Select devices by what they report: every given field must match."""

    board: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    architecture: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    # Tags set in the agent's config (``tags``); a device needs all of them.
    tags: Annotated[list[Tag], msgspec.Meta(max_length=16)] = msgspec.field(default_factory=list)

    def is_empty(self) -> bool:
        """Return whether the filter would select every device."""
        return self.board is None and self.architecture is None and not self.tags


class Schedule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Repeat the campaign every day at this time of the collector's time zone."""

    daily_at: Annotated[str, msgspec.Meta(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class CampaignSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a campaign runs where, in which order, and how long it may take."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    devices: Annotated[list[DeviceId], msgspec.Meta(min_length=1, max_length=1000)] | None = None
    device_filter: DeviceFilter | None = None
    # None is the agent's default workload.
    models: Annotated[list[str | None], msgspec.Meta(min_length=1, max_length=50)]
    backends: Annotated[list[Backend], msgspec.Meta(min_length=1, max_length=len(BACKENDS))] = (
        msgspec.field(default_factory=lambda: ["litert"])
    )
    # None: every core of the board.
    threads: Annotated[list[Threads | None], msgspec.Meta(min_length=1, max_length=16)] = (
        msgspec.field(default_factory=lambda: [None])
    )
    repetitions: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    options: dict[str, OptionValue] = msgspec.field(default_factory=dict)
    cooldown_s: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 0.0
    order: Literal["shuffled", "interleaved", "sequential"] = "shuffled"
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None
    # Seconds from the start after which unsent jobs expire (default one day).
    deadline_s: Annotated[float, msgspec.Meta(gt=0, le=MAX_DEADLINE_S)] | None = None
    retries: Annotated[int, msgspec.Meta(ge=0, le=5)] = 1
    schedule: Schedule | None = None

    def configurations(self) -> int:
        """Return how many configurations (model × backend × threads) one device runs."""
        return len(self.models) * len(self.backends) * len(self.threads)


_DECODER = msgspec.json.Decoder(CampaignSpec)


def parse_spec(body: bytes | str) -> CampaignSpec:
    """Decode and check a campaign request, or raise SchemaError with one line."""
    try:
        spec = _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        # The plain data lets the error name a bad option by its key.
        raise schema_error(exc, tp=CampaignSpec, data=msgspec.json.decode(body)) from None
    except msgspec.DecodeError:
        raise SchemaError("body: not a JSON object (send Content-Type: application/json)") from None
    check_spec(spec)
    return spec


def check_spec(spec: CampaignSpec) -> None:
    """Raise SchemaError for the first thing the types cannot say is wrong."""
    if (spec.devices is None) == (spec.device_filter is None):
        raise SchemaError("devices: give either devices (a list of ids) or device_filter")
    if spec.device_filter is not None and spec.device_filter.is_empty():
        raise SchemaError("device_filter: give board, architecture or tags")
    for field in ("devices", "models", "backends", "threads"):
        values = getattr(spec, field) or []
        if len(set(values)) != len(values):
            raise SchemaError(f"{field}: a value is repeated")
    for i, model in enumerate(spec.models):
        if model is not None and not (store_digest(model) or _plain_name(model)):
            raise SchemaError(
                f"models[{i}]: {model[:80]!r} is not a model name; use a catalog or generated"
                " name (edgebench model list), a board's configured model, or sha256:<64 hex>"
            )
    for key, value in spec.options.items():
        _check_option(key, value)
    devices = len(spec.devices) if spec.devices is not None else 1
    jobs = devices * spec.configurations() * spec.repetitions
    if jobs > MAX_JOBS:
        raise SchemaError(f"campaign: {jobs} jobs is more than {MAX_JOBS}; split it")


def _plain_name(model: str) -> bool:
    return bool(MODEL_NAME.match(model)) and ".." not in model


def _check_option(key: str, value: OptionValue) -> None:
    where = f"options.{key}"
    if key in AXIS_OPTIONS:
        raise SchemaError(f"{where}: give {key} as the campaign's {key}s list")
    if key in FILE_OPTIONS:
        raise SchemaError(f"{where}: names a file on the board; a campaign may not")
    if key not in COMMAND_OPTIONS:
        known = ", ".join(sorted(COMMAND_OPTIONS - AXIS_OPTIONS))
        raise SchemaError(f"{where}: unknown run option; use one of {known}")
    number = isinstance(value, float | int) and not isinstance(value, bool)
    if number and (not math.isfinite(value) or value < 0):  # type: ignore[arg-type]
        raise SchemaError(f"{where}: must be a finite number, 0 or more")
