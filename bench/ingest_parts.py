"""Parts of bench/ingest_throughput.py: simulated agents, the raw SQLite ceiling, CPU clocks.

Publisher functions run in spawned processes, so they live in an importable module.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import time
import uuid
from pathlib import Path


def samples_payload(device: str, run_id: str, seq: int, rows: list[dict]) -> bytes:
    """Return a samples message exactly as the contract defines it (validated by the collector).

    Built by hand (no edgebench import in the publishers), columns as ``SamplesMessage.from_rows``.
    """
    keys = list(dict.fromkeys(key for row in rows for key in row))
    msg = {
        "schema_version": 1,
        "message_id": uuid.uuid4().hex,
        "type": "samples",
        "device_id": device,
        "ts": time.time(),
        "run_id": run_id,
        "seq": seq,
        "columns": {key: [row.get(key) for row in rows] for key in keys},
    }
    return json.dumps(msg, separators=(",", ":")).encode()


def payload_sizes(rows: int) -> tuple[int, int]:
    """Bytes of one backlog samples message: as sent (columns), and as one object per sample."""
    batch = [sample_row(1_000.0 + i, i) for i in range(rows)]
    columnar = samples_payload("dev-0-0", "run-0-0", 0, batch)
    per_sample = json.loads(columnar) | {"rows": batch}
    del per_sample["columns"]
    return len(columnar), len(json.dumps(per_sample, separators=(",", ":")).encode())


def sample_row(t: float, i: int) -> dict:
    """One telemetry row with the metric keys a Raspberry Pi agent reports."""
    return {
        "t": t,
        "cpu_util_pct": 50.0 + i % 40,
        "cpu0_util_pct": 48.0,
        "cpu1_util_pct": 52.0,
        "cpu_freq_mhz": 1800.0,
        "temp_c": 55.0 + (i % 10) * 0.1,
        "throttled": 0,
        "under_voltage": 0,
        "freq_capped": 0,
        "throttled_now": 0,
        "soft_temp_limit": 0,
        "mem_used_mb": 812.0,
        "mem_available_mb": 3100.0,
        "proc_rss_mb": 61.0,
        "power_w": 5.1,
    }


def _client(port: int, name: str):  # noqa: ANN202 - paho is imported in the child
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=name)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def backlog_publisher(port: int, worker: int, messages: int, rows: int, go: mp.Event) -> None:
    """Publish ``messages`` pre-built samples batches as fast as the broker takes them."""
    client = _client(port, f"bench-pub-{worker}")
    topic_root = "edgebench/v1"
    payloads = []
    for m in range(messages):
        device = f"dev-{worker}-{m % 50}"
        run_id = f"run-{worker}-{m % 50}"
        t0 = 1_000.0 + m * rows
        batch = [sample_row(t0 + i, i) for i in range(rows)]
        topic = f"{topic_root}/{device}/runs/{run_id}/samples"
        payloads.append((topic, samples_payload(device, run_id, m, batch)))
    go.wait()
    infos = [client.publish(t, p, qos=1) for t, p in payloads]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def paced_publisher(port: int, worker: int, devices: int, seconds: float, go: mp.Event) -> None:
    """Each device publishes one 1-row samples message per second, spread over the second."""
    client = _client(port, f"bench-paced-{worker}")
    names = [(f"lag-{worker}-{d}", f"lagrun-{worker}-{d}") for d in range(devices)]
    go.wait()
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        for d, (device, run_id) in enumerate(names):
            due = start + tick + d / devices
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            row = [sample_row(time.time(), d)]
            payload = samples_payload(device, run_id, tick, row)
            client.publish(f"edgebench/v1/{device}/runs/{run_id}/samples", payload, qos=1)
        tick += 1
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds consumed so far by these processes (gone ones count 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have been busy since boot."""
    import psutil

    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


def ceiling_rows(rows: int, runs: list[str]) -> list[tuple]:
    """Return ``rows`` sample tuples in ``SAMPLE_COLUMNS`` order, spread over ``runs``."""
    from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS

    extra = json.dumps({"cpu0_util_pct": 48.0, "cpu1_util_pct": 52.0})
    data = []
    for n in range(rows):
        row = sample_row(1_000.0 + n, n)
        values = [row[c] for c in (*SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS)]
        data.append((runs[n % len(runs)], row["t"], *values, extra))
    return data


def measure_ceiling(workdir: Path, rows: int, batch_size: int, name: str) -> tuple[float, float]:
    """Insert ``rows`` sample rows straight into the same schema with sqlite3.executemany.

    Returns (rows per second, CPU seconds per row).
    """
    from edgebench.collector import db
    from edgebench.collector.columns import SAMPLE_FLOAT_COLUMNS, SAMPLE_INT_COLUMNS

    path = workdir / f"ceiling-{name}.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    runs = [f"run-{i}" for i in range(50)]
    conn.execute("INSERT INTO devices (device_id, first_seen, last_seen) VALUES ('d', 0, 0)")
    conn.executemany(
        "INSERT INTO runs (run_id, device_id, status, received_at, updated_at) "
        "VALUES (?, 'd', 'running', 0, 0)",
        [(r,) for r in runs],
    )
    conn.commit()
    cols = ["run_id", "t", *SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS, "extra"]
    # Column names are constants from models/fleet.py; values are bound parameters.
    columns, marks = ", ".join(cols), ", ".join("?" * len(cols))
    sql = f"INSERT INTO samples ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    data = ceiling_rows(rows, runs)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, rows, batch_size):
        conn.executemany(sql, data[i : i + batch_size])
        conn.commit()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    rate = rows / elapsed
    print(
        f"raw SQLite ceiling ({name}): {rate:,.0f} samples/s, {cpu / rows * 1e6:.2f} us CPU "
        f"per row ({rows} rows, batches of {batch_size})"
    )
    return rate, cpu / rows
