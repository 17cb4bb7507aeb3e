"""Telemetry columns to ``samples`` table rows: the one conversion, for messages and results.

A samples message carries its telemetry column by column (``SamplesMessage.columns``,
decoded and type-checked by msgspec: every value a number or null); a result document
carries the same series as rows (``RunResult.samples``), turned into columns first.
:func:`sample_rows` builds the table's tuples (``columns.SAMPLE_COLUMNS`` order) with
whole-column operations that run in C (``zip``, ``map``) rather than a Python loop per
value; where each column goes is worked out once per key-set (:class:`ColumnShape`,
cached), since an agent repeats one key-set. It runs in the receiver process, off the
writer's core (the writer is the bottleneck: ``bench/ingest_throughput.py``), so it
imports nothing heavy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from typing import Any

import msgspec

from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS, SAMPLE_KEYS
from edgebench.shared.codec import check_columns
from edgebench.shared.errors import SchemaError

# The ``extra`` column's text: compact JSON.
compact_json = json.JSONEncoder(separators=(",", ":")).encode
_encode = msgspec.json.Encoder().encode
_FLOATS = frozenset({float})
_INTS = frozenset({int, type(None)})
_NULLS = repeat(None)  # an absent column: every sample null (zip stops at the others)
# Integer columns (bitmask, 0/1 flags) must hold whole numbers within 53 bits.
_INT_LIMIT = 2**53
# Key-sets up to this size are cached (hostile ones are not kept at all).
CACHED_KEYS_MAX = 64
CACHED_KEY_CHARS_MAX = 2048


@dataclass(frozen=True)
class ColumnShape:
    """Where a key-set's columns go in the ``samples`` table (cached per key-set)."""

    # float table column -> key of the message column holding it (None: absent, all null)
    float_keys: tuple[str | None, ...]
    int_keys: tuple[str | None, ...]
    extra_keys: tuple[str, ...]
    # ``extra`` JSON text from one sample's extra values (their JSON text, no null among
    # them) by %-formatting, with the keys JSON-escaped.
    template: str


def column_shape(keys: tuple[str, ...]) -> ColumnShape:
    """Return the :class:`ColumnShape` of a key-set (cached unless it is huge)."""
    if len(keys) <= CACHED_KEYS_MAX and sum(map(len, keys)) <= CACHED_KEY_CHARS_MAX:
        return _cached_shape(keys)
    return _make_shape(keys)


@lru_cache(maxsize=1024)  # bounded in entries and (above) in the size of each entry
def _cached_shape(keys: tuple[str, ...]) -> ColumnShape:
    return _make_shape(keys)


def _make_shape(keys: tuple[str, ...]) -> ColumnShape:
    extra_keys = tuple(k for k in keys if k not in SAMPLE_KEYS)
    template = "{%s}" % ",".join(  # noqa: UP031 - building a %-template
        compact_json(k).replace("%", "%%") + ":%s" for k in extra_keys
    )
    return ColumnShape(
        float_keys=tuple(c if c in keys else None for c in SAMPLE_FLOAT_COLUMNS),
        int_keys=tuple(c if c in keys else None for c in SAMPLE_INT_COLUMNS),
        extra_keys=extra_keys,
        template=template,
    )


def columns_of(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Return sample rows as columns (keys in first-seen order, null where absent)."""
    keys = dict.fromkeys(key for row in rows for key in row)
    return {key: [row.get(key) for row in rows] for key in keys}


def sample_rows(run_id: str, columns: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    """Return the ``samples`` tuples of telemetry columns; SchemaError if one is unusable."""
    check_columns(columns)
    times = columns.get("t")
    if not times:
        return []
    if not _FLOATS.issuperset(map(type, times)):
        times = list(map(float, times))
    shape = column_shape(tuple(columns))
    floats = [_NULLS if key is None else columns[key] for key in shape.float_keys]
    ints = [_NULLS if key is None else _whole(columns[key], key) for key in shape.int_keys]
    extras = _extras(columns, shape)
    return list(
        zip(
            repeat(run_id),
            times,
            *floats,
            *ints,
            _NULLS if extras is None else extras,
            strict=False,
        )
    )


def _whole(values: list[Any], key: str) -> list[Any]:
    """Return an integer column's values as ints; SchemaError names one that is not whole."""
    if _INTS.issuperset(map(type, values)):
        return values  # the usual case: msgspec read the flags as integers
    out: list[int | None] = []
    for i, value in enumerate(values):
        if value is None or type(value) is int:
            out.append(value)
        elif abs(value) < _INT_LIMIT and value.is_integer():
            out.append(int(value))
        else:
            raise SchemaError(f"columns.{key}[{i}]: expected a whole number, got {value!r}")
    return out


def _extras(columns: dict[str, list[Any]], shape: ColumnShape) -> list[str | None] | None:
    """Return the ``extra`` column: JSON text of each sample's other metrics (None: none)."""
    if not shape.extra_keys:
        return None
    values = [columns[key] for key in shape.extra_keys]
    if None not in chain.from_iterable(values):
        # Numbers only: each column's JSON text splits on commas (msgspec writes it in C).
        texts = [_encode(column)[1:-1].decode().split(",") for column in values]
        return list(map(shape.template.__mod__, zip(*texts, strict=True)))
    keys = shape.extra_keys
    out = []
    for sample in zip(*values, strict=True):
        extra = {k: v for k, v in zip(keys, sample, strict=True) if v is not None}
        out.append(compact_json(extra) if extra else None)
    return out
