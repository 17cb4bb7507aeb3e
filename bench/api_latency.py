"""API latency on a large fleet: p50/p95 of the dashboard's main JSON endpoints.

Builds (once, then cached) a SQLite database with the real schema (Alembic head): 1,000
devices, 20,000 runs with full result documents (300 latencies and 250 telemetry rows
each, as agents send them) and 5,000,000 telemetry samples. Rows go in with
``executemany`` straight into the real tables. The cache file is keyed by the schema
revision and the generator version, so a schema change rebuilds it.

Then serves the real app on the real threaded WSGI server (as ``collector serve`` does)
and times HTTP requests: the fleet, a filtered page of runs, a run's detail plus its
downsampled samples (what the run page loads), and a 10-run comparison. Target: p95
under 150 ms each. Prints figures and PASS/FAIL; exit status 1 on FAIL.

    .venv/bin/python bench/api_latency.py [--requests 100] [--cache-dir DIR] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from edgebench.collector import create_app, db

GENERATOR_VERSION = 1
DEVICES = 1000
RUNS_PER_DEVICE = 20
SAMPLES_PER_RUN = 250
TARGET_P95_MS = 150.0
BOARDS = [
    ("Raspberry Pi 4 Model B Rev 1.4", "Cortex-A72", 4, 3.6),
    ("Raspberry Pi 5 Model B Rev 1.0", "Cortex-A76", 4, 1.4),
    ("Raspberry Pi 3 Model B Plus Rev 1.3", "Cortex-A53", 4, 8.5),
    ("Raspberry Pi Zero 2 W Rev 1.0", "Cortex-A53", 4, 9.8),
    ("Radxa ROCK 5B", "Cortex-A76", 8, 1.6),
    ("NVIDIA Jetson Orin Nano", "Cortex-A78AE", 6, 1.9),
    ("Intel NUC 11", "Intel Core i5-1135G7", 8, 0.6),
]
MODELS = [
    ("mobilenet_v1_0.25_128_quant", 14_000_000),
    ("mobilenet_v1_1.0_224_quant", 569_000_000),
    ("mobilenet_v2_1.0_224_quant", 300_000_000),
    ("efficientnet_lite0_int8", 407_000_000),
    ("mobilenet_v3_small_int8", 56_000_000),
]
T0 = 1_767_225_600.0


def schema_revision() -> str:
    """Return the Alembic head revision of the collector's migrations."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(db.alembic_config()).get_current_head())


def device_row(i: int, now: float) -> dict[str, Any]:
    board, cpu, cores, _ = BOARDS[i % len(BOARDS)]
    device_id = f"dev-{i:04d}"
    facts = {
        "device_id": device_id,
        "hostname": device_id,
        "board": board,
        "cpu_model": cpu,
        "cpu_cores": cores,
        "architecture": "aarch64",
        "ram_mb": 3796.0,
        "os_release": "Debian GNU/Linux 12 (bookworm)",
        "kernel": "6.6.51",
        "python": "3.11.2",
        "runtimes": {"ai-edge-litert": "2.3.0"},
        "edgebench_version": "0.1.0",
    }
    return {
        "device_id": device_id,
        "hostname": device_id,
        "board": board,
        "architecture": "aarch64",
        "cpu_model": cpu,
        "cpu_cores": cores,
        "ram_mb": 3796.0,
        "os_release": facts["os_release"],
        "edgebench_version": "0.1.0",
        "facts": json.dumps(facts),
        "facts_ts": now,
        "outbox_pending": 0,
        "outbox_dropped_samples": 0,
        "status": "online" if i % 10 < 7 else "offline",
        "status_reason": "connected",
        "status_ts": now,
        "first_seen": T0,
        "last_seen": now - i,
    }


