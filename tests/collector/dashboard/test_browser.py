"""The dashboard in real headless Chromium (Playwright) against the real app over HTTP.

Needs ``/usr/bin/chromium`` (Debian package ``chromium``) and the ``playwright`` Python
package; never ``playwright install``. Data arrives through the real ingest path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.dashboard.conftest import CHROMIUM, Fleet, Server, screenshot_dir
from tests.collector.dashboard.dashdata import BOARDS, QUALITY_RUN, XSS, run_messages
from tests.collector.helpers import wait_until

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"
)


@pytest.fixture()
def page(browser, signed_in: dict) -> Iterator[object]:
    """A fresh signed-in context and page per test; fails the test on any JS error or dialog."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, storage_state=signed_in)
    pg = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not dialogs, f"dialogs fired: {dialogs}"


def drawn_pixels(pg, selector: str) -> int:
    """Count non-transparent pixels on a canvas (via getImageData)."""
    return pg.evaluate(
        """(sel) => {
            const c = document.querySelector(sel);
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }""",
        selector,
    )


def wait_body(pg, name: str, value: str) -> None:
    """Wait until <body data-NAME="VALUE">.

    A selector wait, not wait_for_function: the page's CSP (no 'unsafe-eval') blocks the
    eval that Playwright's polling predicate uses once the condition is not met at once.
    """
    pg.wait_for_selector(f'body[data-{name}="{value}"]', state="attached")


def shot(pg, output_dir: Path, name: str) -> None:
    pg.screenshot(path=str(screenshot_dir(output_dir) / f"{name}.png"), full_page=True)


def test_fleet_page_lists_devices(page, server: Server, output_dir: Path) -> None:
    page.goto(server.url + "/")
    rows = page.locator("#fleet-table tbody tr")
    assert rows.count() == len(BOARDS)
    ids = page.locator("#fleet-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.deviceId)"
    )
    assert sorted(ids) == sorted(b[0] for b in BOARDS)
    offline = page.locator('tr[data-device-id="pizero-lab-01"] td[data-field="status"]')
    assert offline.inner_text() == "offline"
    assert "Raspberry Pi 5" in page.locator('tr[data-device-id="pi5-lab-01"]').inner_text()
    shot(page, output_dir, "fleet")


def test_hostile_device_strings_are_text(page, server: Server, output_dir: Path) -> None:
    page.goto(server.url + "/")
    row = page.locator('tr[data-device-id="xss-device"]')
    assert XSS in row.inner_text()  # shown literally, as text
    assert row.locator("script").count() == 0 and row.locator("b").count() == 0
    page.goto(server.url + "/devices/xss-device")
    assert XSS in page.locator("section.facts").inner_text()
    assert page.locator("section.facts script").count() == 0
    wait_body(page, "charts-drawn", "yes")
    shot(page, output_dir, "device-xss")


def test_run_page_draws_charts(page, server: Server, fleet: Fleet, output_dir: Path) -> None:
    run_id = "pi4-lab-01-mobilenet_v1-4t-1-0"  # hot, throttled, INVALID
    page.goto(f"{server.url}/runs/{run_id}")
    wait_body(page, "charts-drawn", "yes")
    for chart in ("histogram", "series-latency", "series-temp", "series-cpu", "series-freq"):
        assert drawn_pixels(page, f'canvas[data-chart="{chart}"]') > 500, chart
    assert page.locator(".badge.bad", has_text="INVALID").count() >= 1
    assert "thermal throttling" in page.locator("ul.reasons").inner_text()
    assert page.locator("#energy-kind").inner_text() == "estimated"
    assert "Throttled during" in page.content()
    # The histogram's numbers are in the table beside it and add up to the latency count.
    counts = page.locator("#histogram-table tbody td.n").all_inner_texts()
    assert sum(int(c) for c in counts) == 300
    shot(page, output_dir, "run")


def test_device_page_draws_trends(page, server: Server, output_dir: Path) -> None:
    page.goto(server.url + "/devices/pi5-lab-01")
    wait_body(page, "charts-drawn", "yes")
    assert drawn_pixels(page, 'canvas[data-chart="trend-latency"]') > 500
    assert drawn_pixels(page, 'canvas[data-chart="trend-energy"]') > 500
    # The fleet's runs span an hour: the date axis must tell them apart (time, not one day).
    ticks = page.evaluate(
        """() => window.Chart.getChart(document.querySelector('canvas[data-chart="trend-latency"]'))
            .scales.x.getLabelItems().map(i => i.label)"""
    )
    assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks
    assert page.locator("#runs-table tbody tr").count() == 12
    shot(page, output_dir, "device")


