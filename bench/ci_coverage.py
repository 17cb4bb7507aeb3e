"""Coverage of the agent's 95 % intervals on synthetic latency series with known answers.

Each series is ``exp`` of a Gaussian AR(1) process (log-normal marginals, skewed like
real latencies, with the autocorrelation ``phi`` of drift and bursts), so its true
median, p90, p99 and mean are known in closed form. For every ``phi`` the script draws
``--trials`` series, computes the circular block bootstrap intervals
(``shared.uncertainty.sequence_intervals``, block length from the data) and the naive
iid bootstrap (block 1) for contrast, and prints the share of intervals that contain the
true value. PASS when the block bootstrap's p50 and mean coverage are at least
``--floor`` (90 %) for every ``phi``: a block bootstrap is known to fall a little short of
nominal under strong dependence (docs/statistics.md).

    .venv/bin/python bench/ci_coverage.py [--trials 300] [--n 1000] [--phis 0,0.5,0.9]
"""

from __future__ import annotations

import argparse
import math
import sys
from statistics import NormalDist

import numpy as np

from edgebench.shared.uncertainty import sequence_intervals

NAMES = ("p50", "p90", "p99", "mean")
SIGMA = 0.1  # log-scale standard deviation of the marginal: a 10 % latency spread


def ar1_latencies(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Return ``10 ms × exp(AR(1))`` with marginal log-sd SIGMA, started in equilibrium."""
    shocks = rng.normal(0.0, SIGMA * math.sqrt(1.0 - phi**2), n)
    log = np.empty(n)
    log[0] = rng.normal(0.0, SIGMA)
    for i in range(1, n):
        log[i] = phi * log[i - 1] + shocks[i]
    return 10.0 * np.exp(log)


def true_values() -> dict[str, float]:
    """Return the marginal's p50, p90, p99 (log-normal quantiles) and mean."""
    z = NormalDist().inv_cdf
    values = {name: 10.0 * math.exp(SIGMA * z(p)) for name, p in (("p50", 0.5), ("p90", 0.9))}
    values["p99"] = 10.0 * math.exp(SIGMA * z(0.99))
    values["mean"] = 10.0 * math.exp(SIGMA**2 / 2)
    return values


def coverage(phi: float, n: int, trials: int, block: int | None) -> tuple[dict, float]:
    """Share of intervals holding the truth, per statistic, and the mean block length."""
    truth = true_values()
    hits = dict.fromkeys(NAMES, 0)
    blocks = 0
    for seed in range(trials):
        series = ar1_latencies(n, phi, np.random.default_rng(10_000 + seed))
        result = sequence_intervals(series, NAMES, seed=seed, block=block)
        blocks += result.block_length
        for name in NAMES:
            lo, hi = result.intervals[name]
            hits[name] += lo <= truth[name] <= hi
    return {name: hits[name] / trials for name in NAMES}, blocks / trials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--phis", default="0,0.5,0.9")
    parser.add_argument("--floor", type=float, default=0.90)
    args = parser.parse_args()
    print(f"n = {args.n} latencies per series, {args.trials} series per row, 95 % intervals")
    print(f"{'phi':>5} {'method':<14} {'block':>6}  " + "  ".join(f"{n:>5}" for n in NAMES))
    failed = False
    for phi in (float(p) for p in args.phis.split(",")):
        for label, block in (("block boot", None), ("iid boot", 1)):
            shares, mean_block = coverage(phi, args.n, args.trials, block)
            cells = "  ".join(f"{shares[n]:>5.1%}" for n in NAMES)
            print(f"{phi:>5} {label:<14} {mean_block:>6.1f}  {cells}")
            if block is None:
                failed |= any(shares[n] < args.floor for n in ("p50", "mean"))
        sys.stdout.flush()
    print(
        ("FAIL" if failed else "PASS") + f": block-bootstrap p50 and mean coverage"
        f" >= {args.floor:.0%} for every phi (nominal 95 %)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
