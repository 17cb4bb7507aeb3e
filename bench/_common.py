"""Helpers shared by the bench scripts: model path, paired rounds, and PASS/FAIL output."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EDGEBENCH_SHARED", ROOT.parent / "shared")).resolve()
MODEL = SHARED / "models" / "mobilenet_v2_1.0_224_quant.tflite"


def p50_ms(latencies_ns: list[int]) -> float:
    """Median of a latency series in ms (LoadGen nearest rank, as the agent reports)."""
    from edgebench.agent.engine.stats import ns_to_ms, summarize

    return summarize(ns_to_ms(latencies_ns)).p50


def median(values: list[float]) -> float:
    """Median of per-round figures (robust to one disturbed round)."""
    return statistics.median(values)


def verdict(name: str, value: float, limit: float, unit: str = "") -> int:
    """Print PASS/FAIL for ``value <= limit`` and return the exit status."""
    ok = value <= limit
    print(f"{'PASS' if ok else 'FAIL'}: {name} = {value:.4f}{unit} (target <= {limit}{unit})")
    sys.stdout.flush()
    return 0 if ok else 1
