"""How long the comparison verdicts take: 10 runs, cold (first view) and cached.

Builds 10 synthetic runs of ``--latencies`` autocorrelated latencies each (the size of a
10 s run at 1-3 ms an inference) and times ``collector.verdicts.apply``, the part of
``/api/compare`` and the compare page that bootstraps the stored sequences: the first
call computes every run's replicates, a second call finds them in the cache. The database
read of the latencies is not included (``bench/api_latency.py`` covers the API).

    .venv/bin/python bench/compare_cost.py [--runs 10] [--latencies 5000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np


def series(n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    log = np.zeros(n)
    shocks = rng.normal(0, 0.1 * math.sqrt(1 - 0.25), n)
    for i in range(1, n):
        log[i] = 0.5 * log[i - 1] + shocks[i]
    return list(2.0 * np.exp(log))


def main() -> None:
    from edgebench.collector import verdicts
    from edgebench.collector.compare import METRICS, _table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--latencies", type=int, default=5000)
    args = ap.parse_args()
    columns, loaded = [], {}
    for i in range(args.runs):
        values = series(args.latencies, i)
        run_id = f"run{i}-{args.latencies}"
        keys = [m.key for m in METRICS]
        columns.append(
            {
                "id": run_id,
                "label": run_id,
                "run_ids": [run_id],
                "n": 1,
                "values": dict.fromkeys(keys, 1.0),
            }
        )
        loaded[run_id] = {"latencies": values, "ci95": None, "paced": False}
    for label in ("cold (computes every run)", "warm (cached)"):
        start = time.perf_counter()
        verdicts.apply(_table("runs", columns, None), loaded, 3.0)
        print(
            f"{args.runs} runs x {args.latencies} latencies, {label}: "
            f"{time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    main()
