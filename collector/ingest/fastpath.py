"""A fast decoder for telemetry (samples) messages, equivalent to ``decode_message``.

Samples are nearly all of the collector's traffic, and the contract's generic validator
checks ``dict[str, list[float | None]]`` one value at a time. Here the envelope
(everything except ``columns``) still goes through
:func:`edgebench.shared.codec.decode_parsed`, so topic, ids, versions and types are
checked by the contract itself; only the columns are checked, and turned into
``samples`` table rows, by whole-message operations that run in C (``map``, ``set``,
``zip``) rather than a Python loop per value. Where each column goes in the table is
worked out once per key-set (:class:`ColumnShape`, cached): agents repeat one key-set.

The check accepts a subset of what the generic validator accepts (short ASCII keys,
lists of equal length, numbers and nulls, a time for every sample); anything else
returns ``None`` and the caller falls back to the full decoder, which then accepts or
rejects with its own message. Columns the check accepts but that need converting (an
integer ``t``, whole floats in a flag column) come back without table rows, and the
writer converts them with ``convert.sample_rows``.
``tests/collector/test_fastpath.py`` checks the two decoders agree on generated payloads,
and that the rows built here equal ``convert.sample_rows``.

The payload is parsed with ``orjson`` when it is installed (faster than the standard
library); it refuses NaN, infinities and lone surrogates, where this module
would decline anyway, and reads integers beyond 64 bits as floats, as the contract's
parser does (``shared/codec.py``).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from itertools import chain, repeat
from typing import Any

from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS, SAMPLE_KEYS
from edgebench.collector.convert import compact_json
from edgebench.shared.codec import decode_parsed, parse_payload
from edgebench.shared.errors import SchemaError
from edgebench.shared.messages import MAX_PAYLOAD_BYTES, MAX_STRING_LENGTH, SamplesMessage
from edgebench.shared.topics import TopicLayout

try:  # optional accelerator; the standard library gives the same results, slower
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None

SAMPLES_SUFFIX = "/samples"
# The row keys that are table columns, in the table's order (after ``run_id``).
ROW_COLUMNS = ("t", *SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS)
_PLAIN_TYPES = frozenset({float, int, type(None)})
_INT_TYPES = frozenset({int, type(None)})
_NULLS = repeat(None)  # an absent column: every sample null (zip stops at the others)
# Key-sets up to this size are cached (hostile ones are not kept at all).
CACHED_KEYS_MAX = 64
CACHED_KEY_CHARS_MAX = 2048


def _loads(payload: bytes) -> Any:
    """Parse UTF-8 JSON without NaN/Infinity, as the contract's parser does (faster)."""
    if orjson is not None:
        return orjson.loads(payload)
    return parse_payload(payload)


@dataclasses.dataclass(frozen=True)
class ColumnShape:
    """Where a key-set's columns go in the ``samples`` table (cached per key-set)."""

    # table column -> key of the message column holding it (None: absent, all null)
    table_keys: tuple[str | None, ...]
    flag_keys: tuple[str, ...]
    extra_keys: tuple[str, ...]
    # ``extra`` JSON text from one sample's extra values by %-formatting (no null among
    # them): the text json.JSONEncoder writes, float/int reprs and JSON-escaped keys.
    template: str


def column_shape(keys: tuple[str, ...]) -> ColumnShape | None:
    """Return the :class:`ColumnShape` of a key-set, or None if a key is not plain."""
    if len(keys) <= CACHED_KEYS_MAX and sum(map(len, keys)) <= CACHED_KEY_CHARS_MAX:
        return _cached_shape(keys)
    return _make_shape(keys)


@lru_cache(maxsize=1024)  # bounded in entries and (above) in the size of each entry
def _cached_shape(keys: tuple[str, ...]) -> ColumnShape | None:
    return _make_shape(keys)


