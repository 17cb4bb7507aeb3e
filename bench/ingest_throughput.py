"""Collector ingest throughput and lag: simulated agents → Mosquitto → one collector.

Three measurements in one run, on this machine:

1. **Sustained throughput**: publisher processes push a backlog of telemetry batches
   (``--rows`` rows per samples message, as the agent batches them) as fast as they can;
   stored samples per second is taken from the start of publishing to the last commit.
2. **Lag**: ``--devices`` devices each publish one 1-row samples message per second
   (1 Hz sampling); lag is commit time minus the message's ``ts`` (publish time).
3. **Raw ceiling**: the same number of the same sample rows inserted straight into a fresh
   database with the same schema (Alembic head) and pragmas, 100,000 rows per transaction
   (more than a collector batch: large transactions are faster, so this is an upper
   bound), with ``sqlite3.executemany``. Measured three times (before
   the backlog, after it, after the lag test) and the median taken, because other jobs on
   a shared machine change the speed of both sides over a run.

Publishers, Mosquitto and the collector all run on this machine and share its cores (the
ceiling uses one). To tell the collector's own cost from contention, the backlog phase
also reports CPU seconds per process group (the collector's writer and receiver
processes, publishers, broker, and everything else on the machine) over the measured
window, and the collector's CPU time per stored sample next to the ceiling's CPU time
per row.

The collector runs as ``collector ingest`` does (``IngestService``: its receiver process
with the paho session, manual acks and decoding; the writer thread in this process;
SQLite in WAL), over MQTT 5 so the broker may keep more than 20 unacknowledged messages
in flight. Each
publisher process speaks for many devices over one connection (topics and payloads are
per device; only the TCP connection is shared).

Run: ``.venv/bin/python bench/ingest_throughput.py`` (needs ``mosquitto`` on PATH).
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_parts import (  # noqa: E402 - needs ROOT on sys.path
    backlog_publisher,
    cpu_seconds,
    machine_busy_seconds,
    measure_ceiling,
    paced_publisher,
    payload_sizes,
)

TARGET_RATE = 20_000.0
TARGET_LAG_P95_S = 1.0
TARGET_CEILING_SHARE = 0.5
# Collector CPU per stored sample at most this many times the raw insert's CPU per row.
TARGET_CPU_RATIO = 2.0
CEILING_TRANSACTION_ROWS = 100_000


class Probe:
    """Collects (commit time, rows stored) points and publish→commit lags from the writer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lags: list[float] = []
        self.record_lag = False

    def on_commit(self, batch: list, committed_at: float) -> None:
        if not self.record_lag:
            return
        lags = [committed_at - item.message.ts for item in batch if item.message is not None]
        with self.lock:
            self.lags.extend(lags)


def start_collector(  # noqa: ANN201
    workdir: Path, port: int, probe: Probe, db_url: str = "", receipts: bool = True
):
    """Start ``IngestService`` on SQLite in ``workdir`` (or on ``db_url``) against the broker."""
    from edgebench.collector.config import load_collector_config
    from edgebench.collector.ingest.service import IngestService

    flags = {
        "db": db_url or f"sqlite:///{workdir / 'collector.sqlite'}",
        "mqtt.url": f"mqtt://127.0.0.1:{port}",
        "mqtt.protocol": "5",
    }
    config = load_collector_config(None, flags)
    service = IngestService(config, on_commit=probe.on_commit, receipts=receipts, campaigns=False)
    service.start()
    if not service.wait_connected(15):
        raise SystemExit("collector did not connect to mosquitto")
    return service


