"""The per-layer comparison's rules on runs derived from a real profile (no storage here).

``layercompare.compare_profiles`` is what ``/api/compare`` returns under ``layers`` once
the profiles are read from the database (tests/collector/test_opprofile_http.py does that
on both databases); here the matching rules, the alignment of skipped ops, the share
floor and three runs with a baseline in the middle.
"""

from __future__ import annotations

import copy
import math

import pytest

from edgebench.collector.layercompare import MIN_SHARE, compare_profiles
from tests.collector.opdata import heavy_op, scaled


def run(doc: dict, name: str | None = None, sha256: str | None = None) -> dict:
    """The ``{profile, sha256, name}`` of one run, as ``load_profiles`` reads it."""
    return {
        "profile": doc["op_profile"],
        "sha256": sha256 or doc["model"]["sha256"],
        "name": name or doc["model"]["name"],
    }


def test_same_name_and_ops_compare_even_when_the_files_differ(profiled_result) -> None:
    other = copy.deepcopy(profiled_result)
    other["op_profile"]["model_sha256"] = "f" * 64
    layers = compare_profiles([run(profiled_result), run(other, sha256="f" * 64)], ["a", "b"], "a")
    assert layers["available"] and layers["model_name"] == profiled_result["model"]["name"]


def test_same_name_with_other_ops_does_not_compare(profiled_result) -> None:
    other = copy.deepcopy(profiled_result)
    other["op_profile"]["model_sha256"] = "f" * 64
    other["op_profile"]["ops"][3]["output_shape"] = [1, 2, 3, 4]
    layers = compare_profiles([run(profiled_result), run(other, sha256="f" * 64)], ["a", "b"], "a")
    assert layers["available"] is False
    assert "share the name" in layers["reason"] and "op lists" in layers["reason"]


def test_a_skipped_op_leaves_a_gap(profiled_result) -> None:
    odd = heavy_op(profiled_result)["index"]
    slower = scaled(profiled_result, "b", 2.0, {})
    slower["op_profile"]["ops"] = [op for op in slower["op_profile"]["ops"] if op["index"] != odd]
    layers = compare_profiles([run(profiled_result), run(slower)], ["a", "b"], "a")
    assert layers["available"]
    assert len(layers["ops"]) == len(profiled_result["op_profile"]["ops"])
    gap = next(op for op in layers["ops"] if op["index"] == odd)
    assert gap["p50_ms"][1] is None and gap["ratios"][1] is None and gap["highlight"] == [False] * 2


def test_tiny_ops_are_never_marked(profiled_result) -> None:
    ops = profiled_result["op_profile"]["ops"]
    tiny = min(ops, key=lambda op: op["share"])  # the reshape: microseconds
    odd = scaled(profiled_result, "b", 2.0, {tiny["index"]: 2.0 * 5})
    assert max(tiny["share"], odd["op_profile"]["ops"][ops.index(tiny)]["share"]) < MIN_SHARE
    layers = compare_profiles([run(profiled_result), run(odd)], ["a", "b"], "a")
    row = next(op for op in layers["ops"] if op["index"] == tiny["index"])
    assert row["departure"][1] == pytest.approx(5.0)
    assert row["highlight"] == [False, False] and layers["most_departing"][1] != tiny["index"]


def test_three_runs_against_a_baseline_in_the_middle(profiled_result) -> None:
    first = heavy_op(profiled_result, rank=0)["index"]
    second = heavy_op(profiled_result, rank=2)["index"]
    docs = [
        scaled(profiled_result, "fast", 0.5, {first: 0.5 * 4}),  # first op 4× the model's
        profiled_result,
        scaled(profiled_result, "slow", 3.0, {second: 3.0 / 2}),  # second op half the model's
    ]
    layers = compare_profiles([run(d) for d in docs], ["fast", "mid", "slow"], "mid")
    assert layers["baseline"] == "mid"
    assert layers["model_ratios"] == pytest.approx([0.5, 1.0, 3.0])
    assert layers["most_departing"] == [first, None, second]
    marked = {i: [op["index"] for op in layers["ops"] if op["highlight"][i]] for i in range(3)}
    assert marked == {0: [first], 1: [], 2: [second]}
    for op in layers["ops"]:
        for ratio, departure, model in zip(
            op["ratios"], op["departure"], layers["model_ratios"], strict=True
        ):
            assert math.isclose(departure * model, ratio)
