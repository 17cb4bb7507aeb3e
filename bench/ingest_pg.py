"""Collector ingest on PostgreSQL: stored samples/s against a raw COPY of the same rows.

A throw-away PostgreSQL cluster (tests/pgcluster.py) with the server's durable defaults
(fsync and synchronous commit on), on this machine. Two measurements in one run:

1. **Writers alone** (no MQTT): the same sample rows written into a fresh database at
   head, one transaction per collector-sized batch (``--batch`` rows), three ways,
   alternated over ``--rounds`` rounds (median): the collector's path (binary COPY into a
   staging table, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``), psycopg's
   pipelined multi-row ``executemany`` with ``ON CONFLICT DO NOTHING``, and a raw binary
   ``COPY`` into ``samples`` (no dedupe: the ceiling; its ``extra`` JSON text goes out as
   ``jsonb`` unchanged, not parsed and dumped again). This is how the collector's path was
   chosen.
2. **End to end**: the backlog phase of bench/ingest_throughput.py (publishers →
   Mosquitto → ``IngestService``) with the collector on PostgreSQL, against the raw binary
   COPY ceiling of the same number of rows in 100,000-row transactions, measured before and
   after (the median of the two is the ceiling).

Run: ``.venv/bin/python bench/ingest_pg.py`` (needs ``mosquitto`` and Debian's
``postgresql``; as root the server runs as the ``postgres`` user). Exit status 1 if the
end-to-end stored rate is below 50 % of the raw COPY.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_parts import ceiling_rows  # noqa: E402 - needs ROOT on sys.path
from bench.ingest_throughput import Probe, measure_backlog, start_collector  # noqa: E402

TARGET_SHARE = 0.5
RUNS = [f"run-{i}" for i in range(50)]


def fresh_engine(cluster, name: str):  # noqa: ANN001, ANN201
    """Return an engine on a new database at head, with a device and the rows' 50 runs."""
    import sqlalchemy as sa

    from edgebench.collector import db

    engine = db.make_engine(cluster.create_database(name))
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO devices (device_id, first_seen, last_seen) VALUES ('d', 0, 0)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO runs (run_id, device_id, status, received_at, updated_at)"
                " VALUES (:r, 'd', 'running', 0, 0)"
            ),
            [{"r": r} for r in RUNS],
        )
    return engine


def timed_write(cluster, name: str, write, rows: list[tuple], batch: int) -> tuple[float, float]:  # noqa: ANN001
    """Write ``rows`` with ``write(conn, chunk)``, one transaction per ``batch``.

    Returns (rows per second, this process's CPU seconds per row).
    """
    engine = fresh_engine(cluster, name)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), batch):
        with engine.begin() as conn:
            write(conn, rows[i : i + batch])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return len(rows) / elapsed, cpu / len(rows)


def insert_rows_values(conn, rows: list[tuple]) -> None:  # noqa: ANN001
    """Insert-or-ignore with psycopg's pipelined multi-row ``executemany`` (the alternative)."""
    from edgebench.collector.pg_samples import COLUMNS

    marks = ", ".join(["%s"] * len(rows[0]))
    sql = f"INSERT INTO samples ({COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def copy_rows_raw(conn, rows: list[tuple]) -> None:  # noqa: ANN001
    """Binary COPY straight into ``samples``, no staging, no dedupe: the ceiling.

    ``rows`` come from :func:`raw_rows` (``extra`` already wrapped for ``jsonb``).
    """
    from edgebench.collector.pg_samples import COLUMNS, COPY_TYPES

    types = [*COPY_TYPES[:-1], "jsonb"]
    sql = f"COPY samples ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _as_is(text: str) -> str:
    return text


def raw_rows(rows: list[tuple]) -> list[tuple]:
    """Return ``rows`` with ``extra`` wrapped as ``Jsonb`` that sends its JSON text as is."""
    from psycopg.types.json import Jsonb

    return [(*r[:-1], None if r[-1] is None else Jsonb(r[-1], dumps=_as_is)) for r in rows]


