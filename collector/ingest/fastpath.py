"""A fast decoder for telemetry (samples) messages, equivalent to ``decode_message``.

Samples are nearly all of the collector's traffic, and the contract's generic validator
spends ~90 µs per 15-key row checking ``list[dict[str, float | None]]`` one value at a
time. Here the envelope (everything except ``rows``) still goes through
:func:`edgebench.shared.messages.decode_message`, so topic, ids, versions and types are
checked by the contract itself; only the rows are checked, and turned into ``samples``
table rows, by whole-message operations that run in C (``map``, ``set``, ``zip``) rather
than a Python loop per value. The check accepts a subset of what the generic validator
accepts (short ASCII keys, numbers of magnitude below 2**63, nulls); anything else
returns ``None`` and the caller falls back to the full decoder, which then accepts or
rejects with its own message. ``tests/collector/test_fastpath.py`` checks the two agree
on generated payloads, and that the rows built here equal ``convert.sample_rows``.

The payload is parsed with ``orjson`` when it is installed (about 3x faster than the
standard library here); it refuses NaN, infinities and lone surrogates, where this module
would decline anyway, and turns integers beyond 64 bits into floats, which the magnitude
limit declines, so either parser gives the same outcome.
"""

from __future__ import annotations

import dataclasses
import json
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from edgebench.collector.convert import SAMPLE_KEYS, int_column
from edgebench.collector.models import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS
from edgebench.shared.codec import decode_message
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import MAX_PAYLOAD_BYTES, MAX_STRING_LENGTH, SamplesMessage
from edgebench.shared.topics import TopicLayout

try:  # optional accelerator; the standard library gives the same results, slower
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None

# Every number in a row (and every float in the envelope) must be below this in
# magnitude: it keeps integers in 64 bits, floats finite, and declines the floats
# orjson makes of over-long integer literals.
MAGNITUDE_LIMIT = 2**63
SAMPLES_SUFFIX = "/samples"
_PLAIN_TYPES = frozenset({float, int, type(None)})
_KEYSET_CACHE_MAX = 4096
_keyset_cache: dict[tuple[str, ...], tuple[str, ...] | None] = {}


def _no_constants(name: str) -> None:
    raise ValueError(name)


def _loads(payload: bytes) -> Any:
    """Parse UTF-8 JSON (never UTF-16/32, unlike ``json.loads(bytes)``) without NaN/Infinity."""
    if orjson is not None:
        return orjson.loads(payload)
    return json.loads(payload.decode("utf-8"), parse_constant=_no_constants)


if orjson is not None:
    _orjson_dumps = orjson.dumps

    def _encode_extras(dicts: Any) -> list[str]:
        return list(map(bytes.decode, map(_orjson_dumps, dicts)))
else:  # pragma: no cover - exercised where orjson is not installed
    _json_encode = json.JSONEncoder(separators=(",", ":")).encode

    def _encode_extras(dicts: Any) -> list[str]:
        return list(map(_json_encode, dicts))


def _extra_keys(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """Keys of a row key-set that go to ``extra``, or None if a key is not plain (cached)."""
    try:
        return _keyset_cache[keys]
    except KeyError:
        pass
    plain = all(len(k) <= MAX_STRING_LENGTH and k.isascii() and "\x00" not in k for k in keys)
    extra = tuple(k for k in keys if k not in SAMPLE_KEYS) if plain else None
    if len(_keyset_cache) >= _KEYSET_CACHE_MAX:
        _keyset_cache.clear()  # hostile key-sets cannot grow the cache without bound
    _keyset_cache[keys] = extra
    return extra


def _too_big(value: Any) -> bool:
    """Whether a (nested) envelope value holds a float at or beyond the magnitude limit."""
    if type(value) is float:
        return abs(value) >= MAGNITUDE_LIMIT
    if type(value) is list:
        return any(map(_too_big, value))
    if type(value) is dict:
        return any(map(_too_big, value.values()))
    return False


def rows_are_plain(rows: Any) -> list[tuple[str, ...]] | None:
    """Return the rows' extra-key tuples per key-set if every row is plain, else None.

    Plain: a list of objects whose keys are short ASCII text without NUL and whose values
    are null or numbers (not booleans) below 2**63 in magnitude.
    """
    if type(rows) is not list:
        return None
    if rows and set(map(type, rows)) != {dict}:
        return None
    extras = list(map(_extra_keys, set(map(tuple, rows))))
    if None in extras:
        return None
    values = list(chain.from_iterable(map(dict.values, rows)))
    if not _PLAIN_TYPES.issuperset(map(type, values)):
        return None
    # filter(None) skips nulls (and zeros, harmless here); abs() is C for int and float.
    if max(map(abs, filter(None, values)), default=0) >= MAGNITUDE_LIMIT:
        return None
    return extras  # type: ignore[return-value]


def build_rows(
    run_id: str, rows: list[dict[str, Any]], extras: list[tuple[str, ...]]
) -> list[tuple[Any, ...]] | None:
    """Return the ``samples`` tuples of plain rows, or None where ``convert`` must decide.

    Column by column, all in C: ``dict.get`` mapped over the rows yields a column (None
    where a row lacks the key). None (not an error) for rows without ``t``, integer
    columns holding fractions, or differing key-sets with extra keys: the writer's
    ``convert.sample_rows`` then rejects or converts those with its own messages.
    """
    if len(extras) > 1 and any(extras):
        return None
    get = dict.get
    times = list(map(get, rows, repeat("t")))
    if None in times:
        return None
    floats = [map(get, rows, repeat(key)) for key in SAMPLE_FLOAT_COLUMNS]
    ints = []
    for key in SAMPLE_INT_COLUMNS:
        column = int_column(list(map(get, rows, repeat(key))))
        if column is None:
            return None
        ints.append(column)
    extra_keys = extras[0] if extras else ()
    if extra_keys:
        # The repeated last key makes itemgetter return a tuple even for one key;
        # zip() stops at the real keys.
        values = map(itemgetter(*extra_keys, extra_keys[0]), rows)
        extra: Any = _encode_extras(map(dict, map(zip, repeat(extra_keys), values)))
    else:
        extra = repeat(None)
    return list(zip(repeat(run_id), map(float, times), *floats, *ints, extra))


def decode_samples(
    topic: str, payload: bytes, layout: TopicLayout
) -> tuple[SamplesMessage, list[tuple[Any, ...]] | None] | None:
    """Decode a samples message quickly: ``(message, samples tuples or None)``, or None.

    None asks for the full decoder. Raises SchemaError exactly when ``decode_message``
    would reject the envelope.
    """
    if not topic.endswith(SAMPLES_SUFFIX) or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        data = _loads(payload)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if type(data) is not dict or data.get("type") != "samples":
        return None
    rows = data.get("rows")
    extras = rows_are_plain(rows)
    if extras is None:
        return None
    envelope = {**data, "rows": []}
    try:
        if _too_big(envelope):
            return None
        encoded = json.dumps(envelope, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        return None
    msg = decode_message(topic, encoded, layout)
    if not isinstance(msg, SamplesMessage):
        raise SchemaError(f"type: expected a samples message, got {msg.type}")
    return dataclasses.replace(msg, rows=rows, raw=data), build_rows(msg.run_id, rows, extras)
