"""Ingest workers on PostgreSQL: stored samples/s with 1, 2 and 3 workers, in one run.

``edgebench collector ingest --workers N`` as it runs (``IngestWorkers``: N processes on one
MQTT shared subscription, each with its own receiver process and writer), against a
throw-away PostgreSQL cluster with the server's durable defaults (tests/pgcluster.py) and
Mosquitto, all on this machine. For each N, in turn, on a fresh database: the backlog of
bench/ingest_throughput.py (publisher processes pushing pre-built 50-row samples messages as
fast as the broker takes them); the stored rate is counted in the database from the start
of publishing until every sample is there. The CPU cores each group kept busy over that
window (workers with their receivers, PostgreSQL's server, publishers, broker, everything
else) say where the next bottleneck is.

Run: ``.venv/bin/python bench/ingest_workers.py [--workers 1,2,3] [--messages 8000]``
(needs ``mosquitto`` and Debian's ``postgresql``). There is no pass/fail target: the issue
asks for the figures and the bottleneck.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_parts import (  # noqa: E402 - needs ROOT on sys.path
    backlog_publisher,
    cpu_seconds,
    machine_busy_seconds,
)

SETTLE_S = 5.0  # the workers connect and subscribe before the clock starts


def stored_samples(engine) -> int:  # noqa: ANN001
    """Rows in ``samples`` now."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one()


def bytes_per_sample(engine) -> float:  # noqa: ANN001
    """Disk bytes of the samples table with its indexes and TOAST, per stored row."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_total_relation_size('samples')")).scalar_one()
    return size / max(stored_samples(engine), 1)


def process_tree(pids: list[int]) -> list[int]:
    """Return these processes and all their descendants (a worker's receiver process)."""
    import psutil

    found = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            found += [pid, *(c.pid for c in proc.children(recursive=True))]
        except psutil.Error:
            continue
    return found


def measure(n: int, url: str, broker, cluster, args: argparse.Namespace) -> dict:  # noqa: ANN001
    """Run the backlog through ``n`` workers; return the rate and the cores busy per group."""
    from edgebench.collector import db
    from edgebench.collector.config import load_collector_config
    from edgebench.collector.ingest.workers import IngestWorkers

    flags = {
        "db": url,
        "mqtt.url": broker.url,
        "mqtt.protocol": "5",
        "ingest_workers": n,
        "shared_group": "bench",
        "client_id": f"bench-{n}",
    }
    workers = IngestWorkers(load_collector_config(None, flags))
    workers.start()
    engine = db.make_engine(url)
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    per_publisher = args.messages // args.publishers
    publishers = [
        ctx.Process(target=backlog_publisher, args=(broker.port, w, per_publisher, args.rows, go))
        for w in range(args.publishers)
    ]
    try:
        for p in publishers:
            p.start()
        time.sleep(SETTLE_S)  # publishers build payloads, workers subscribe
        groups = {
            "workers": process_tree(workers.pids),
            "postgres": cluster.server_pids(),
            "publishers": [p.pid for p in publishers],
            "broker": [broker.proc.pid],
        }
        total = per_publisher * args.publishers * args.rows
        before = {name: cpu_seconds(pids) for name, pids in groups.items()}
        busy0, start = machine_busy_seconds(), time.monotonic()
        go.set()
        deadline = start + args.timeout
        stored = 0
        while stored < total and time.monotonic() < deadline:
            time.sleep(0.2)
            stored = stored_samples(engine)
            # A backend or a receiver may start late: count it from when it appears.
            groups["postgres"] = sorted(set(groups["postgres"]) | set(cluster.server_pids()))
        window = time.monotonic() - start
        used = {name: cpu_seconds(pids) - before.get(name, 0.0) for name, pids in groups.items()}
        used["other"] = machine_busy_seconds() - busy0 - sum(used.values())
        disk = bytes_per_sample(engine)
    finally:
        for p in publishers:
            p.join(60)
        workers.stop()
        engine.dispose()
    return {
        "workers": n,
        "stored": stored,
        "total": total,
        "rate": stored / window,
        "window": window,
        "cores": {name: sec / window for name, sec in used.items()},
        "us_per_sample": {name: sec / max(stored, 1) * 1e6 for name, sec in used.items()},
        "disk_bytes": disk,
    }


def main() -> int:
    """Measure each worker count in turn and print a Markdown table."""
    from tests.brokers import MosquittoBroker
    from tests.pgcluster import PgCluster, find_bindir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,3", help="worker counts, in this order")
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=8_000, help="backlog messages in all")
    parser.add_argument("--rows", type=int, default=50, help="rows per samples message")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        print("bench/ingest_workers.py: PostgreSQL is not installed (apt-get install postgresql)")
        return 2
    cluster = PgCluster(bindir, fast=False)
    cluster.start()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="edgebench-bench-") as tmp:
            # Saved and logging as deployed, as in bench/ingest_throughput.py.
            broker = MosquittoBroker(
                Path(tmp) / "mosquitto",
                autosave_interval_s=60,
                log_types=("error", "warning", "notice", "information"),
            )
            broker.start()
            try:
                for n in (int(w) for w in args.workers.split(",")):
                    url = cluster.create_database(f"workers{n}")
                    results.append(measure(n, url, broker, cluster, args))
            finally:
                broker.stop()
    finally:
        cluster.stop()
    print(f"backlog: {args.messages} messages of {args.rows} samples, {args.publishers} publishers")
    print(
        "| workers | stored samples/s | × 1 worker | CPU per sample: workers, postgres, broker"
        " | cores busy: workers, postgres, publishers, broker, other | disk per sample |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    base = results[0]["rate"]
    for r in results:
        c, us = r["cores"], r["us_per_sample"]
        missing = "" if r["stored"] == r["total"] else f" (only {r['stored']:,} of {r['total']:,})"
        print(
            f"| {r['workers']} | {r['rate']:,.0f}{missing} | {r['rate'] / base:.2f} "
            f"| {us['workers']:.2f}, {us['postgres']:.2f}, {us['broker']:.2f} µs "
            f"| {c['workers']:.2f}, {c['postgres']:.2f}, "
            f"{c['publishers']:.2f}, {c['broker']:.2f}, {c['other']:.2f} "
            f"| {r['disk_bytes']:.0f} B |"
        )
    return 0 if all(r["stored"] == r["total"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
