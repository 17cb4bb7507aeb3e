"""The per-op profile on the run page and the per-layer comparison, in headless Chromium.

A real ``agent run --profile-ops`` result (tests/collector/conftest.py) and runs derived
from it are published to the dashboard fleet's Mosquitto as ``ops-box`` and stored by the
real ingest; the signed-in browser checks that the charts are drawn, the tables have one
row per op and per op type, the constructed pair's odd layer is the one marked, and an op
name from an uploaded model stays text. Structure and arithmetic only, never timings.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.dashboard.conftest import CHROMIUM, Fleet, Server, watched_page
from tests.collector.dashboard.test_browser import drawn_pixels, shot, wait_body
from tests.collector.helpers import wait_until
from tests.collector.opdata import heavy_op, message, scaled, with_times

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")
DEVICE = "ops-box"
XSS = "<img src=x onerror=alert(1)>"
UNPROFILED = "pi4-lab-01-mobilenet_v1-4t-1-0"  # a fleet run (dashdata.py): no op profile


@pytest.fixture(scope="module")
def box(fleet: Fleet, profiled_result: dict) -> dict:
    """Publish the profiled run, a 2× slower copy with one 8× layer, and an XSS op name."""
    odd = heavy_op(profiled_result)["index"]
    hostile = copy.deepcopy(profiled_result)
    hostile["op_profile"]["ops"][0]["op"] = XSS
    docs = [
        profiled_result | {"run_id": "ops-a"},
        scaled(profiled_result, "ops-b", 2.0, {odd: 8.0}),
        with_times(hostile, "ops-xss", {}),
    ]
    fleet.publish(DEVICE, [message(doc, DEVICE, seq) for seq, doc in enumerate(docs)])
    sql = f"SELECT count(*) FROM runs WHERE device_id = '{DEVICE}' AND result IS NOT NULL"
    wait_until(lambda: fleet.count(sql) == len(docs), 60, "the profiled runs stored")
    return {"odd": odd, "profile": profiled_result["op_profile"]}


@pytest.fixture()
def page(browser, signed_in: dict) -> Iterator[object]:
    """A signed-in page; fails the test on any JavaScript error or dialog."""
    viewport = {"width": 1300, "height": 1000}
    with watched_page(browser, viewport=viewport, storage_state=signed_in) as pg:
        yield pg


def test_run_page_draws_the_waterfall_and_tables(
    page, box: dict, server: Server, output_dir: Path
) -> None:
    page.goto(f"{server.url}/runs/ops-a")
    wait_body(page, "charts-drawn", "yes")
    assert drawn_pixels(page, 'canvas[data-chart="op-waterfall"]') > 500
    assert drawn_pixels(page, 'canvas[data-chart="op-types"]') > 200
    profile = box["profile"]
    assert page.locator("#op-table tbody tr").count() == len(profile["ops"])
    assert page.locator("#op-types tbody tr").count() == len(profile["by_type"])
    # Network order, and the type with the most time first.
    indexes = page.eval_on_selector_all(
        "#op-table tbody tr", "rows => rows.map(r => Number(r.dataset.opIndex))"
    )
    assert indexes == sorted(op["index"] for op in profile["ops"])
    heaviest = max(profile["by_type"], key=lambda t: t["p50_ms"])["op"]
    assert page.locator("#op-types tbody tr").first.get_attribute("data-op-type") == heaviest
    shot(page, output_dir, "run-op-profile")


def test_run_without_profile_has_no_op_section(page, box: dict, server: Server) -> None:
    page.goto(f"{server.url}/runs/{UNPROFILED}")
    wait_body(page, "charts-drawn", "yes")
    assert page.locator("#op-profile").count() == 0
    assert page.locator('canvas[data-chart="op-waterfall"]').count() == 0


def test_op_names_are_text(page, box: dict, server: Server) -> None:
    page.goto(f"{server.url}/runs/ops-xss")
    wait_body(page, "charts-drawn", "yes")
    first = page.locator("#op-table tbody tr").first.locator("td").nth(1)
    assert first.inner_text().startswith(XSS)
    assert page.locator("#op-profile img").count() == 0


def test_compare_page_marks_the_odd_layer(
    page, box: dict, server: Server, output_dir: Path
) -> None:
    page.goto(f"{server.url}/compare?runs=ops-a,ops-b")
    wait_body(page, "charts-drawn", "yes")
    rows = page.locator("#layers-table tbody tr")
    assert rows.count() == len(box["profile"]["ops"])
    marked = page.eval_on_selector_all(
        "#layers-table td.depart", "cells => cells.map(c => Number(c.parentNode.dataset.opIndex))"
    )
    assert marked == [box["odd"]]
    assert page.locator("#layers-table td.most").count() == 1
    assert drawn_pixels(page, 'canvas[data-chart="layer-ratios"]') > 500
    assert "×2.00" in page.inner_text("#layers-table tr.model-ratio")
    shot(page, output_dir, "compare-layers")


def test_compare_of_different_models_says_so_in_one_line(page, box: dict, server: Server) -> None:
    page.goto(f"{server.url}/compare?runs=ops-a,{UNPROFILED}")
    wait_body(page, "charts-drawn", "yes")
    text = page.inner_text("#layers-none")
    assert "per-op profile" in text and UNPROFILED in text and "\n" not in text
    assert page.locator("#layers-table").count() == 0
