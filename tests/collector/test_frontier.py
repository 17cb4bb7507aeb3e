"""The frontier's arithmetic on a known set: the Pareto front, a budget's answer, GOPS.

Pure functions of ``collector.frontier`` on hand-made points whose answers are worked out
below; the stored-run, API and browser side is in ``tests/collector/dashboard/test_frontier.py``.
"""

from __future__ import annotations

import pytest

from edgebench.collector.frontier import Point, budget_answer, family_gops, pareto_front
from edgebench.shared.published import for_model_name


def point(run_id: str, value: float, top1: float, low=None, high=None, family="f", macs=None):
    gops = 2 * macs / (value / 1000) / 1e9 if macs else None
    return Point(
        run_id, "dev", f"model-{run_id}", family, 1, "VALID", top1, value, low, high, macs, gops
    )


# ms, top-1: a (fast, poor), b (dominated by c), c, d (slow, best), e (as fast as c, worse).
KNOWN = [
    point("a", 5.0, 50.0, 4.8, 5.3),
    point("b", 12.0, 60.0, 11.0, 13.0),
    point("c", 10.0, 65.0, 9.0, 11.0),
    point("d", 40.0, 75.0, 36.0, 44.0),
    point("e", 10.0, 61.0, 9.5, 10.5),
    # Exactly on the budget of 30 ms, and with no interval: its figure is its upper end.
    point("f", 30.0, 70.0),
    # Its figure is under 30 ms but its interval reaches over: straddles a 30 ms budget.
    point("g", 28.0, 72.0, 25.0, 33.0),
]


def test_front_is_the_non_dominated_points_fastest_first() -> None:
    front = [p.run_id for p in pareto_front(KNOWN)]
    # b is beaten by c (faster and better), e by c (as fast, better); f by g (faster, better).
    assert front == ["a", "c", "g", "d"]


def test_budget_answer_needs_the_interval_under_the_budget() -> None:
    answer = budget_answer(KNOWN, 30.0)
    # g (72 %) is under 30 ms by its figure but not surely: f (70 %, exactly 30 ms) wins.
    assert answer["best"]["run_id"] == "f"
    assert [p["run_id"] for p in answer["straddling"]] == ["g"]
    assert answer["within"] == 5  # a, b, c, e, f
    assert "upper end" in answer["rule"]


@pytest.mark.parametrize(
    ("budget", "best"),
    [(5.3, "a"), (5.29, None), (11.0, "c"), (13.0, "c"), (33.0, "g"), (44.0, "d"), (1e6, "d")],
)
def test_budget_answer_on_the_known_set(budget: float, best: str | None) -> None:
    answer = budget_answer(KNOWN, budget)
    assert (answer["best"] or {}).get("run_id") == best


def test_equally_accurate_models_prefer_the_faster() -> None:
    twins = [point("slow", 20.0, 70.0), point("fast", 15.0, 70.0)]
    assert budget_answer(twins, 25.0)["best"]["run_id"] == "fast"
    assert [p.run_id for p in pareto_front(twins)] == ["fast"]


def test_gops_per_family_shows_latency_does_not_follow_macs() -> None:
    points = [
        point("v2", 2.0, 60.0, family="mobilenet_v2", macs=100e6),
        point("v2b", 4.0, 70.0, family="mobilenet_v2", macs=300e6),
        point("lite", 20.0, 75.0, family="efficientnet_lite", macs=400e6),
    ]
    rows = {r["family"]: r for r in family_gops(points)}
    assert rows["mobilenet_v2"]["runs"] == 2
    assert rows["mobilenet_v2"]["gops_median"] == pytest.approx((100 + 150) / 2)
    assert rows["mobilenet_v2"]["macs_m_max"] == pytest.approx(300)
    assert rows["efficientnet_lite"]["gops_max"] == pytest.approx(40)


@pytest.mark.parametrize(
    ("name", "family", "top1"),
    [
        ("gen-mobilenet_v2_0.35_96_int8", "mobilenet_v2", 45.5),
        ("gen-mobilenet_v3_small_0.75_224_uint8", "mobilenet_v3", 65.4),
        ("gen-mobilenet_v3_large_minimalistic_1.0_224_int8", "mobilenet_v3", 72.3),
        ("gen-efficientnet_lite3_280_int8", "efficientnet_lite", 79.8),
        ("mobilenet_v1_0.25_128_quant", "mobilenet_v1", 39.9),
        ("mobilenet_v2_1.0_224_quant", "mobilenet_v2", 71.8),
    ],
)
def test_model_names_map_to_published_rows(name: str, family: str, top1: float) -> None:
    row = for_model_name(name)
    assert row is not None and row.family == family and row.row.top1 == top1


@pytest.mark.parametrize(
    "name",
    [
        "tf2_mobilenet_v2_1.0_224_ptq",  # its post-training top-1 is not in the tables
        "gen-efficientnet_lite0_96_int8",  # a resolution the tables do not list
        "my_model.tflite",
        "",
        None,
    ],
)
def test_unknown_or_unpublished_names_have_no_row(name: str | None) -> None:
    assert for_model_name(name) is None