def test_compare_from_selection_and_shared_link(
    page, server: Server, output_dir: Path, shared_dir: Path
) -> None:
    page.goto(server.url + "/runs?model=mobilenet_v2_1.0_224_quant&threads=4&verdict=VALID")
    boxes = page.locator('#runs-table input[name="run"]')
    picked = []
    for i in range(min(4, boxes.count())):
        boxes.nth(i).check()
        picked.append(boxes.nth(i).get_attribute("value"))
    assert len(picked) == 4
    page.get_by_role("button", name="Compare selected").click()
    wait_body(page, "charts-drawn", "yes")
    assert page.url == server.url + "/compare?runs=" + ",".join(picked)
    headers = page.locator("#compare-table thead th[data-column]").evaluate_all(
        "ths => ths.map(t => t.dataset.column)"
    )
    assert headers == picked
    p50 = page.locator('tr[data-metric="latency_p50_ms"] td')
    assert (
        p50.count() == 4 and page.locator('tr[data-metric="latency_p50_ms"] td.best').count() >= 1
    )
    assert drawn_pixels(page, 'canvas[data-chart="bar-latency_p50_ms"]') > 500
    # Make the second run the baseline, then open the shared link in a fresh page.
    page.locator("#compare-table thead a", has_text="make baseline").first.click()
    wait_body(page, "charts-drawn", "yes")
    assert "baseline=" + picked[1] in page.url
    link = page.locator("#share-link").get_attribute("href")
    table = page.locator("#compare-table").inner_text()
    shot(page, output_dir, "compare")
    fresh = page.context.new_page()
    fresh.goto(server.url + link)
    assert fresh.locator("#compare-table").inner_text() == table
    base = fresh.locator('tr[data-metric="latency_p50_ms"] td').nth(1).inner_text()
    assert "×1.00" in base
    fresh.close()


def test_result_over_mqtt_appears_live(
    page, server: Server, fleet: Fleet, output_dir: Path
) -> None:
    page.goto(server.url + "/runs")
    wait_body(page, "live-state", "open")
    spec = BOARDS[1]
    msgs = run_messages(
        spec, ("mobilenet_v1_0.25_128_quant", 14_000_000), 2, 7, seed=int(time.time())
    )
    run_id = msgs[0].run_id
    # The new run starts later than every stored one, so it belongs on top of page 1.
    msgs = [_shift(m, 86_400 * 30) for m in msgs]
    fleet.publish(spec[0], msgs)
    row = page.locator(f'#runs-table tbody tr[data-run-id="{run_id}"]')
    row.wait_for(timeout=10_000)
    wait_until(lambda: "VALID" in row.inner_text(), 10, "result shown in the row")
    assert page.locator("#runs-table tbody tr").first.get_attribute("data-run-id") == run_id
    assert int(page.evaluate("document.body.dataset.liveEvents")) >= 1
    shot(page, output_dir, "runs-live")


def _shift(msg, seconds: float):
    """Move a message's run in time (started event and result) by ``seconds``."""
    import msgspec

    from edgebench.shared.messages import ResultMessage, RunStartedMessage

    if isinstance(msg, RunStartedMessage):
        return msgspec.structs.replace(msg, ts=msg.ts + seconds)
    if isinstance(msg, ResultMessage):
        r = msg.result
        return msgspec.structs.replace(
            msg,
            result=msgspec.structs.replace(
                r, started_at=r.started_at + seconds, finished_at=r.finished_at + seconds
            ),
        )
    return msg


def test_compare_four_boards_screenshot(page, server: Server, output_dir: Path) -> None:
    """Four (synthetic) boards side by side on MobileNetV2 at 4 threads."""
    runs = ",".join(f"{b[0]}-mobilenet_v2-4t-0-0" for b in BOARDS[:4])
    page.goto(f"{server.url}/compare?runs={runs}&baseline={BOARDS[0][0]}-mobilenet_v2-4t-0-0")
    wait_body(page, "charts-drawn", "yes")
    assert page.locator("#compare-table thead th[data-column]").count() == 4
    # Synthetic boards: this picture stays in test-output. The README's picture is made
    # from real runs on this machine by scripts/readme-screenshot.
    shot(page, output_dir, "compare-boards")


