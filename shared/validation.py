"""Build the schema dataclasses from untrusted JSON data, with a path in every error.

:func:`from_dict` understands the small type vocabulary that ``shared/result.py`` and
``shared/messages.py`` are written in: ``int``, ``float`` (ints accepted), ``str``,
``bool``, ``X | None`` and other unions, ``list[X]``, ``dict[str, X]``, ``Literal``,
``Any`` and nested dataclasses, with dataclass defaults for missing fields. Anything
else in a payload raises :class:`~edgebench.shared.errors.SchemaError` naming where it is,
e.g. ``result.latency_ms.p50: expected a number, got 'fast'``.

Deliberately strict where JSON is loose: ``true`` is not an integer, NaN and infinity are
not numbers, integers must fit in 64 bits (SQLite and PostgreSQL columns) and strings
must be valid Unicode without NUL characters (PostgreSQL rejects them).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from edgebench.shared.errors import SchemaError

T = TypeVar("T")

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Field metadata key: ``{"wire": False}`` marks a field that is never part of a payload.
WIRE = "wire"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Return resolved type hints (cached: resolving is slow and hints never change)."""
    return typing.get_type_hints(cls)


def wire_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """Return the fields a payload sets (init fields not marked off-wire)."""
    return [f for f in dataclasses.fields(cls) if f.init and f.metadata.get(WIRE, True)]


def _describe(value: Any) -> str:
    """Render a bad value briefly for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(path: str) -> str:
    return path or "payload"


def _check_str(value: Any, path: str, max_str_len: int | None) -> str:
    if not isinstance(value, str):
        raise SchemaError(f"{_where(path)}: expected text, got {_describe(value)}")
    if max_str_len is not None and len(value) > max_str_len:
        raise SchemaError(f"{_where(path)}: text longer than {max_str_len} characters")
    if "\x00" in value:
        raise SchemaError(f"{_where(path)}: text contains a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SchemaError(f"{_where(path)}: text is not valid Unicode") from None
    return value


def _check_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f"{_where(path)}: expected an integer, got {_describe(value)}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise SchemaError(f"{_where(path)}: integer out of the 64-bit range")
    return value


def _check_float(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{_where(path)}: expected a number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise SchemaError(f"{_where(path)}: number too large") from None
    if not math.isfinite(number):
        raise SchemaError(f"{_where(path)}: expected a finite number, got {_describe(value)}")
    # Keep ints as given so that a dataclass built in code compares equal after a round trip.
    return value


def _convert(value: Any, tp: Any, path: str, opts: _Options) -> Any:
    """Check ``value`` against the annotation ``tp`` and return the typed value."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if tp is type(None):
        if value is not None:
            raise SchemaError(f"{_where(path)}: expected null, got {_describe(value)}")
        return None
    if origin in (typing.Union, types.UnionType):
        return _convert_union(value, typing.get_args(tp), path, opts)
    if origin is typing.Literal:
        for choice in typing.get_args(tp):
            if type(value) is type(choice) and value == choice:
                return value
        allowed = ", ".join(repr(c) for c in typing.get_args(tp))
        raise SchemaError(f"{_where(path)}: expected one of {allowed}, got {_describe(value)}")
    if tp is bool:
        if not isinstance(value, bool):
            raise SchemaError(f"{_where(path)}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        return _check_int(value, path)
    if tp is float:
        return _check_float(value, path)
    if tp is str:
        return _check_str(value, path, opts.max_str_len)
    if origin is list:
        if not isinstance(value, list):
            raise SchemaError(f"{_where(path)}: expected a list, got {_describe(value)}")
        (item_tp,) = typing.get_args(tp)
        return [_convert(v, item_tp, f"{path}[{i}]", opts) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise SchemaError(f"{_where(path)}: expected an object, got {_describe(value)}")
        key_tp, value_tp = typing.get_args(tp)
        if key_tp is not str:
            raise TypeError(f"unsupported dict key type {key_tp!r} at {path}")
        return {
            _check_str(k, f"{path}.<key>", opts.max_str_len): _convert(
                v, value_tp, f"{path}.{k}", opts
            )
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, value, path, opts)
    raise TypeError(f"unsupported schema type {tp!r} at {path}")


def _convert_union(value: Any, args: tuple[Any, ...], path: str, opts: _Options) -> Any:
    if value is None:
        if type(None) in args:
            return None
        raise SchemaError(f"{_where(path)}: a value is required, got null")
    errors: list[str] = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return _convert(value, arg, path, opts)
        except SchemaError as exc:
            errors.append(str(exc))
    # With a single non-null alternative its own message is the most helpful one.
    if len(errors) == 1:
        raise SchemaError(errors[0])
    raise SchemaError(f"{_where(path)}: {_describe(value)} matches none of the allowed types")


@dataclasses.dataclass(frozen=True)
class _Options:
    max_str_len: int | None
    strict: bool


def _build(cls: type[T], data: Any, path: str, opts: _Options) -> T:
    if not isinstance(data, Mapping):
        raise SchemaError(f"{_where(path)}: expected an object, got {_describe(data)}")
    hints = _hints(cls)
    prefix = f"{path}." if path else ""
    fields = wire_fields(cls)
    if opts.strict:
        unknown = sorted(set(data) - {f.name for f in fields})
        if unknown:
            raise SchemaError(f"{prefix}{unknown[0]}: unknown field")
    kwargs: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            no_default = (
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            )
            if no_default:
                raise SchemaError(f"{prefix}{f.name}: missing required field")
            continue
        kwargs[f.name] = _convert(data[f.name], hints[f.name], f"{prefix}{f.name}", opts)
    return cls(**kwargs)


def from_dict(
    cls: type[T],
    data: Any,
    path: str = "",
    *,
    max_str_len: int | None = None,
    strict: bool = False,
) -> T:
    """Build dataclass ``cls`` from JSON-like ``data`` or raise SchemaError with a path.

    Unknown keys are ignored unless ``strict`` (newer senders may add optional fields);
    ``max_str_len`` bounds every string, including dict keys.
    """
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    return _build(cls, data, path, _Options(max_str_len=max_str_len, strict=strict))


def check_value(value: Any, tp: Any, path: str = "", *, max_str_len: int | None = None) -> Any:
    """Check one JSON value against a type annotation; return it typed or raise SchemaError."""
    return _convert(value, tp, path, _Options(max_str_len=max_str_len, strict=False))