def sample_rows(run_id: str, start: float, rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    for k in range(SAMPLES_PER_RUN):
        temp = 50 + 25 * (1 - 2.718 ** (-k / 80))
        rows.append(
            (
                run_id,
                start + 1 + k * 0.1,
                95 + rng.random() * 5,
                1800.0,
                temp,
                900.0 + k * 0.1,
                3000.0,
                60.0,
                None,
                None,
                None,
                None,
                0,
                int(temp > 74),
                None,
            )
        )
    return rows


def run_row(device: dict[str, Any], j: int, rng: random.Random, samples_json: str) -> dict:
    model, macs = MODELS[j % len(MODELS)]
    threads = (1, 2, 4)[j % 3]
    base = BOARDS[int(device["device_id"][4:]) % len(BOARDS)][3]
    p50 = base * macs / 14e6**1 * 0.05 * (4 / threads) ** 0.7 * (1 + rng.random() * 0.05) + 0.3
    started = T0 + j * 4 * 86400 + rng.random() * 86400
    ips = 1000 / p50
    mj = 5.0 / ips * 1000
    run_id = f"{device['device_id']}-run-{j:03d}"
    latencies = [round(p50 * (1 + rng.gauss(0, 0.04)), 4) for _ in range(300)]
    verdict = "VALID" if rng.random() < 0.9 else "INVALID"
    result = {
        "schema_version": 1,
        "run_id": run_id,
        "status": "complete",
        "started_at": started,
        "finished_at": started + 12,
        "model": {"name": model, "macs": macs, "source": "catalog"},
        "config": {"backend": "litert", "threads": threads},
        "timing": {"measured_start": started + 1, "measured_duration_s": 25.0},
        "latency_ms": {"p50": p50, "p90": p50 * 1.05, "p99": p50 * 1.1},
        "throughput_ips": ips,
        "gops": 2 * macs * ips / 1e9,
        "verdict": {"status": verdict, "reasons": [], "checks": {}},
        "energy": {"measured": False, "method": "estimate", "joules_per_inference": mj / 1000},
        "latencies_ms": latencies,
    }
    # The telemetry list is shared text spliced in: serialising it 20,000 times is slow.
    document = json.dumps(result)[:-1] + ', "samples": ' + samples_json + "}"
    return {
        "run_id": run_id,
        "device_id": device["device_id"],
        "sweep_id": None,
        "status": "complete",
        "started_at": started,
        "finished_at": started + 12,
        "model_name": model,
        "model_sha256": f"{abs(hash(model)):x}".ljust(64, "0"),
        "model_source": "catalog",
        "backend": "litert",
        "backend_version": "2.3.0",
        "threads": threads,
        "xnnpack": True,
        "verdict": verdict,
        "latency_mean_ms": p50 * 1.01,
        "latency_p50_ms": p50,
        "latency_p90_ms": p50 * 1.05,
        "latency_p99_ms": p50 * 1.1,
        "throughput_ips": ips,
        "mj_per_inference": mj,
        "energy_measured": False,
        "power_mean_w": 5.0,
        "peak_temp_c": 75.0,
        "throttled": verdict == "INVALID",
        "accuracy_top1": None,
        "error": None,
        "result": document,
        "received_at": started + 13,
        "updated_at": started + 13,
    }


def build(path: Path) -> None:
    """Create the schema with Alembic and fill it with executemany."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    engine = db.make_engine(f"sqlite:///{tmp}")
    db.upgrade(engine)
    engine.dispose()
    import sqlite3

    rng = random.Random(1)
    now = time.time()
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    devices = [device_row(i, now) for i in range(DEVICES)]
    _insert(con, "devices", devices)
    template = sample_rows("x", T0, rng)
    samples_json = json.dumps(
        [{"t": r[1], "cpu_util_pct": r[2], "cpu_freq_mhz": r[3], "temp_c": r[4]} for r in template]
    )
    for n, device in enumerate(devices):
        runs = [run_row(device, j, rng, samples_json) for j in range(RUNS_PER_DEVICE)]
        _insert(con, "runs", runs)
        con.executemany(
            "INSERT INTO samples (run_id, t, cpu_util_pct, cpu_freq_mhz, temp_c, mem_used_mb, "
            "mem_available_mb, proc_rss_mb, power_w, throttled, under_voltage, freq_capped, "
            "throttled_now, soft_temp_limit, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (row for r in runs for row in sample_rows(r["run_id"], r["started_at"], rng)),
        )
        if n % 100 == 99:
            con.commit()
            print(f"  generated {n + 1} devices", file=sys.stderr)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    tmp.rename(path)


def _insert(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    con.executemany(
        # Table and column names are this script's constants, never input.
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",  # noqa: S608
        [tuple(r[c] for c in cols) for r in rows],
    )


def timed(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our own http URL
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "edgebench",
    )
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    revision = schema_revision()
    path = args.cache_dir / f"api-bench-rev{revision}-gen{GENERATOR_VERSION}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        start = time.monotonic()
        build(path)
        print(f"  done in {time.monotonic() - start:.0f} s", file=sys.stderr)
    import secrets

    from edgebench.collector.webserver import WebServer

    # Anonymous reading (public_read) so the timings are the API's, not the login's.
    app = create_app(
        {
            "DATABASE": f"sqlite:///{path}",
            "AUTO_UPGRADE": False,
            "PUBLIC_READ": True,
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    engine = app.extensions["edgebench_engine"]
    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT max(rowid) FROM {t}")).scalar_one()  # noqa: S608
            for t in ("devices", "runs", "samples")
        }
        run_ids = [r[0] for r in conn.execute(sa.text("SELECT run_id FROM runs"))]
    # The production server `collector serve` runs (waitress).
    httpd = WebServer(app, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.port}"
    rng = random.Random(2)
    filters = [
        "",
        "?verdict=VALID",
        "?board=Raspberry%20Pi%204%20Model%20B%20Rev%201.4",
        "?model=mobilenet_v2_1.0_224_quant&threads=4",
        "?device=dev-0421",
        "?page=40",
        "?sort=latency_p50_ms&order=asc",
        "?since=2026-02-01&until=2026-02-28",
    ]

    def run_detail() -> float:
        run_id = rng.choice(run_ids)
        return timed(f"{base}/api/runs/{run_id}") + timed(f"{base}/api/runs/{run_id}/samples")

    cases = {
        "fleet (/api/devices, 1000 devices)": lambda: timed(base + "/api/devices"),
        "runs list (/api/runs, filters, page of 50)": lambda: timed(
            base + "/api/runs" + rng.choice(filters)
        ),
        "run detail + samples (max_points=500)": run_detail,
        "compare 10 runs (/api/compare)": lambda: timed(
            base + "/api/compare?runs=" + ",".join(rng.sample(run_ids, 10))
        ),
    }
    print(
        f"database: {counts['devices']} devices, {counts['runs']} runs, {counts['samples']} "
        f"samples; {path.stat().st_size / 1e9:.2f} GB; load average {os.getloadavg()[0]:.2f}"
    )
    failed = False
    for name, call in cases.items():
        for _ in range(5):
            call()
        times = [call() for _ in range(args.requests)]
        p50, p95 = statistics.median(times), pct(times, 0.95)
        verdict = "PASS" if p95 < TARGET_P95_MS else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:45s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {verdict}")
    httpd.shutdown()
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms for each; {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