def measure_backlog(  # noqa: ANN201
    service,  # noqa: ANN001
    broker_pid: int,
    port: int,
    args: argparse.Namespace,
    more_groups: dict[str, list[int]] | None = None,
):
    """Publish the backlog, wait until it is stored; return (samples/s, CPU s per sample)."""
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    per_worker = args.messages // args.publishers
    procs = [
        ctx.Process(target=backlog_publisher, args=(port, w, per_worker, args.rows, go))
        for w in range(args.publishers)
    ]
    for p in procs:
        p.start()
    time.sleep(3.0)  # publishers build their payloads before the clock starts
    total = per_worker * args.publishers * args.rows
    groups = {
        "writer": [os.getpid()],
        "receiver": [service.receiver.pid],
        "publishers": [p.pid for p in procs],
        "broker": [broker_pid],
        **(more_groups or {}),
    }
    start = service.writer.stats.snapshot()
    start_count = start["samples_inserted"]
    points: list[tuple[float, int, dict[str, float]]] = []

    def snapshot() -> None:
        stored = service.writer.stats.snapshot()["samples_inserted"] - start_count
        cpu = {name: cpu_seconds(pids) for name, pids in groups.items()}
        cpu["machine"] = machine_busy_seconds()
        points.append((time.monotonic(), stored, cpu))

    snapshot()
    go.set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and points[-1][1] < total:
        time.sleep(0.05)
        snapshot()
    for p in procs:
        p.join(60)
    # From the start of publishing until every sample is committed: every message is
    # decoded and stored inside this window (the middle of it alone can exceed what is
    # sustainable, because decoding runs ahead of the writer into the queue).
    if args.timeline:
        for at, stored, cpu in points[::4]:
            used = ", ".join(f"{k} {cpu[k] - points[0][2][k]:.2f}" for k in groups)
            print(f"    {at - points[0][0]:5.2f} s {stored:>9,d} stored; CPU s: {used}")
    first, last = points[0], points[-1]
    window = last[0] - first[0]
    rate = last[1] / window
    lo = next(p for p in points if p[1] >= 0.2 * total)
    hi = next(p for p in points if p[1] >= 0.8 * total)
    middle = (hi[1] - lo[1]) / (hi[0] - lo[0])
    used = {name: last[2][name] - first[2][name] for name in last[2]}
    used["other jobs"] = used.pop("machine") - sum(used.values())
    collector_cpu = used["writer"] + used["receiver"]
    print(f"backlog: {total} samples in {per_worker * args.publishers} messages of {args.rows}")
    columnar, per_sample = payload_sizes(args.rows)
    print(f"  {columnar:,d} bytes per message ({per_sample:,d} as one JSON object per sample)")
    print(f"  sustained stored rate: {rate:,.0f} samples/s (publish start to last commit)")
    print(f"  (middle 60% of the rows alone: {middle:,.0f} samples/s; informational)")
    shares = ", ".join(f"{name} {sec / window:.2f}" for name, sec in used.items())
    print(f"  CPU cores busy in that window ({window:.2f} s): {shares}")
    per_sample = collector_cpu / last[1]
    parts = ", ".join(f"{k} {used[k] / last[1] * 1e6:.2f}" for k in ("writer", "receiver"))
    print(f"  collector CPU per stored sample: {per_sample * 1e6:.2f} us ({parts})")
    batches = service.writer.stats.snapshot()["batches"] - start["batches"]
    print(f"  {batches} commits, {last[1] / max(batches, 1):,.0f} samples per commit on average")
    return rate, per_sample


