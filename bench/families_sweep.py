"""Sweep every generated family on this machine and print latency, GOPS and the frontier.

Runs ``edgebench agent sweep`` over MobileNetV1 1.0/224, MobileNetV2 1.0/224, MobileNetV3
Large and Small 1.0/224 and EfficientNet-Lite0…4 at their own resolutions (int8, one thread,
the agent's default run control), then prints a Markdown table per configuration: counted
MACs, published top-1 ("published, not measured": random weights), measured p50 with its
95 % interval, achieved GOPS (2 × MACs ÷ p50), verdict, and whether it is on the Pareto
front (``collector.frontier``, the definition the frontier page uses). These are this
machine's numbers, not a board's.

    .venv/bin/python bench/families_sweep.py [--threads 1] [--from DIR | --keep DIR]

``--from DIR`` prints the table of an earlier sweep's results instead of running one;
``--keep DIR`` keeps this sweep's results there. Below the table, why each run that is
not VALID is not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from edgebench.collector.frontier import Point, pareto_front
from edgebench.shared.published import for_model_name

ROOT = Path(__file__).resolve().parent.parent
EDGEBENCH = str(ROOT / ".venv" / "bin" / "edgebench")
FAMILIES = "mobilenet_v1,mobilenet_v2,mobilenet_v3,efficientnet_lite"


def sweep(out: Path, threads: str) -> None:
    """Run the agent's sweep of every family into ``out``."""
    argv = [EDGEBENCH, "agent", "sweep", "--family", FAMILIES, "--variant", "0,1,2,3,4"]
    argv += ["--threads", threads, "--sample-hz", "0", "--cooldown-max-secs", "0"]
    argv += ["--out", str(out)]
    # Measure the busy board once and record it, never wait for other jobs to finish.
    env = {**os.environ, "EDGEBENCH_BUSY_WAIT_S": "0"}
    # The sweep's own report goes to stderr, so stdout is the Markdown table alone.
    subprocess.run(argv, check=True, env=env, stdout=sys.stderr)


def table(folder: Path) -> None:
    """Print one row per result in ``folder``, fastest first, front marked."""
    docs = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    points = []
    for doc in docs:
        model = for_model_name(doc["model"]["name"])
        lat = doc["latency_ms"]
        low, high = (lat.get("ci95") or {}).get("p50") or (None, None)
        macs = doc["model"]["macs"]
        points.append(
            Point(
                doc["run_id"],
                "here",
                doc["model"]["name"],
                model.family if model else "?",
                doc["config"]["threads"],
                doc["verdict"]["status"],
                model.row.top1 if model and model.row.top1 else float("nan"),
                lat["p50"],
                low,
                high,
                macs,
                2 * macs / (lat["p50"] / 1000) / 1e9,
            )
        )
    # A configuration without a published top-1 (NaN) cannot be placed on the front.
    placed = [p for p in points if p.top1 == p.top1]
    front = {p.run_id for p in pareto_front(placed)}
    # Why a run is INVALID, so the table never shows a bare verdict.
    reasons = {doc["run_id"]: "; ".join(doc["verdict"].get("reasons") or []) for doc in docs}
    print(
        "| model | M MACs | top-1 % (published) | p50 ms [95 % interval] | GOPS | verdict | front |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for p in sorted(points, key=lambda p: p.value):
        interval = f" [{p.low:.3g}, {p.high:.3g}]" if p.low is not None else ""
        print(
            f"| {p.model_name} | {p.macs / 1e6:.0f} | {p.top1:g} | {p.value:.3g}{interval} "
            f"| {p.gops:.1f} | {p.verdict} | {'yes' if p.run_id in front else ''} |"
        )
    for p in sorted(points, key=lambda p: p.value):
        if p.verdict != "VALID":
            print(f"\n{p.model_name} {p.verdict}: {reasons[p.run_id] or 'no reason recorded'}")


def main() -> int:
    """Run the sweep (or read ``--from``) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1")
    parser.add_argument("--from", dest="folder", type=Path)
    parser.add_argument("--keep", type=Path, help="Keep the sweep's results in this folder.")
    args = parser.parse_args()
    if args.folder:
        table(args.folder)
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        sweep(args.keep, args.threads)
        table(args.keep)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        sweep(Path(folder), args.threads)
        table(Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