def test_open_run_page_redraws_when_its_result_arrives(
    page, server: Server, fleet: Fleet, output_dir: Path
) -> None:
    """A running run's page shows the result and its charts when it arrives, no reload."""
    spec = BOARDS[2]
    msgs = run_messages(spec, ("mobilenet_v1_0.25_128_quant", 14_000_000), 1, 5, seed=99)
    run_id = msgs[0].run_id
    fleet.publish(spec[0], msgs[:-1])  # started + telemetry, no result yet
    wait_until(
        lambda: fleet.count(f"SELECT count(*) FROM samples WHERE run_id = '{run_id}'") == 100,
        20,
        "telemetry stored",
    )
    page.goto(f"{server.url}/runs/{run_id}")
    assert page.locator("#latency-summary").count() == 0
    wait_body(page, "live-state", "open")
    fleet.publish(spec[0], msgs[-1:])
    page.wait_for_selector("#latency-summary", timeout=10_000)
    wait_body(page, "charts-drawn", "yes")
    assert page.locator("#run-updated").is_hidden()
    assert page.locator("#run-status").inner_text() == "complete"
    assert drawn_pixels(page, 'canvas[data-chart="histogram"]') > 500
    assert drawn_pixels(page, 'canvas[data-chart="series-latency"]') > 500
    counts = page.locator("#histogram-table tbody td.n").all_inner_texts()
    assert sum(int(c) for c in counts) == 300
    shot(page, output_dir, "run-live")


def test_compare_bars_label_every_run(page, server: Server, output_dir: Path) -> None:
    """Runs differing in device, model and threads: long labels, and still one per bar."""
    picks = [
        ("pi4-lab-01", "mobilenet_v1", 1),
        ("pi5-lab-01", "mobilenet_v2", 2),
        ("pizero-lab-01", "mobilenet_v1", 4),
        ("rk3588-lab-01", "mobilenet_v2", 1),
    ]
    runs = ",".join(f"{d}-{m}-{t}t-0-0" for d, m, t in picks)
    page.goto(f"{server.url}/compare?runs={runs}")
    wait_body(page, "charts-drawn", "yes")
    ticks = page.evaluate(
        """() => {
            const c = document.querySelector('canvas[data-chart="bar-latency_p50_ms"]');
            // Labels actually drawn (after Chart.js auto-skipping), not just the tick list.
            return window.Chart.getChart(c).scales.y.getLabelItems().map(i => i.label);
        }"""
    )
    assert len(ticks) == 4 and all(ticks), ticks
    assert ticks[2] == ["pizero-lab-01", "mobilenet_v1_0.25_128_quant", "4t"]
    shot(page, output_dir, "compare-mixed")


def test_compare_page_shows_intervals_and_verdicts(page, server: Server, output_dir: Path) -> None:
    runs = ",".join(
        f"{d}-mobilenet_v2-4t-0-0" for d in ("pi5-lab-01", "pi4-lab-01", "rk3588-lab-01")
    )
    page.goto(f"{server.url}/compare?runs={runs}")
    wait_body(page, "charts-drawn", "yes")
    p50 = page.locator('tr[data-metric="latency_p50_ms"] td')
    assert p50.count() == 3
    for i in range(3):
        assert "–" in p50.nth(i).locator(".ci").inner_text()  # "lo–hi" under every value
    assert p50.nth(0).locator(".verdict").count() == 0  # the baseline
    assert p50.nth(1).locator(".verdict").inner_text() == "slower"  # pi4 against pi5
    assert "Holm-adjusted" in (p50.nth(1).locator(".verdict").get_attribute("title") or "")
    overall = page.locator('tr[data-metric="overall"] td')
    assert overall.nth(0).inner_text().startswith("×1.00")
    assert overall.nth(1).locator(".verdict.slower").count() == 1
    assert "3 %" in page.locator("#significance-note").inner_text()
    # A threshold typed in the form travels in the shareable URL.
    page.fill('input[name="threshold"]', "50")
    page.get_by_role("button", name="Compare", exact=True).click()
    wait_body(page, "charts-drawn", "yes")
    assert "threshold=50" in page.url and "50 %" in page.locator("#significance-note").inner_text()
    shot(page, output_dir, "compare-verdicts")


def test_run_page_shows_how_sure(page, server: Server, output_dir: Path) -> None:
    page.goto(f"{server.url}/runs/{QUALITY_RUN}")
    wait_body(page, "charts-drawn", "yes")
    section = page.locator("#uncertainty").inner_text()
    assert "p50 95 % interval" in section and "circular block bootstrap" in section
    assert "not reached" in page.locator("#target-ci").inner_text()
    assert "contended" in page.locator("#busy-guard").inner_text()
    assert "CV" in page.locator("#trials").inner_text()
    shot(page, output_dir, "run-how-sure")
