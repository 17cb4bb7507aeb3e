"""Insert-or-ignore of sample rows on PostgreSQL: COPY into a temporary table, then INSERT.

PostgreSQL's fastest way in is ``COPY``, but ``COPY`` cannot skip rows that already
exist, and redelivered messages must be stored once. So each batch is copied into a
per-connection temporary table (``ON COMMIT DELETE ROWS``: empty again after every
commit; temporary, so not written to the WAL) and moved with one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, whose row count is the number of new
samples. ``bench/ingest_pg.py`` measures this against psycopg's pipelined multi-row
``executemany`` (about half as fast: docs/benchmarks.md) and against a raw
``COPY`` of the same rows.

The COPY is binary: psycopg packs the numbers itself, which costs the writer less CPU
than formatting them as text (the benchmark prints the writer's CPU per row), and the
server parses nothing. The rows are the tuples
:mod:`edgebench.collector.sample_rows` builds, in ``SAMPLE_COLUMNS`` order; ``extra`` is
JSON text, so the staging table holds it as text and the INSERT casts it to ``jsonb``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgebench.collector.columns import SAMPLE_COLUMNS, SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

METRICS = ", ".join((*SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS))
COLUMNS = ", ".join(SAMPLE_COLUMNS)
# The binary COPY's wire types, in SAMPLE_COLUMNS order (models/fleet.py: Float is float8).
COPY_TYPES = (
    "text",
    "float8",
    *("float8" for _ in SAMPLE_FLOAT_COLUMNS),
    *("int4" for _ in SAMPLE_INT_COLUMNS),
    "text",
)
_STAGING = "edgebench_samples_in"
# Column names are constants from models/fleet.py; values never enter the SQL text.
_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS"  # noqa: S608
    f" AS SELECT run_id, t, {METRICS}, extra::text AS extra FROM samples WITH NO DATA"
)
_COPY = f"COPY {_STAGING} ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
_MOVE = (
    f"INSERT INTO samples ({COLUMNS})"  # noqa: S608
    f" SELECT run_id, t, {METRICS}, extra::jsonb FROM {_STAGING} ON CONFLICT DO NOTHING"
)


def insert_rows_copy(conn: Connection, rows: list[tuple]) -> int:
    """Insert-or-ignore ``rows`` via COPY and a staging table; return how many were new."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        # Every time (a no-op once it exists): remembering it per connection would be
        # wrong after a rolled-back first batch, which also rolls back the CREATE.
        cursor.execute(_CREATE_STAGING)
        with cursor.copy(_COPY) as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        # Rows left from an earlier call in the same transaction conflict, so the count
        # is still the number of new samples.
        cursor.execute(_MOVE)
        return max(cursor.rowcount, 0)
