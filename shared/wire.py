"""The vocabulary the message, result and config classes are written in, on msgspec.

Every message (``shared/messages.py``), the run result (``shared/result.py``) and every
config section is a :class:`msgspec.Struct`; decoding, validation, encoding and the JSON
Schemas in ``docs/schemas/`` are all derived from those classes by msgspec. This module
holds what they share:

- constrained types (:data:`Text`, :data:`Int64`, ids) whose limits msgspec checks while
  decoding and writes into the JSON Schemas: strings at most :data:`MAX_STRING_LENGTH`
  long; integers that fit the 64-bit SQLite and PostgreSQL columns;
- :class:`Record`, the base of every wire struct (``to_dict``);
- :func:`schema_error`, which turns msgspec's errors into the contract's one-line
  :class:`~edgebench.shared.errors.SchemaError` with a path,
  e.g. ``result.latency_ms.p50: expected a number, got text``.
"""

from __future__ import annotations

import math
import re
import types
import typing
from typing import Annotated, Any, TypeVar

import msgspec

from edgebench.shared.errors import SchemaError

T = TypeVar("T")

MAX_STRING_LENGTH = 4096
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# No NUL characters either (PostgreSQL rejects them): the codec checks that for the whole
# payload at once (a NUL can only arrive escaped, as \u0000), as a per-string pattern
# would cost more than the rest of decoding telemetry.
Text = Annotated[str, msgspec.Meta(max_length=MAX_STRING_LENGTH)]
Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
# A measured value: integers stay integers (bitmasks, 0/1 flags), within 64 bits.
Number = Int64 | float
# The id rules of shared/topics.py, for decoders and schema-only consumers alike.
MessageId = Annotated[str, msgspec.Meta(pattern="^[0-9A-Za-z_-]{8,64}$")]
DeviceId = Annotated[str, msgspec.Meta(pattern="^[0-9A-Za-z._-]{1,64}$")]
RunId = Annotated[str, msgspec.Meta(pattern="^[0-9A-Za-z._-]{1,128}$")]


class Record(msgspec.Struct, frozen=True):
    """Base of every struct that travels as JSON: immutable, with a plain-dict form."""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict form."""
        return msgspec.to_builtins(self)


# msgspec's type names, as the contract's messages say them.
_TYPE_WORDS = {
    "float": "a number",
    "int": "an integer",
    "str": "text",
    "bool": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_EXPECTED = re.compile(r"^Expected `([^`]+)`, got `([^`]+)`")
_BOUND = re.compile(r"^Expected `(\w+)` (?:of length )?([<>]=?) (\S+)")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`")
_PATH = re.compile(r" - at `\$(.*)`$")
_ANY_KEY = "[...]"  # how msgspec's paths write "some value of this dict"


def _describe(value: Any) -> str:
    """Render a bad value briefly for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _words(types: str) -> str:
    """Say a msgspec type list (``float | null``) in the contract's words."""
    names = [t.strip() for t in types.split("|")]
    return " or ".join(_TYPE_WORDS.get(n, n) for n in names if n != "null") or "null"


def _path(root: str, suffix: str) -> str:
    """Join a root path and msgspec's ``.a[0].b`` suffix (``payload`` if both are empty)."""
    suffix = suffix.lstrip(".")
    if root and suffix:
        joiner = "" if suffix.startswith("[") else "."
        return f"{root}{joiner}{suffix}"
    return root or suffix or "payload"


def _bare(tp: Any) -> Any:
    """Return ``tp`` without ``Annotated`` constraints and ``| None``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _fits(value: Any, tp: Any) -> bool:
    try:
        msgspec.convert(value, type=tp)
    except msgspec.ValidationError:
        return False
    return True


def _name_keys(path: str, tp: Any, data: Any) -> str:
    """Replace msgspec's ``[...]`` (a dict value) in ``path`` with the key that is wrong."""
    out = ""
    for step in re.findall(r"\.[^.\[]+|\[[^\]]*\]", path):
        tp = _bare(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        named = step
        if step == _ANY_KEY and origin is dict and isinstance(data, dict):
            key = next((k for k, v in data.items() if not _fits(v, args[1])), None)
            if key is None:
                return path
            named, data, tp = f".{key}", data[key], args[1]
        elif step.startswith(".") and isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            types_by_name = {f.encode_name: f.type for f in msgspec.structs.fields(tp)}
            tp = types_by_name.get(step[1:], Any)
            data = data.get(step[1:]) if isinstance(data, dict) else None
        elif step[1:-1].isdigit() and origin is list and isinstance(data, list):
            index = int(step[1:-1])
            tp, data = args[0], data[index] if index < len(data) else None
        else:
            return path
        out += named
    return out


def schema_error(
    exc: msgspec.ValidationError,
    root: str = "",
    *,
    tp: Any = None,
    data: Any = None,
    value: Any = msgspec.UNSET,
) -> SchemaError:
    """Translate a msgspec validation error into a SchemaError with a readable path.

    Given the type and the data that failed, a dict value's path names its key; given the
    one ``value`` that failed (a setting), the message shows it.
    """
    text = str(exc)
    match = _PATH.search(text)
    path = match.group(1) if match else ""
    if _ANY_KEY in path and tp is not None:
        path = _name_keys(path, tp, data)
    body = text[: match.start()] if match else text
    if missing := _MISSING.match(body):
        return SchemaError(f"{_path(root, f'{path}.{missing.group(1)}')}: missing required field")
    where = _path(root, path)
    if expected := _EXPECTED.match(body):
        want, got = expected.groups()
        shown = _words(got) if value is msgspec.UNSET else _describe(value)
        return SchemaError(f"{where}: expected {_words(want)}, got {shown}")
    if bound := _BOUND.match(body):
        kind, op, limit = bound.groups()
        if kind == "int":
            return SchemaError(f"{where}: integer out of the 64-bit range")
        if kind == "str" and op.startswith("<"):
            return SchemaError(f"{where}: text longer than {limit} characters")
    if body.startswith("Expected `str` matching regex"):
        return SchemaError(f"{where}: text does not match {body.split('regex ', 1)[1]}")
    if body.startswith(("Invalid enum value", "Invalid value")):
        got = body.split("value ", 1)[1]
        return SchemaError(f"{where}: expected one of the allowed values, got {got}")
    if body.startswith("Number out of range"):
        return SchemaError(f"{where}: number too large")
    return SchemaError(f"{where}: {body}")


def unfit_value(value: Any, path: str = "") -> str | None:
    """Say where plain data holds what the contract refuses beyond its types.

    NaN, infinity and lone surrogates (msgspec's JSON decoder never produces them; data
    built in Python can hold them), and NUL characters in text (PostgreSQL rejects them).
    """
    if type(value) is float:
        return None if math.isfinite(value) else f"{path or 'payload'}: expected a finite number"
    if type(value) is str:
        if "\x00" in value:
            return f"{path or 'payload'}: text contains a NUL character"
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path or 'payload'}: text is not valid Unicode"
        return None
    if isinstance(value, dict):
        if bad_key := next((k for k in value if type(k) is str and "\x00" in k), None):
            return f"{path or 'payload'}: key {bad_key!r} contains a NUL character"
        pairs: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        pairs = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    return next((found for where, v in pairs if (found := unfit_value(v, where))), None)


def from_builtins(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from JSON-like ``data`` (dicts, lists, numbers) or raise SchemaError."""
    try:
        built = msgspec.convert(data, type=cls)
    except msgspec.ValidationError as exc:
        raise schema_error(exc, path, tp=cls, data=data) from None
    if problem := unfit_value(data, path):
        raise SchemaError(problem)
    return built
