"""The frontier with real runs of three families: the agent, Mosquitto, ingest, API, Chromium.

``edgebench agent run`` benchmarks three generated models (MobileNetV2 0.35/96, MobileNetV3
Small 0.75/224 and EfficientNet-Lite0/224: configurations with a published top-1) on this
machine and publishes each run to the dashboard fleet's real broker as device
``frontier-box``; the real ingest stores them. Then ``/api/frontier`` over the test client
with a bearer token, and the frontier pages in headless Chromium, signed in through the
login page. Answers that depend on measured timings are not asserted; the budget arithmetic
is checked on a known set in ``tests/collector/test_frontier.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edgebench.collector import create_app
from tests.agent.test_cli_run import agent_run
from tests.collector.dashboard.conftest import CHROMIUM, Fleet, Server, screenshot_dir, watched_page
from tests.collector.helpers import wait_until
from tests.collector.webauth import bearer_client, web_config

DEVICE = "frontier-box"
# Model name -> (family, published top-1 %) as shared/published.py has them.
MODELS = {
    "gen-mobilenet_v2_0.35_96_int8": ("mobilenet_v2", 45.5),
    "gen-mobilenet_v3_small_0.75_224_int8": ("mobilenet_v3", 65.4),
    "gen-efficientnet_lite0_224_int8": ("efficientnet_lite", 75.1),
}
RUN = ("--runs", "20", "--min-secs", "0.2", "--warmup-secs", "0", "--threads", "1")


@pytest.fixture(scope="module")
def box(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """Three real agent runs, one per family, published and stored as ``frontier-box``."""
    work = tmp_path_factory.mktemp("frontier-agent")
    for model in MODELS:
        proc = agent_run(
            work,
            model,
            *RUN,
            *("--sample-hz", "5", "--broker", fleet.broker.url, "--device-id", DEVICE, "-q"),
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    sql = f"SELECT count(*) FROM runs WHERE device_id = '{DEVICE}' AND result IS NOT NULL"
    wait_until(lambda: fleet.count(sql) == len(MODELS), 60, "the three runs stored")
    return fleet


@pytest.fixture(scope="module")
def client(box: Fleet, server: Server):
    return bearer_client(create_app(web_config(box.db_url, AUTO_UPGRADE=False)), server.token)


def test_api_frontier_of_three_families(client) -> None:
    doc = client.get(f"/api/frontier?device={DEVICE}").get_json()
    assert doc["metric"] == "p50" and doc["unit"] == "ms"
    assert doc["top1_label"] == "published, not measured"
    got = {p["model_name"]: (p["family"], p["top1"]) for p in doc["points"]}
    assert got == MODELS
    for p in doc["points"]:
        # The agent's p50 with its 95 % interval, and GOPS from the counted MACs.
        assert p["low"] <= p["value"] <= p["high"]
        assert p["macs"] > 0 and p["gops"] == pytest.approx(2 * p["macs"] / p["value"] / 1e6)
    assert {g["family"] for g in doc["gops"]} == {f for f, _ in MODELS.values()}
    # The most accurate model is on the front whatever the timings: nothing beats its top-1.
    best = max(doc["points"], key=lambda p: p["top1"])
    assert best["run_id"] in doc["front"]
    assert doc["answer"] is None  # no budget asked

    roomy = client.get(f"/api/frontier?device={DEVICE}&budget=100000").get_json()["answer"]
    assert roomy["best"]["model_name"] == "gen-efficientnet_lite0_224_int8"
    assert roomy["within"] == 3
    none = client.get(f"/api/frontier?device={DEVICE}&budget=0.000001").get_json()["answer"]
    assert none["best"] is None and none["within"] == 0

    energy = client.get(f"/api/frontier?device={DEVICE}&metric=energy").get_json()
    assert energy["unit"] == "mJ" and len(energy["points"]) == 3


def test_api_frontier_across_boards(client) -> None:
    doc = client.get("/api/frontier?budget=100000").get_json()
    devices = {d["device_id"]: d for d in doc["devices"]}
    assert DEVICE in devices and "pi5-lab-01" in devices
    assert devices[DEVICE]["answer"]["best"]["model_name"] == "gen-efficientnet_lite0_224_int8"
    # The fleet's boards ran MobileNetV1 0.25/128 and V2 1.0/224: V2 is the more accurate.
    assert devices["pi5-lab-01"]["answer"]["best"]["model_name"] == "mobilenet_v2_1.0_224_quant"


@pytest.mark.parametrize(
    ("query", "needle"),
    [("budget=abc", "budget"), ("budget=-3", "budget"), ("metric=watts", "metric")],
)
def test_api_frontier_bad_parameters_are_400(client, query: str, needle: str) -> None:
    response = client.get(f"/api/frontier?device={DEVICE}&{query}")
    assert response.status_code == 400 and needle in response.get_json()["message"]


def test_api_frontier_unknown_device_is_404_and_needs_credentials(client, box: Fleet) -> None:
    assert client.get("/api/frontier?device=nope").status_code == 404
    anonymous = create_app(web_config(box.db_url, AUTO_UPGRADE=False)).test_client()
    assert anonymous.get(f"/api/frontier?device={DEVICE}").status_code == 401


@pytest.fixture()
def page(browser, signed_in: dict) -> Iterator[object]:
    """A signed-in page; fails the test on any JavaScript error or dialog (the XSS board)."""
    viewport = {"width": 1300, "height": 1000}
    with watched_page(browser, viewport=viewport, storage_state=signed_in) as pg:
        yield pg


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package")
def test_frontier_page_in_chromium(
    page, client, box: Fleet, server: Server, output_dir: Path
) -> None:
    # From the device page's link, then a budget through the GET form (the URL holds it).
    page.goto(f"{server.url}/devices/{DEVICE}")
    page.click("#frontier-link")
    page.wait_for_selector('#frontier-chart[data-drawn="4"]', state="attached")
    assert page.locator("#frontier-points tbody tr").count() == 3
    assert page.locator("#frontier-gops tbody tr").count() == 3
    page.fill('#budget-form input[name="budget"]', "100000")
    page.click('#budget-form button[type="submit"]')
    page.wait_for_selector('#frontier-chart[data-drawn="5"]', state="attached")  # + budget line
    assert "budget=100000" in page.url
    answer = page.inner_text("#answer")
    assert "gen-efficientnet_lite0_224_int8" in answer and "75.1 %" in answer
    assert "95 % interval" in answer
    assert "upper end" in page.inner_text("#budget-rule")

    # A budget just over MobileNetV3 Small's interval: it or a more accurate model answers.
    points = client.get(f"/api/frontier?device={DEVICE}").get_json()["points"]
    v3 = next(p for p in points if p["family"] == "mobilenet_v3")
    page.fill('#budget-form input[name="budget"]', f"{v3['high'] * 1.05:.3g}")
    page.click('#budget-form button[type="submit"]')
    page.wait_for_selector('#frontier-chart[data-drawn="5"]', state="attached")
    answer = page.inner_text("#answer")
    assert "gen-mobilenet_v3_small_0.75_224_int8" in answer or "efficientnet_lite0" in answer
    page.screenshot(path=str(screenshot_dir(output_dir) / "frontier.png"), full_page=True)

    page.fill('#budget-form input[name="budget"]', "0.000001")
    page.click('#budget-form button[type="submit"]')
    page.wait_for_selector("#answer")
    assert "No run is surely within" in page.inner_text("#answer")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package")
def test_every_board_page_in_chromium(page, box: Fleet, server: Server, output_dir: Path) -> None:
    page.goto(f"{server.url}/")
    page.click("nav >> text=Frontier")
    page.fill('#budget-form input[name="budget"]', "100000")
    page.click('#budget-form button[type="submit"]')
    page.wait_for_selector("#frontier-boards")
    row = page.locator("#frontier-boards tbody tr", has_text=DEVICE)
    assert "gen-efficientnet_lite0_224_int8" in row.inner_text()
    pi5 = page.locator("#frontier-boards tbody tr", has_text="pi5-lab-01")
    assert "mobilenet_v2_1.0_224_quant" in pi5.inner_text()
    # A board name from a device is text, never markup.
    assert "<script>alert(1)</script>" in page.inner_text("#frontier-boards")
    page.screenshot(path=str(screenshot_dir(output_dir) / "frontier-boards.png"), full_page=True)
