"""Measure the error rates of the collector's comparison verdicts on this machine.

Three kinds of pair, alternated in one run so drift and other jobs hit all of them alike;
each side is one ``edgebench agent run MODEL --threads T --json`` process with a measured
phase of at most ``--max-secs`` (3 s), and each pair is judged on p50 by the collector's
test (``collector/significance.py``: block bootstrap, ±3 % practical threshold):

* **same**: the generated MobileNetV2 1.0/224 int8 against itself; a verdict other than
  "no significant difference" is a false alarm (target: at most 2 of 30).
* **diff**: 1.0/224 against 1.0/208 (about 14 % fewer MACs); the 208 side must be called
  "faster" (target: at least 27 of 30). The measured p50 ratio is printed.
* **hog**: 1.0/224 against itself with a CPU hog (a busy loop) running during the second
  side only; the busy guard must flag that side (``busy.busy`` or ``busy.contended``)
  every time. The guard runs with ``busy_wait_s = 0``, so a flagged run goes ahead and is
  INVALID instead of waiting.

Which side runs first alternates from pair to pair. Usage (about 20 s a pair here):

    .venv/bin/python bench/compare_calibration.py [--pairs 30] [--threads 1] [--max-secs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDGEBENCH = Path(sys.executable).parent / "edgebench"
FALSE_ALARMS_MAX = 2 / 30
DETECTION_MIN = 27 / 30


def build(out: Path, resolution: int) -> Path:
    """Generate MobileNetV2 1.0/<resolution> int8 with the agent's generator.

    208 is not a published resolution, so ``model build`` refuses it; the generator itself
    builds any input size (the network is fully convolutional), so the bench calls it with
    a ``ModelConfig`` directly, bypassing only that check.
    """
    from edgebench.agent.modeltools.generator.build import ModelConfig, build_model_bytes

    path = out / f"mobilenet_v2_1.0_{resolution}_int8.tflite"
    path.write_bytes(build_model_bytes(ModelConfig("mobilenet_v2", 1.0, resolution, "int8")))
    return path


def agent_run(model: Path, out: Path, args: argparse.Namespace) -> dict:
    """Run one benchmark process and return its JSON result."""
    env = dict(os.environ, EDGEBENCH_BUSY_WAIT_S="0", EDGEBENCH_STATE_DIR=str(out.parent))
    cmd = [str(EDGEBENCH), "agent", "run", str(model), "--threads", str(args.threads)]
    cmd += ["--min-secs", str(args.min_secs), "--max-secs", str(args.max_secs), "--runs", "20"]
    cmd += ["--warmup-secs", "0.5", "--sample-hz", "0", "--quiet", "--json", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return json.loads(out.read_text())


def hog() -> subprocess.Popen:
    """Start a busy loop on one core (the 'other job' the busy guard must see)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def flagged(result: dict) -> bool:
    """Whether the busy guard marked the run (busy before it, or contended during it)."""
    busy = result.get("busy") or {}
    return bool(busy.get("busy") or busy.get("contended"))


def other_cpu(result: dict) -> float | None:
    """Other processes' CPU during the measured phase, in % of one core (the guard's)."""
    return (result.get("busy") or {}).get("other_cpu_pct_during")


def measured_s(result: dict) -> float:
    return float(result["timing"]["measured_duration_s"])


def pair(
    kind: str, index: int, models: dict[str, Path], tmp: Path, args: argparse.Namespace
) -> dict:
    """Run one pair (order alternating by index) and judge it with the collector's test."""
    from edgebench.collector.significance import compare_pair

    first, second = ("224", "208") if kind == "diff" else ("224", "224")
    sides = [("a", first), ("b", second)]
    results: dict[str, dict] = {}
    for side, res in sides if index % 2 == 0 else sides[::-1]:
        hogger = hog() if kind == "hog" and side == "b" else None
        try:
            if hogger is not None:
                time.sleep(0.5)  # let the loop get going before the guard's window
            results[side] = agent_run(models[res], tmp / f"{kind}{index}{side}.json", args)
        finally:
            if hogger is not None:
                hogger.kill()
                hogger.wait()
    a, b = results["a"], results["b"]
    test = compare_pair((a["run_id"], a["latencies_ms"]), (b["run_id"], b["latencies_ms"]))
    return {
        "kind": kind,
        "ratio": test.ratio,
        "ci95": test.interval,
        "p": test.p_adjusted,
        "verdict": test.verdict,
        "flag_a": flagged(a),
        "flag_b": flagged(b),
        "secs": max(measured_s(a), measured_s(b)),
        "other_cpu": [other_cpu(a), other_cpu(b)],
        "n": (len(a["latencies_ms"]), len(b["latencies_ms"])),
    }


