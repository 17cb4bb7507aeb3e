"""Layered, typed configuration: defaults, then a TOML file, then ``EDGEBENCH_*``, then flags.

Each process (agent, collector) owns one frozen msgspec Struct describing its whole
configuration. :func:`load_config` builds it once at start-up from the four
layers and validates everything, raising a single :class:`ConfigError` that
lists every problem, so a user fixes their file in one go. Values are converted by
msgspec against the struct's own field types (the same library and types that check
messages), one setting at a time so that every problem is found; environment text gets
the few readings text needs first (``yes``/``off``, ``0x1e``, ``a,b`` lists, empty = unset).

Environment names: ``EDGEBENCH_<FIELD>`` for top-level fields and
``EDGEBENCH_<SECTION>__<FIELD>`` for fields of nested sections, e.g.
``EDGEBENCH_MQTT__URL=mqtt://broker:1883``.
"""

from __future__ import annotations

import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from edgebench.shared.errors import ConfigError
from edgebench.shared.wire import schema_error

T = TypeVar("T")

ENV_PREFIX = "EDGEBENCH_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _path_hook(tp: type, value: Any) -> Any:
    """Let msgspec build ``Path`` settings from text (with ``~`` expanded)."""
    if tp is Path and isinstance(value, str | os.PathLike):
        return Path(os.path.expanduser(value))
    raise msgspec.ValidationError(
        f"Expected `{getattr(tp, '__name__', tp)}`, got `{type(value).__name__}`"
    )


def _plain_type(tp: Any) -> tuple[Any, bool]:
    """Return (the type without ``| None``, whether None is allowed)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _from_text(text: str, tp: Any) -> Any:
    """Read an environment variable's text as the JSON-like value msgspec should check."""
    inner, optional = _plain_type(tp)
    if optional and text == "":
        return None
    if inner is bool and text.strip().lower() in _TRUE | _FALSE:
        return text.strip().lower() in _TRUE
    if inner is int:
        try:
            return int(text.strip(), 0)
        except ValueError:
            return text  # msgspec says what is wrong
    if typing.get_origin(inner) in (tuple, list):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _convert(value: Any, tp: Any, where: str, *, env: bool) -> Any:
    """Convert one setting to its field type with msgspec, or raise ConfigError."""
    if env and isinstance(value, str):
        value = _from_text(value, tp)
    try:
        converted = msgspec.convert(value, type=tp, strict=False, dec_hook=_path_hook)
    except msgspec.ValidationError as exc:
        raise ConfigError(str(schema_error(exc, where, value=value))) from None
    if isinstance(converted, float) and not math.isfinite(converted):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    return converted


def _apply(
    obj: Any, values: Mapping[str, Any], where: str, errors: list[str], *, env: bool = False
) -> Any:
    """Return ``obj`` with ``values`` applied, recursing into nested config sections.

    ``env`` makes error messages name the real variable (``EDGEBENCH_POWER__IDLE_W``).
    """
    fields = {f.name: f for f in msgspec.structs.fields(type(obj))}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        path = f"{where}{key.upper()}" if env else f"{where}{key}"
        if name not in fields:
            removed = getattr(type(obj), "REMOVED", {}).get(name)
            renamed = getattr(type(obj), "RENAMED", {}).get(name)
            if removed:
                errors.append(f"{path}: no longer a setting; {removed}")
            else:
                hint = f" (renamed to {renamed})" if renamed else ""
                errors.append(f"{path}: unknown setting{hint}")
            continue
        current = getattr(obj, name)
        if isinstance(current, msgspec.Struct):
            if not isinstance(value, Mapping):
                errors.append(f"{path}: expected a table of settings")
                continue
            changes[name] = _apply(
                current, value, f"{path}__" if env else f"{path}.", errors, env=env
            )
            continue
        try:
            changes[name] = _convert(value, fields[name].type, path, env=env)
        except ConfigError as exc:
            errors.append(str(exc))
    return msgspec.structs.replace(obj, **changes) if changes else obj


def _env_values(obj: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """Collect the ``EDGEBENCH_*`` variables that name fields of ``obj`` as a nested dict."""
    out: dict[str, Any] = {}
    for f in msgspec.structs.fields(obj):
        current = getattr(obj, f.name)
        if isinstance(current, msgspec.Struct):
            nested = {
                sub.name: env[f"{ENV_PREFIX}{f.name.upper()}__{sub.name.upper()}"]
                for sub in msgspec.structs.fields(current)
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
    """Build and validate a config struct from defaults, file, environment and flags.

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
        names = {f.name for f in msgspec.structs.fields(obj)}
        shared = {k: v for k, v in data.items() if k in names}
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
