"""CSV renderings of run lists and comparisons (for spreadsheets and notebooks).

Cells that start with ``=``, ``+``, ``-``, ``@``, tab or CR are prefixed with a quote:
device names and labels come from devices, and a spreadsheet must not run them as
formulas (CSV injection). Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from edgebench.collector.serialize import RUN_FIELDS

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Return a CSV-safe cell: numbers unchanged, risky text quoted, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def runs_csv(runs: list[dict[str, Any]]) -> str:
    """Return run summaries as CSV, one line per run, columns as in the JSON API."""
    return _write(list(RUN_FIELDS), ([run.get(f) for f in RUN_FIELDS] for run in runs))


def compare_csv(table: dict[str, Any]) -> str:
    """Return a comparison as CSV: one line per run or group, each metric, ratio and verdict."""
    keys = [row["key"] for row in table["rows"]]
    header = ["id", "label", "device_id", "model_name", "threads", "backend", "n", "baseline"]
    header += keys + [f"{k}_ratio" for k in keys]
    # The verdicts against the baseline, on the rows that have them (collector/verdicts.py).
    tested = [row for row in table["rows"] if row.get("tests")]
    header += [f"{row['key']}_verdict" for row in tested]
    lines = []
    for index, column in enumerate(table["columns"]):
        line = [column.get(h) for h in header[:7]] + [column["id"] == table["baseline"]]
        line += [row["values"][index] for row in table["rows"]]
        line += [row["ratios"][index] for row in table["rows"]]
        line += [(row["tests"][index] or {}).get("verdict") for row in tested]
        lines.append(line)
    return _write(header, lines)