def measure_lag(service, port: int, probe: Probe, args: argparse.Namespace) -> float:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    per_worker = args.devices // 2
    procs = [
        ctx.Process(target=paced_publisher, args=(port, w, per_worker, args.seconds, go))
        for w in range(2)
    ]
    for p in procs:
        p.start()
    time.sleep(2.0)
    go.set()
    time.sleep(2.0)  # skip the first ticks (connections warming up)
    probe.record_lag = True
    for p in procs:
        p.join(args.seconds + 30)
    probe.record_lag = False
    lags = sorted(probe.lags)
    p50 = statistics.median(lags)
    p95 = lags[int(0.95 * (len(lags) - 1))]
    print(f"lag: {args.devices} devices at 1 Hz for {args.seconds:.0f} s, {len(lags)} messages")
    print(f"  publish->commit lag p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    return p95


def main() -> int:
    from tests.brokers import MosquittoBroker

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=8_000, help="backlog messages in all")
    parser.add_argument("--rows", type=int, default=50, help="rows per samples message")
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--timeline", action="store_true", help="print stored samples and CPU over the backlog"
    )
    parser.add_argument(
        "--inflight",
        type=int,
        default=None,
        help="set mosquitto's max_inflight_messages (default: leave its default, 20)",
    )
    parser.add_argument(
        "--no-receipts",
        action="store_true",
        help="send no receipts after commits (to measure what they cost; docs/benchmarks.md)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="edgebench-bench-") as tmp:
        workdir = Path(tmp)
        # Stock Mosquitto unless --inflight: its max_inflight_messages (default 20) bounds
        # the unacknowledged QoS 1 messages it sends one client, and the collector
        # acknowledges only after commit.
        extra = "" if args.inflight is None else f"max_inflight_messages {args.inflight}\n"
        # Saved and logging as deployed (ansible/roles/mosquitto/defaults/main.yml).
        broker = MosquittoBroker(
            workdir / "mosquitto",
            extra_config=extra,
            autosave_interval_s=60,
            log_types=("error", "warning", "notice", "information"),
        )
        shown = extra.strip() or "max_inflight_messages 20 (default)"
        print(f"mosquitto {shown}")
        broker.start()
        probe = Probe()
        service = start_collector(workdir, broker.port, probe, receipts=not args.no_receipts)
        print(f"receipts: {'off' if args.no_receipts else 'on'}")
        rows = args.messages // args.publishers * args.publishers * args.rows
        # Large transactions: at least CEILING_TRANSACTION_ROWS, and never fewer rows than a
        # full collector batch, so the ceiling is an upper bound for the collector's writes.
        batch = max(CEILING_TRANSACTION_ROWS, service.config.batch_size * args.rows)
        ceilings = [measure_ceiling(workdir, rows, batch, "before")]
        try:
            rate, collector_cpu = measure_backlog(service, broker.proc.pid, broker.port, args)
            ceilings.append(measure_ceiling(workdir, rows, batch, "after backlog"))
            lag_p95 = measure_lag(service, broker.port, probe, args)
            health = service.health()
        finally:
            service.stop()
            broker.stop()
        ceilings.append(measure_ceiling(workdir, rows, batch, "after lag"))
    ceiling = statistics.median(c[0] for c in ceilings)
    ceiling_cpu = statistics.median(c[1] for c in ceilings)
    print(f"raw SQLite ceiling, median of 3: {ceiling:,.0f} samples/s")
    cpu_ratio = collector_cpu / ceiling_cpu
    print(
        f"CPU per sample: collector {collector_cpu * 1e6:.2f} us, "
        f"ceiling {ceiling_cpu * 1e6:.2f} us per row (ratio {cpu_ratio:.2f})"
    )
    print(
        f"collector: {health['batches']} batches, {health['rejected']} rejected, "
        f"{health['receipt_commits']} commits with receipts"
    )
    checks = [
        (rate >= TARGET_RATE, f"sustained rate {rate:,.0f} samples/s >= {TARGET_RATE:,.0f}"),
        (lag_p95 < TARGET_LAG_P95_S, f"lag p95 {lag_p95 * 1000:.0f} ms < 1000 ms"),
        (
            rate >= TARGET_CEILING_SHARE * ceiling,
            f"stored rate is {rate / ceiling:.0%} of the raw ceiling (target >= 50%)",
        ),
        (
            cpu_ratio <= TARGET_CPU_RATIO,
            f"collector CPU per stored sample is {cpu_ratio:.2f}x the raw insert's per row "
            f"(target <= {TARGET_CPU_RATIO:.0f}x)",
        ),
        (health["rejected"] == 0, "no valid message rejected"),
    ]
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {text}")
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
