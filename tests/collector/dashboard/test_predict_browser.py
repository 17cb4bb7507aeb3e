"""Predicted columns on the compare page, in headless Chromium.

A real ``agent run --profile-ops`` result is published as ``pred-a`` (the model compared),
and profiles of another model derived from it as ``pred-b`` (a board that never ran the
model); the signed-in browser ticks "Predicted columns" and checks that pred-b's column
is there, its p50 cell is italic, badged and equals ``/api/predict``, and no measured cell
is marked. Structure and arithmetic only, never timings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.dashboard.conftest import CHROMIUM, Fleet, Server, watched_page
from tests.collector.dashboard.test_browser import shot, wait_body
from tests.collector.helpers import wait_until
from tests.collector.opdata import PROFILED_MODEL, message, renamed, scaled

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")
MODEL = PROFILED_MODEL.removesuffix(".tflite")


@pytest.fixture(scope="module")
def boards(fleet: Fleet, profiled_result: dict) -> None:
    """Publish the model's run on pred-a and two profiles of another model on pred-b."""
    other = renamed(profiled_result, "x", "other_model", "3" * 64)
    docs = {
        "pred-a": [profiled_result | {"run_id": "pred-a-run"}],
        "pred-b": [scaled(other, "pred-b-1", 2.0, {}), scaled(other, "pred-b-2", 2.5, {})],
    }
    for device, results in docs.items():
        fleet.publish(device, [message(doc, device, seq) for seq, doc in enumerate(results)])
    sql = "SELECT count(*) FROM runs WHERE device_id LIKE 'pred-%' AND result IS NOT NULL"
    wait_until(lambda: fleet.count(sql) == 3, 60, "the profiled runs stored")


@pytest.fixture()
def page(browser, signed_in: dict) -> Iterator[object]:
    """A signed-in page; fails the test on any JavaScript error or dialog."""
    viewport = {"width": 1300, "height": 1000}
    with watched_page(browser, viewport=viewport, storage_state=signed_in) as pg:
        yield pg


def test_checkbox_adds_a_marked_predicted_column(
    page, boards: None, server: Server, output_dir: Path
) -> None:
    page.goto(f"{server.url}/compare?runs=pred-a-run")
    wait_body(page, "charts-drawn", "yes")
    assert page.locator("#compare-table [data-predicted]").count() == 0
    page.check("#predict-toggle")
    page.click('#compare-pick button[type="submit"]')
    wait_body(page, "charts-drawn", "yes")
    assert "predict=1" in page.url

    head = page.locator('#compare-table th[data-predicted="true"]')
    assert head.count() == 1
    assert head.get_attribute("data-column") == "predicted:pred-b"
    assert "predicted" in head.locator(".badge").inner_text()
    cell = page.locator('#compare-table tr[data-metric="latency_p50_ms"] td[data-predicted="true"]')
    assert cell.count() == 1
    style = cell.locator("em").evaluate("e => getComputedStyle(e).fontStyle")
    assert style == "italic"
    assert cell.locator(".badge").inner_text() == "predicted"
    # The cell shows the number /api/predict gives, as the page's num filter rounds it.
    api = page.request.get(f"{server.url}/api/predict?model={MODEL}&device=pred-b").json()
    shown = float(cell.locator("em").inner_text())
    assert shown == pytest.approx(api["predicted_p50_ms"], rel=0.01)
    # Measured cells are not marked, and no other row has a predicted value.
    assert page.locator("#compare-table td.predicted:not([data-predicted])").count() > 0
    assert page.locator("#compare-table td.predicted:not([data-predicted]) em").count() == 0
    assert "prediction, not a measurement" in page.inner_text("#predictions-note")
    shot(page, output_dir, "compare-predicted")
