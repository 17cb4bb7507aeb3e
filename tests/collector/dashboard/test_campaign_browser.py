"""A campaign from the dashboard in real headless Chromium, on three real agent daemons.

Real Mosquitto, ``collector ingest`` as its own process (it schedules), the web app on a
real socket, and three ``edgebench agent daemon`` processes with different device ids,
each with its own device token for the model store. An operator uploads a real .tflite
on the Models page, opens New campaign, picks the three devices, the uploaded model and
a generated one, two thread counts, previews (12 jobs) and starts; the campaign page's
matrix turns from queued to done while the page is never reloaded; the compare link
shows the 12 results. A viewer gets no button and a 403; a hostile name stays text.
Needs ``/usr/bin/chromium`` (Debian package).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import create_app, db, devicetokens
from tests.brokers import secured_broker
from tests.collector.campaigns.fleetproc import RUN_OPTIONS, Proc, broker_users, daemon, ingest
from tests.collector.dashboard.conftest import (
    CHROMIUM,
    log_in_page,
    screenshot_dir,
    serve,
    watched_page,
)
from tests.collector.helpers import wait_until
from tests.collector.webauth import add_account, web_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"),
    # One fleet per module: keep its tests on one xdist worker.
    pytest.mark.xdist_group("campaign-browser"),
]
SHARED = Path(os.environ.get("EDGEBENCH_SHARED", "/work/shared"))
UPLOAD = SHARED / "models" / "mobilenet_v1_0.25_128_quant.tflite"
GENERATED = "gen-mobilenet_v2_0.35_96_int8"
DEVICES = ["ui-a", "ui-b", "ui-c"]
HOSTILE = '<img src=x id=xss onerror="window.__xss=1"> & \'q\' "dq"'
# The matrix waits: a job is seconds, but three daemons share two cores with Chromium.
LONG_MS = 300_000


@dataclass
class CampaignFleet:
    """The running parts the tests drive through the browser."""

    url: str
    db_url: str

    def scalar(self, sql: str) -> object:
        """Run one scalar query on the collector's database."""
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql)).scalar_one()
        finally:
            engine.dispose()


def _device_token(db_url: str, device_id: str, folder: Path) -> Path:
    """Create ``device_id``'s model-store token (as ``token create --device``); its file."""
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            text, _ = devicetokens.create_device_token(session, device_id)
            session.commit()
    finally:
        engine.dispose()
    path = folder / f"{device_id}.token"
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def campaign_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CampaignFleet]:
    """Broker, database, ingest process, web server and three online daemons."""
    from edgebench.agent.config import AgentConfig
    from edgebench.agent.modeltools.resolve import resolve_model

    root = tmp_path_factory.mktemp("campaign-ui")
    cache = root / "model-cache"
    resolve_model(GENERATED, AgentConfig(cache_dir=cache))  # built once, shared
    # Logins and the documented ACL: each daemon can only reach its own topics.
    broker = secured_broker(root / "mosquitto", broker_users(*DEVICES))
    broker.start()
    db_url = f"sqlite:///{root / 'collector.sqlite'}"
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    engine.dispose()
    add_account(db_url, "olga", "operator", None)
    add_account(db_url, "vic", "viewer", None)
    service = ingest(root, broker.url, db_url).start()
    daemons: list[Proc] = []
    try:
        with serve(create_app(web_config(db_url, AUTO_UPGRADE=False))) as server:
            fleet = CampaignFleet(server.url, db_url)
            for device in DEVICES:
                token = _device_token(db_url, device, root)
                env = {
                    "EDGEBENCH_COLLECTOR_URL": server.url,
                    "EDGEBENCH_COLLECTOR_TOKEN_FILE": str(token),
                }
                daemons.append(daemon(root, device, broker.url, cache, **env).start())
            online = "SELECT count(*) FROM devices WHERE status = 'online'"
            wait_until(lambda: fleet.scalar(online) == len(DEVICES), 60, "three daemons online")
            yield fleet
    finally:
        for proc in daemons:
            proc.stop(signal.SIGKILL)
        service.stop()
        broker.stop()


@pytest.fixture()
def page(browser) -> Iterator[object]:
    """A fresh context per test; fails the test on any JavaScript error."""
    with watched_page(browser, dialogs_fail=False, viewport={"width": 1400, "height": 900}) as pg:
        yield pg


def _upload(page, url: str) -> str:
    """Upload the small model on the Models page; return its sha256."""
    page.goto(url + "/models")
    page.set_input_files('#upload-model input[name="file"]', str(UPLOAD))
    page.click('#upload-model button[type="submit"]')
    row = page.wait_for_selector("#stored-models tr[data-sha256]")
    return row.get_attribute("data-sha256")


def _fill_options(page) -> None:
    """Tiny runs (fleetproc's RUN_OPTIONS) typed into the form's run options."""
    for key, value in RUN_OPTIONS.items():
        page.fill(f'#campaign-form input[name="{key}"]', str(value))


