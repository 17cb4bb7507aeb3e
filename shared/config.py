"""Layered, typed configuration: defaults, then a TOML file, then ``EDGEBENCH_*``, then flags.

Each process (agent, collector) owns one frozen dataclass describing its whole
configuration. :func:`load_config` builds it once at start-up from the four
layers and validates everything, raising a single :class:`ConfigError` that
lists every problem, so a user fixes their file in one go.

Environment names: ``EDGEBENCH_<FIELD>`` for top-level fields and
``EDGEBENCH_<SECTION>__<FIELD>`` for fields of nested sections, e.g.
``EDGEBENCH_MQTT__URL=mqtt://broker:1883``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from edgebench.shared.errors import ConfigError

T = TypeVar("T")

ENV_PREFIX = "EDGEBENCH_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _field_types(cls: type) -> dict[str, Any]:
    """Return the resolved type hints of a dataclass."""
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """Return (inner type, is_optional) for ``X | None`` annotations."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Convert a TOML or environment value to the annotated type, or raise ValueError."""
    inner, optional = _unwrap_optional(tp)
    if value is None or (optional and isinstance(value, str) and value == ""):
        if optional:
            return None
        raise ValueError(f"{where}: a value is required")
    origin = typing.get_origin(inner)
    if inner is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{where}: expected true or false, got {value!r}")
    if inner is int:
        if isinstance(value, bool):
            raise ValueError(f"{where}: expected an integer, got {value!r}")
        try:
            return int(str(value).strip(), 0) if isinstance(value, str) else int(value)
        except ValueError:
            raise ValueError(f"{where}: expected an integer, got {value!r}") from None
    if inner is float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        return number
    if inner is str:
        if not isinstance(value, str | int | float):
            raise ValueError(f"{where}: expected text, got {value!r}")
        return str(value)
    if inner is Path:
        return Path(os.path.expanduser(str(value)))
    if origin in (tuple, list):
        item_type = typing.get_args(inner)[0] if typing.get_args(inner) else str
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [i.strip() if isinstance(i, str) else i for i in items]
        items = [i for i in items if i != ""]
        converted = [_coerce(i, item_type, f"{where}[{n}]") for n, i in enumerate(items)]
        return tuple(converted) if origin is tuple else converted
    if typing.get_origin(inner) is typing.Literal:
        choices = typing.get_args(inner)
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise ValueError(f"{where}: expected one of {allowed}, got {value!r}")
        return value
    raise ValueError(f"{where}: unsupported config type {inner!r}")


def _apply(
    obj: Any, values: Mapping[str, Any], where: str, errors: list[str], *, env: bool = False
) -> Any:
    """Return ``obj`` with ``values`` applied, recursing into nested dataclass sections.

    ``env`` makes error messages name the real variable (``EDGEBENCH_POWER__IDLE_W``).
    """
    hints = _field_types(type(obj))
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(obj)}
    for key, value in values.items():
        name = key.replace("-", "_")
        path = f"{where}{key.upper()}" if env else f"{where}{key}"
        if name not in names:
            errors.append(f"{path}: unknown setting")
            continue
        current = getattr(obj, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                errors.append(f"{path}: expected a table of settings")
                continue
            changes[name] = _apply(
                current, value, f"{path}__" if env else f"{path}.", errors, env=env
            )
            continue
        try:
            changes[name] = _coerce(value, hints[name], path)
        except ValueError as exc:
            errors.append(str(exc))
    return dataclasses.replace(obj, **changes) if changes else obj


def _env_values(obj: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """Collect the ``EDGEBENCH_*`` variables that name fields of ``obj`` as a nested dict."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        current = getattr(obj, f.name)
        if dataclasses.is_dataclass(current):
            nested = {
                sub.name: env[f"{ENV_PREFIX}{f.name.upper()}__{sub.name.upper()}"]
                for sub in dataclasses.fields(current)
                if f"{ENV_PREFIX}{f.name.upper()}__{sub.name.upper()}" in env
            }
            if nested:
                out[f.name] = nested
        elif f"{ENV_PREFIX}{f.name.upper()}" in env:
            out[f.name] = env[f"{ENV_PREFIX}{f.name.upper()}"]
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML config file, turning every failure into a one-line ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check --config") from None
    except PermissionError:
        raise ConfigError(f"config file {path} is not readable; check its permissions") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def load_config(
    cls: type[T],
    *,
    section: str,
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> T:
    """Build and validate a config dataclass from defaults, file, environment and flags.

    ``section`` is the TOML table for this process (``[agent]`` or ``[collector]``);
    a file may also hold shared top-level tables such as ``[mqtt]``, which apply to
    both processes. ``flags`` holds command-line values; ``None`` means "not given".
    """
    env = os.environ if env is None else env
    errors: list[str] = []
    obj: Any = cls()
    if file is None and env.get(f"{ENV_PREFIX}CONFIG"):
        file = Path(env[f"{ENV_PREFIX}CONFIG"])
    if file is not None:
        data = read_toml(file)
        shared = {k: v for k, v in data.items() if k in {f.name for f in dataclasses.fields(obj)}}
        obj = _apply(obj, shared, f"{file}: ", errors)
        own = data.get(section, {})
        if not isinstance(own, Mapping):
            errors.append(f"{file}: [{section}] must be a table")
        else:
            obj = _apply(obj, own, f"{file}: {section}.", errors)
    obj = _apply(obj, _env_values(obj, env), ENV_PREFIX, errors, env=True)
    if flags:
        given = {k: v for k, v in flags.items() if v is not None}
        obj = _apply(obj, _nest_flags(given), "option ", errors)
    validate = getattr(obj, "validate", None)
    if callable(validate):
        # Fields that failed to parse kept their (valid) defaults, so validating now
        # still reports every other problem in the same message.
        errors.extend(validate())
    if errors:
        raise ConfigError("invalid configuration: " + "; ".join(errors))
    return typing.cast(T, obj)


def _nest_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``{"mqtt.url": x}`` style flag keys into nested dicts."""
    out: dict[str, Any] = {}
    for key, value in flags.items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