def report(rows: list[dict], pairs: int) -> int:
    """Print the tallies and PASS/FAIL per target; return the exit status."""
    by = {k: [r for r in rows if r["kind"] == k] for k in ("same", "diff", "hog")}
    status = 0

    def line(ok: bool, text: str) -> None:
        nonlocal status
        status |= 0 if ok else 1
        print(f"{'PASS' if ok else 'FAIL'}: {text}")

    same_alarms = sum(r["verdict"] != "no significant difference" for r in by["same"])
    line(
        same_alarms <= FALSE_ALARMS_MAX * pairs,
        f"same config: {pairs - same_alarms}/{pairs} 'no significant difference' "
        f"(false alarms {same_alarms}; ratios {min(r['ratio'] for r in by['same']):.3f}"
        f"-{max(r['ratio'] for r in by['same']):.3f})",
    )
    faster = sum(r["verdict"] == "faster" for r in by["diff"])
    ratios = [r["ratio"] for r in by["diff"]]
    line(
        faster >= DETECTION_MIN * pairs,
        f"224 vs 208: {faster}/{pairs} 'faster'; measured p50 ratio 208/224 median "
        f"{statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f})",
    )
    hog_flags = sum(r["flag_b"] for r in by["hog"])
    line(
        hog_flags == pairs,
        f"CPU hog: busy guard flagged the hog side {hog_flags}/{pairs}; the quiet side "
        f"{sum(r['flag_a'] for r in by['hog'])}/{pairs}; verdicts "
        + ", ".join(
            f"{v} {sum(r['verdict'] == v for r in by['hog'])}"
            for v in ("faster", "slower", "no significant difference")
        ),
    )
    longest = max(r["secs"] for r in rows)
    line(longest <= 3.0 + 0.5, f"longest measured phase {longest:.2f} s (runs of at most 3 s)")
    calm = [r for r in rows if r["kind"] != "hog"]
    flags = sum(r["flag_a"] + r["flag_b"] for r in calm)
    loads = sorted(c for r in calm for c in r["other_cpu"] if c is not None)
    if loads:
        print(
            f"note: {flags} of {2 * len(calm)} same/diff runs were flagged busy by other jobs; "
            f"other processes' CPU during them: median {statistics.median(loads):.0f} % "
            f"of a core (range {loads[0]:.0f}-{loads[-1]:.0f} %)"
        )
    for kind in ("same", "diff"):
        quiet = [r for r in by[kind] if not (r["flag_a"] or r["flag_b"])]
        if quiet:
            tally = ", ".join(
                f"{v} {sum(r['verdict'] == v for r in quiet)}"
                for v in ("faster", "slower", "no significant difference")
            )
            print(f"note: {kind}: the {len(quiet)} pairs with neither side flagged: {tally}")
    return status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30, help="pairs of each kind [30]")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-secs", type=float, default=2.0)
    ap.add_argument("--max-secs", type=float, default=3.0)
    ap.add_argument("--log", type=Path, help="write every pair as JSON lines here")
    args = ap.parse_args()
    if args.pairs < 1 or args.max_secs > 3.0 or args.min_secs > args.max_secs:
        print("compare_calibration: need --pairs >= 1 and --min-secs <= --max-secs <= 3")
        return 2
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; shared with other jobs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        models = {"224": build(tmp, 224), "208": build(tmp, 208)}
        for index in range(args.pairs):
            for kind in ("same", "diff", "hog"):
                row = pair(kind, index, models, tmp, args)
                rows.append(row)
                print(
                    f"{index:3d} {kind:4s} ratio {row['ratio']:.3f} "
                    f"[{row['ci95'][0]:.3f}, {row['ci95'][1]:.3f}] p {row['p']:.3g} "
                    f"{row['verdict']:<26s} busy a={row['flag_a']:d} b={row['flag_b']:d} "
                    f"n={row['n']} {row['secs']:.2f} s",
                    flush=True,
                )
                if args.log:
                    with args.log.open("a") as fh:
                        fh.write(json.dumps(row) + "\n")
    return report(rows, args.pairs)


if __name__ == "__main__":
    sys.exit(main())