def test_operator_runs_a_campaign_and_watches_the_matrix(
    page, campaign_fleet: CampaignFleet, output_dir: Path
) -> None:
    url = campaign_fleet.url
    log_in_page(page, url, "olga")
    page.wait_for_selector("#signed-in")
    sha = _upload(page, url)

    page.click("#nav-campaigns")
    page.click("#new-campaign")
    page.fill('#campaign-form input[name="name"]', "two by two from the page")
    for device in DEVICES:
        page.check(f'input[name="device"][value="{device}"]')
    page.select_option("#model-select", [f"sha256:{sha}", GENERATED])
    page.fill('#campaign-form input[name="threads"]', "1, 2")
    _fill_options(page)
    page.click("#preview-button")
    assert page.text_content("#preview-jobs") == "12"
    page.screenshot(path=str(screenshot_dir(output_dir) / "campaign-new.png"), full_page=True)
    assert campaign_fleet.scalar("SELECT count(*) FROM campaigns") == 0
    page.click("#start-button")
    page.wait_for_selector("#job-matrix")
    assert "/campaigns/" in page.url
    cells = page.locator("#job-matrix td[data-job-id]")
    assert cells.count() == 12

    # From here on the page must never load again: a marker on window survives only then.
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__kept = 'same page'")
    job_id = page.evaluate(
        "document.querySelector('#job-matrix td[data-state=\"queued\"]').dataset.jobId"
    )
    cell = f'#job-matrix td[data-job-id="{job_id}"]'
    # Selector waits, not wait_for_function: the page's CSP (no 'unsafe-eval') blocks it.
    page.wait_for_selector(f'{cell}[data-state="done"]', timeout=LONG_MS)
    assert page.get_attribute(f"{cell} a", "href").startswith("/runs/")
    page.wait_for_selector("#campaign-state.campaign-done", timeout=LONG_MS)
    page.screenshot(path=str(screenshot_dir(output_dir) / "campaign.png"), full_page=True)
    assert page.evaluate("window.__kept") == "same page" and navigations == []
    assert int(page.get_attribute("body", "data-campaign-polls")) >= 1
    assert page.get_attribute("body", "data-campaign-live") == "no"  # polling stopped
    assert page.locator("#cancel-campaign").count() == 0  # nothing left to cancel
    assert page.text_content("#campaign-finished").endswith("Z")
    states = page.eval_on_selector_all(
        "#job-matrix td[data-job-id]", "cells => cells.map(c => c.dataset.state)"
    )
    assert states == ["done"] * 12
    assert page.text_content('#campaign-counts [data-count="done"] b') == "12"

    page.click("#compare-link")
    page.wait_for_selector("#compare-table")
    columns = page.locator("#compare-table thead th[data-column]:not([data-predicted])")
    assert columns.count() == 12
    labels = columns.all_text_contents()
    devices = [next(d for d in DEVICES if d in label) for label in labels]
    assert devices == sorted(devices)  # grouped by device, then model
    # The page says whose runs these are, and keeps the campaign when the form is sent again.
    assert page.text_content("#compare-campaign").strip().startswith("runs of campaign")
    page.click("#compare-pick button[type=submit]")
    page.wait_for_selector("#compare-table")
    assert "campaign=" in page.url and columns.count() == 12
    page.screenshot(path=str(screenshot_dir(output_dir) / "campaign-compare.png"), full_page=True)

    page.click("#compare-campaign a")  # back to the campaign; its p50 table is drawn now
    page.wait_for_selector("#p50-history")
    assert page.locator("#p50-history tbody tr").count() == 12


def test_viewer_has_no_button_and_is_refused(page, campaign_fleet: CampaignFleet) -> None:
    url = campaign_fleet.url
    log_in_page(page, url, "vic")
    page.wait_for_selector("#signed-in")
    page.goto(url + "/campaigns")
    assert page.locator("#nav-campaigns").count() == 1
    assert page.locator("#new-campaign").count() == 0
    token = page.get_attribute('#logout-form input[name="csrf_token"]', "value")
    form = {"csrf_token": token, "name": "mine", "device": DEVICES[0], "model": GENERATED}
    before = campaign_fleet.scalar("SELECT count(*) FROM campaigns")
    reply = page.request.post(url + "/campaigns/new", form=form)
    assert reply.status == 403
    assert campaign_fleet.scalar("SELECT count(*) FROM campaigns") == before


def test_hostile_name_is_text_and_cancel_asks_first(page, campaign_fleet: CampaignFleet) -> None:
    url = campaign_fleet.url
    log_in_page(page, url, "olga")
    page.wait_for_selector("#signed-in")
    page.goto(url + "/campaigns/new")
    page.fill('#campaign-form input[name="name"]', HOSTILE)
    page.check(f'input[name="device"][value="{DEVICES[0]}"]')
    page.select_option("#model-select", [GENERATED])
    page.fill('#campaign-form input[name="daily_at"]', "03:00")  # scheduled: nothing runs
    page.click("#start-button")
    page.wait_for_selector("#campaign-state")
    assert page.text_content("#campaign-name") == HOSTILE
    assert page.text_content("#campaign-state") == "scheduled"
    assert page.evaluate("window.__xss") is None and page.locator("#xss").count() == 0

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#cancel-campaign button")
    page.wait_for_selector("#campaign-state.campaign-cancelled")
    assert asked and "Cancel this campaign" in asked[0]
    page.goto(url + "/campaigns")
    names = page.locator("#campaigns-table td.campaign-name").all_text_contents()
    assert HOSTILE in names and page.locator("#xss").count() == 0
