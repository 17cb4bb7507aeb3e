"""The floor of the collector's CPU per stored sample: its own parts in one thread, no IPC.

``ingest_throughput.py``'s target (collector CPU per stored sample at most 2x the raw
SQLite insert's CPU per row) has been missed in every run. This script asks whether any
arrangement of the same parts could meet it. Both collectors below drain the same backlog
(``--messages`` samples messages of 50 rows, queued at Mosquitto while the collector was
offline, so no publisher shares the cores while they are measured):

1. **service**: ``IngestService`` as ``collector ingest`` runs it (receiver process with
   paho's thread, decoding and rows; the pipe; the writer thread; SQLite in WAL);
2. **one thread**: the same parts with nothing between them: paho driven through its
   public external-loop API (``loop_read``, ``loop_write``), the collector's
   ``subscriber.receive`` (the contract's msgspec decoder, then the table rows),
   ``Store.write`` of 100-message batches and manual acknowledgements, all in this
   process's one thread. No pipe, no pickling, no thread hand-offs, no receipts: the least
   CPU these parts can take. Each part is timed with the thread's CPU clock.

Each is compared with the raw ceiling of the same run (``ingest_parts.measure_ceiling``:
the same rows with ``sqlite3.executemany``, 100,000 rows per transaction; median of three,
before, between and after). CPU is counted from the first commit that brings the stored
samples to 5 % of the backlog until the last, so start-up is left out of both; the drain
rate (stored samples per second) is taken over the same window.

Informational: no target. Run: ``.venv/bin/python bench/ingest_floor.py`` (needs
``mosquitto`` on PATH).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import select
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_parts import backlog_publisher, cpu_seconds, measure_ceiling  # noqa: E402

ROWS = 50
BATCH = 100  # messages per commit: the collector's default batch_size
START_SHARE = 0.05  # CPU is counted once this share of the backlog is stored
# The deployed broker's queue per offline session (ansible/roles/mosquitto/defaults).
QUEUED_MAX = 10_000


def collector_config(workdir: Path, port: int, name: str):  # noqa: ANN201
    """Return the collector's config: SQLite in ``workdir``, MQTT 5 (as ingest_throughput)."""
    from edgebench.collector.config import load_collector_config

    flags = {
        "db": f"sqlite:///{workdir / f'{name}.sqlite'}",
        "mqtt.url": f"mqtt://127.0.0.1:{port}",
        "mqtt.protocol": "5",
    }
    return load_collector_config(None, flags)


def queue_backlog(port: int, messages: int) -> int:
    """Publish ``messages`` samples messages (two publishers); return the samples sent."""
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    per_worker = messages // 2
    procs = [
        ctx.Process(target=backlog_publisher, args=(port, w, per_worker, ROWS, go))
        for w in range(2)
    ]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(180)
    time.sleep(1.0)  # let the broker finish queueing
    return per_worker * 2 * ROWS


def drain_service(workdir: Path, port: int, messages: int) -> tuple[dict[str, float], float]:
    """Drain a backlog with ``IngestService``; return CPU s per sample by process, rate."""
    from edgebench.collector.ingest.service import IngestService

    config = collector_config(workdir, port, "service")
    service = IngestService(config, campaigns=False)
    service.start()  # once, to create the persistent session and its subscriptions
    if not service.wait_connected(15):
        raise SystemExit("collector did not connect to mosquitto")
    service.stop()
    total = queue_backlog(port, messages)
    service = IngestService(config, campaigns=False)
    service.start()
    groups = {"writer": [os.getpid()], "receiver": [service.receiver.pid]}
    first = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        stored = service.writer.stats.snapshot()["samples_inserted"]
        cpu = {name: cpu_seconds(pids) for name, pids in groups.items()}
        point = (stored, cpu, time.monotonic())
        if first is None and stored >= START_SHARE * total:
            first = point
        if stored >= total:
            break
        time.sleep(0.02)
    service.stop()
    if first is None or point[0] < total:
        raise SystemExit(f"service stored {point[0]} of {total} samples")
    n = point[0] - first[0]
    used = {name: (point[1][name] - first[1][name]) / n for name in groups}
    return used, n / (point[2] - first[2])