def measure_writers(cluster, args: argparse.Namespace) -> None:  # noqa: ANN001
    """Alternate the three writers over ``args.rounds`` rounds and print the medians."""
    from edgebench.collector.pg_samples import insert_rows_copy

    rows = ceiling_rows(args.writer_rows, RUNS)
    ways = {
        "COPY + staging + ON CONFLICT (collector)": (insert_rows_copy, rows),
        "executemany VALUES + ON CONFLICT": (insert_rows_values, rows),
        "raw COPY (ceiling)": (copy_rows_raw, raw_rows(rows)),
    }
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for r in range(args.rounds):
        for i, (name, (write, data)) in enumerate(ways.items()):
            rates[name].append(timed_write(cluster, f"w{r}_{i}", write, data, args.batch))
    print(
        f"writers alone: {len(rows):,d} rows, {args.batch:,d} per transaction,"
        f" median of {args.rounds} rounds"
    )
    ceiling = statistics.median(rate for rate, _ in rates["raw COPY (ceiling)"])
    for name, values in rates.items():
        median = statistics.median(rate for rate, _ in values)
        cpu = statistics.median(cpu for _, cpu in values)
        print(
            f"  {name}: {median:,.0f} samples/s ({median / ceiling:.0%} of raw COPY),"
            f" writer CPU {cpu * 1e6:.2f} us per row"
        )


def measure_ceiling(cluster, rows: int, name: str) -> float:  # noqa: ANN001
    """Raw binary COPY of ``rows`` rows in 100,000-row transactions into a fresh database."""
    data = raw_rows(ceiling_rows(rows, RUNS))
    rate, _cpu = timed_write(cluster, name, copy_rows_raw, data, 100_000)
    print(f"raw COPY ceiling ({name}): {rate:,.0f} samples/s ({rows:,d} rows)")
    return rate


def main() -> int:
    """Run both measurements and print PASS/FAIL against the 50 % target."""
    from tests.brokers import MosquittoBroker
    from tests.pgcluster import PgCluster, find_bindir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=8_000, help="backlog messages in all")
    parser.add_argument("--rows", type=int, default=50, help="rows per samples message")
    parser.add_argument("--writer-rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000, help="rows per writer transaction")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.timeline = False
    bindir = find_bindir()
    if bindir is None:
        print("bench/ingest_pg.py: PostgreSQL is not installed (apt-get install postgresql)")
        return 2
    cluster = PgCluster(bindir, fast=False)
    cluster.start()
    try:
        measure_writers(cluster, args)
        rows = args.messages // args.publishers * args.publishers * args.rows
        ceilings = [measure_ceiling(cluster, rows, "before")]
        with tempfile.TemporaryDirectory(prefix="edgebench-bench-") as tmp:
            # Saved and logging as deployed, as in bench/ingest_throughput.py.
            broker = MosquittoBroker(
                Path(tmp) / "mosquitto",
                autosave_interval_s=60,
                log_types=("error", "warning", "notice", "information"),
            )
            broker.start()
            url = cluster.create_database("collector")
            service = start_collector(Path(tmp), broker.port, Probe(), url)
            try:
                # Backends started before the clock (the writer's connection is pooled).
                server = {"postgres": cluster.server_pids()}
                rate, _cpu = measure_backlog(service, broker.proc.pid, broker.port, args, server)
                health = service.health()
            finally:
                service.stop()
                broker.stop()
        ceilings.append(measure_ceiling(cluster, rows, "after"))
    finally:
        cluster.stop()
    ceiling = statistics.median(ceilings)
    share = rate / ceiling
    print(f"raw COPY ceiling, median of 2: {ceiling:,.0f} samples/s")
    print(f"collector: {health['batches']} batches, {health['rejected']} rejected")
    ok = share >= TARGET_SHARE and health["rejected"] == 0
    print(f"{'PASS' if ok else 'FAIL'}: stored rate is {share:.0%} of the raw COPY (target >= 50%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
