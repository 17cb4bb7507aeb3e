"""Run results with per-op profiles for the collector's profile pages and comparisons.

``profiled_result`` (tests/collector/conftest.py) is a real ``agent run --profile-ops``
on this machine; the helpers here derive runs from it with op times the test chooses
(the same op list, so the arithmetic the pages show is known exactly), and wrap a result
as the message an agent publishes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgspec

from edgebench.shared.messages import ResultMessage
from edgebench.shared.result import RunResult
from tests.agent.test_cli_run import agent_run

PROFILED_MODEL = "mobilenet_v1_0.25_128_quant.tflite"
PROFILE_RUN = ("--profile-ops", "--runs", "5", "--min-secs", "0", "--threads", "1", "-q")


def run_profiled(models_dir: Path, work: Path) -> dict[str, Any]:
    """Run the real agent with ``--profile-ops`` on a small model; return its result."""
    out = work / "profiled.json"
    proc = agent_run(work, str(models_dir / PROFILED_MODEL), *PROFILE_RUN, "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    result = msgspec.json.decode(out.read_bytes())
    assert result["op_profile"]["ops"], "the profile has no ops"
    return result


def with_times(
    result: dict[str, Any], run_id: str, times: dict[int, float], whole_ms: float | None = None
) -> dict[str, Any]:
    """Return a copy of ``result`` as run ``run_id`` whose ops take ``times`` (index -> ms).

    Ops not in ``times`` keep their p50. Share, GOPS, the per-type summary and the sums
    are recomputed as the agent computes them, so the document stays consistent.
    """
    doc = copy.deepcopy(result)
    doc["run_id"] = run_id
    profile = doc["op_profile"]
    for op in profile["ops"]:
        op["p50_ms"] = times.get(op["index"], op["p50_ms"])
    total = sum(op["p50_ms"] for op in profile["ops"])
    by_type: dict[str, dict[str, Any]] = {}
    for op in profile["ops"]:
        op["share"] = op["p50_ms"] / total
        op["gops"] = 2 * op["macs"] / op["p50_ms"] / 1e6 if op["macs"] else None
        t = by_type.setdefault(op["op"], {"op": op["op"], "count": 0, "macs": 0, "p50_ms": 0.0})
        t["count"] += 1
        t["macs"] += op["macs"]
        t["p50_ms"] += op["p50_ms"]
    for t in by_type.values():
        t["share"] = t["p50_ms"] / total
        t["gops"] = 2 * t["macs"] / t["p50_ms"] / 1e6 if t["macs"] else None
    profile["by_type"] = sorted(by_type.values(), key=lambda t: -t["p50_ms"])
    profile["sum_p50_ms"] = total
    profile["whole_p50_ms"] = whole_ms if whole_ms is not None else profile["whole_p50_ms"]
    profile["gap_pct"] = 100 * (total - profile["whole_p50_ms"]) / profile["whole_p50_ms"]
    return doc


def scaled(result: dict[str, Any], run_id: str, factor: float, odd: dict[int, float]) -> dict:
    """Return ``result`` as a board ``factor`` times slower, except ops in ``odd`` (index ->
    their own factor): the constructed pair whose most departing layer is known."""
    ops = result["op_profile"]["ops"]
    times = {op["index"]: op["p50_ms"] * odd.get(op["index"], factor) for op in ops}
    return with_times(result, run_id, times, result["op_profile"]["whole_p50_ms"] * factor)


def heavy_op(result: dict[str, Any], kind: str = "CONV_2D", rank: int = 1) -> dict[str, Any]:
    """Return the ``rank``-th heaviest op of ``kind`` by MACs (0: the heaviest)."""
    ops = [op for op in result["op_profile"]["ops"] if op["op"] == kind]
    return sorted(ops, key=lambda op: -op["macs"])[rank]


def renamed(result: dict[str, Any], run_id: str, name: str, sha256: str) -> dict[str, Any]:
    """Return ``result`` as run ``run_id`` of another model (name and sha256)."""
    doc = copy.deepcopy(result)
    doc["run_id"] = run_id
    doc["model"]["name"] = name
    doc["model"]["sha256"] = sha256
    doc["op_profile"]["model_sha256"] = sha256
    return doc


def without_profile(result: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Return ``result`` as run ``run_id`` with no per-op profile."""
    doc = copy.deepcopy(result)
    doc["run_id"] = run_id
    doc["op_profile"] = None
    return doc


def message(doc: dict[str, Any], device_id: str, seq: int = 0) -> ResultMessage:
    """Wrap a result document as the result message ``device_id`` publishes."""
    doc = {**doc, "device": {**doc["device"], "device_id": device_id}}
    result = msgspec.convert(doc, RunResult)
    return ResultMessage(device_id=device_id, run_id=doc["run_id"], seq=seq, result=result)