def _make_shape(keys: tuple[str, ...]) -> ColumnShape | None:
    if not all(len(k) <= MAX_STRING_LENGTH and k.isascii() and "\x00" not in k for k in keys):
        return None
    extra_keys = tuple(k for k in keys if k not in SAMPLE_KEYS)
    template = "{%s}" % ",".join(  # noqa: UP031 - building a %-template
        compact_json(k).replace("%", "%%") + ":%r" for k in extra_keys
    )
    return ColumnShape(
        table_keys=tuple(c if c in keys else None for c in ROW_COLUMNS),
        flag_keys=tuple(c for c in SAMPLE_INT_COLUMNS if c in keys),
        extra_keys=extra_keys,
        template=template,
    )


class NotPlain(Exception):
    """Columns the fast path cannot check: the full decoder must judge the message."""


def build_rows(run_id: str, columns: Any) -> list[tuple[Any, ...]] | None:
    """Return the ``samples`` tuples of a message's columns; None to leave them to ``convert``.

    Raises :class:`NotPlain` unless the columns are plain (short ASCII keys, lists of
    equal length, numbers and nulls) with a float time for every sample.
    """
    if type(columns) is not dict:
        raise NotPlain
    shape = column_shape(tuple(columns))
    lists = list(columns.values())
    if shape is None or (lists and set(map(type, lists)) != {list}):
        raise NotPlain
    lengths = set(map(len, lists))
    if len(lengths) > 1 or not _PLAIN_TYPES.issuperset(map(type, chain.from_iterable(lists))):
        raise NotPlain
    if not lists or not lengths.pop():
        return []
    times = columns.get("t")
    if times is None or None in times:
        raise NotPlain  # the contract refuses it, with its own message
    if set(map(type, times)) != {float} or not _INT_TYPES.issuperset(
        map(type, chain.from_iterable(map(columns.__getitem__, shape.flag_keys)))
    ):
        return None  # an integer time or a whole float in a flag column: convert decides
    table = [_NULLS if key is None else columns[key] for key in shape.table_keys]
    return list(zip(repeat(run_id), *table, _extras(columns, shape), strict=False))


def _extras(columns: dict[str, list[Any]], shape: ColumnShape) -> Any:
    """Return the ``extra`` column: JSON text of each sample's other metrics, or None."""
    if not shape.extra_keys:
        return _NULLS
    # The columns have equal lengths (checked by the caller).
    values = [columns[key] for key in shape.extra_keys]
    if None not in chain.from_iterable(values):
        return map(shape.template.__mod__, zip(*values, strict=True))
    keys = shape.extra_keys
    texts = []
    for sample in zip(*values, strict=True):
        extra = {k: v for k, v in zip(keys, sample, strict=True) if v is not None}
        texts.append(compact_json(extra) if extra else None)
    return texts


def decode_samples(
    topic: str, payload: bytes, layout: TopicLayout, *, keep_rows: bool = True
) -> tuple[SamplesMessage, list[tuple[Any, ...]] | None] | None:
    """Decode a samples message quickly: ``(message, samples tuples or None)``, or None.

    None asks for the full decoder. Raises SchemaError exactly when ``decode_message``
    would reject the envelope. With ``keep_rows=False`` the message's ``columns``
    stay empty when its table rows were built (less to hand to another process).
    """
    if not topic.endswith(SAMPLES_SUFFIX) or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        data = _loads(payload)
    except (ValueError, RecursionError, UnicodeDecodeError, SchemaError):
        return None
    if type(data) is not dict or data.get("type") != "samples":
        return None
    columns = data.get("columns")
    run_id = data.get("run_id")
    try:
        built = build_rows(run_id if type(run_id) is str else "", columns)
    except NotPlain:
        return None
    msg = decode_parsed(topic, {**data, "columns": {}}, layout)
    if not isinstance(msg, SamplesMessage):
        raise SchemaError(f"type: expected a samples message, got {msg.type}")
    if keep_rows or built is None:
        msg = dataclasses.replace(msg, columns=columns, raw=data)
    return msg, built