def drain_one_thread(workdir: Path, port: int, messages: int) -> tuple[dict[str, float], float]:
    """Drain a backlog with the collector's parts in this thread; return CPU s per sample, rate."""
    from edgebench.collector import db
    from edgebench.collector.ingest.subscriber import receive
    from edgebench.collector.store import Store
    from edgebench.shared.mqtt_client import make_client, session_connect_args
    from edgebench.shared.topics import TopicLayout

    config = collector_config(workdir, port, "one-thread")
    engine = db.make_engine(config.db)
    db.upgrade(engine)
    store = Store(engine)
    layout = TopicLayout(config.mqtt.topic_prefix)
    spent: dict[str, float] = defaultdict(float)
    batch: list = []

    def on_connect(client, _userdata, _flags, _reason, _props) -> None:  # noqa: ANN001
        client.subscribe([(f, 1) for f in layout.subscriptions()])

    def on_message(_client, _userdata, message) -> None:  # noqa: ANN001
        start = time.thread_time()
        item = receive(message.topic, bytes(message.payload), layout, time.time(), keep_rows=False)
        item.token = (message.mid, message.qos)
        batch.append(item)
        spent["receive"] += time.thread_time() - start

    def connect():  # noqa: ANN202
        client = make_client(config.mqtt, config.client_id, manual_ack=True)
        client.on_connect, client.on_message = on_connect, on_message
        # Writes wait for this loop's loop_write (one send for a batch's PUBACKs).
        client.on_socket_register_write = lambda *_: None
        kwargs = session_connect_args(config.mqtt, receive_maximum=config.receive_maximum)
        client.connect(config.mqtt.host, config.mqtt.port, config.mqtt.keepalive_s, **kwargs)
        return client

    client = connect()  # once, to create the persistent session and its subscriptions
    while not client.is_connected() or client.want_write():
        client.loop(0.1)
    time.sleep(0.5)
    client.disconnect()
    total = queue_backlog(port, messages)
    client = connect()
    stored = 0
    first = None
    while stored < total:
        sock = client.socket()
        wants = [sock] if client.want_write() else []
        readable, writable, _ = select.select([sock], wants, [], 0.05)
        start = time.thread_time()
        if writable:
            client.loop_write()
        # Every whole PUBLISH already waiting, up to a batch (paho reads one per call).
        while readable and len(batch) < BATCH:
            client.loop_read()
            readable = select.select([sock], [], [], 0)[0]
        client.loop_misc()
        spent["paho"] += time.thread_time() - start
        if batch and (len(batch) >= BATCH or not readable):
            start = time.thread_time()
            stored += store.write(batch).samples_inserted
            spent["write"] += time.thread_time() - start
            start = time.thread_time()
            for mid, qos in (item.token for item in batch):
                client.ack(mid, qos)
            client.loop_write()
            batch.clear()
            spent["acknowledge"] += time.thread_time() - start
            if first is None and stored >= START_SHARE * total:
                first = (stored, dict(spent), time.monotonic())
    client.disconnect()
    n = stored - first[0]
    # loop_read's time includes on_message (receive): paho's own share is the rest.
    used = {k: spent[k] - first[1].get(k, 0.0) for k in spent}
    used["paho"] -= used["receive"]
    return {k: v / n for k, v in used.items()}, n / (time.monotonic() - first[2])


def main() -> int:
    from tests.brokers import MosquittoBroker

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=8_000, help="backlog messages")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgebench-floor-") as tmp:
        workdir = Path(tmp)
        broker = MosquittoBroker(
            workdir / "mosquitto",
            extra_config=f"max_queued_messages {QUEUED_MAX}\n",
            autosave_interval_s=60,
            log_types=("error", "warning", "notice", "information"),
        )
        broker.start()
        rows = args.messages * ROWS
        try:
            ceilings = [measure_ceiling(workdir, rows, 100_000, "before")]
            service, service_rate = drain_service(workdir, broker.port, args.messages)
            ceilings.append(measure_ceiling(workdir, rows, 100_000, "between"))
            floor, floor_rate = drain_one_thread(workdir, broker.port, args.messages)
            ceilings.append(measure_ceiling(workdir, rows, 100_000, "after"))
        finally:
            broker.stop()
    ceiling = statistics.median(c[1] for c in ceilings)
    us = 1e6
    print(f"backlog: {args.messages} samples messages of {ROWS} rows, drained from the broker")
    print(f"raw insert, median of 3: {ceiling * us:.2f} us CPU per row")
    total = sum(service.values())
    parts = ", ".join(f"{k} {v * us:.2f}" for k, v in service.items())
    print(f"service: {total * us:.2f} us per sample ({parts}) = {total / ceiling:.2f}x")
    print(f"  drained at {service_rate:,.0f} samples/s")
    total = sum(floor.values())
    parts = ", ".join(f"{k} {v * us:.2f}" for k, v in sorted(floor.items()))
    print(f"one thread: {total * us:.2f} us per sample ({parts}) = {total / ceiling:.2f}x")
    print(f"  drained at {floor_rate:,.0f} samples/s")
    # What the service's design costs over the least its parts can take.
    print(f"service / one thread: {sum(service.values()) / total:.2f}x the CPU per sample")
    return 0


if __name__ == "__main__":
    sys.exit(main())
