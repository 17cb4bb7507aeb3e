"""The campaign page's live matrix and p50 history in real Chromium, job by job.

The real scheduler (``Scheduler.run_pass``, the pass ingest runs) moves the jobs while
the test writes the agent's messages the way ingest stores them (the helpers of
``tests/collector/campaigns/test_scheduler.py``), so each state shows up on a page that
is never reloaded: running with its progress, done with its run link and the
configuration's p50, sent, failed with its error in the tooltip. A daily campaign's page
shows each configuration's p50 over its repetitions, with a sparkline. Needs
``/usr/bin/chromium`` (Debian package).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from edgebench.collector import create_app
from edgebench.collector.campaigns.scheduler import Scheduler
from edgebench.shared.messages import RunProgressMessage
from tests.collector.campaigns.test_scheduler import (
    LOST_S,
    create,
    fail_command,
    finish_run,
    start_run,
    status,
    write,
)
from tests.collector.dashboard.conftest import CHROMIUM, Server, log_in_page, serve, watched_page
from tests.collector.dashboard.test_browser import drawn_pixels
from tests.collector.webauth import add_account, web_config

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"
)


@pytest.fixture()
def server(engine: sa.Engine, db_url: str) -> Iterator[Server]:
    add_account(db_url, "olga", "operator", None)
    with serve(create_app(web_config(db_url, AUTO_UPGRADE=False))) as running:
        yield running


@pytest.fixture()
def page(browser, server: Server) -> Iterator[object]:
    """The operator's page; fails the test on any JavaScript error."""
    with watched_page(browser, dialogs_fail=False, viewport={"width": 1300, "height": 900}) as pg:
        log_in_page(pg, server.url, "olga")
        pg.wait_for_selector("#signed-in")
        yield pg


def _cell_text(page, state: str, text: str) -> None:
    """Wait (a selector wait: the CSP forbids wait_for_function) for a cell to show ``text``."""
    page.wait_for_selector(f'#job-matrix td[data-state="{state}"] >> text="{text}"')


def test_every_state_reaches_the_same_page(page, server: Server, engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, repetitions=2, retries=0, options={"runs": 10})
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    page.goto(f"{server.url}/campaigns/{cid}")
    page.evaluate("window.__kept = 'same page'")

    run_id = start_run(engine, cmd)
    write(
        engine,
        RunProgressMessage(
            device_id="pi-a", run_id=run_id, seq=1, phase="measure", done=7, elapsed_s=0.4
        ),
    )
    sched.run_pass(now + 1)
    _cell_text(page, "running", "running 70 %")

    # The configuration's p50 cell is there from the start and fills in when a job is done.
    current = "#p50-history td[data-p50-current]"
    assert page.text_content(current) == "–"
    finish_run(engine, "pi-a", run_id, p50=2.5)
    (second,) = sched.run_pass(now + 2).commands
    page.wait_for_selector(f'#job-matrix td[data-state="done"] a[href="/runs/{run_id}"]')
    page.wait_for_selector(f'{current} >> text="2.50"')
    _cell_text(page, "sent", "sent")

    fail_command(engine, second, "boom: <b>no such op</b>")
    sched.run_pass(now + 3)
    failed = page.wait_for_selector('#job-matrix td[data-state="failed"]')
    assert failed.get_attribute("title").endswith(" — boom: <b>no such op</b>")
    assert failed.query_selector("b") is None  # the error stays text
    page.wait_for_selector("#campaign-state.campaign-done")
    assert page.evaluate("window.__kept") == "same page"
    assert page.text_content('#campaign-counts [data-count="failed"] b') == "1"
    assert page.get_attribute("body", "data-campaign-live") == "no"


def test_daily_repetitions_show_each_configurations_p50(
    page, server: Server, engine: sa.Engine
) -> None:
    status(engine, "pi-a")
    now = time.time()
    first = create(engine, now, schedule={"daily_at": "03:00"})
    sched = Scheduler(engine, LOST_S)
    later = now + 2 * 86400
    (cmd,) = sched.run_pass(later).commands
    finish_run(engine, "pi-a", start_run(engine, cmd), p50=3.0)
    sched.run_pass(later + 1)
    (cmd2,) = sched.run_pass(later + 86400 + 1).commands
    finish_run(engine, "pi-a", start_run(engine, cmd2), p50=4.0)
    sched.run_pass(later + 86400 + 2)
    second = first + 1

    page.goto(f"{server.url}/campaigns/{second}")
    heads = page.locator("#p50-history thead th").all_text_contents()
    assert heads[-3:] == [f"#{first}", f"#{second}", "Trend"]
    row = page.locator("#p50-history tbody tr").first.locator("td").all_text_contents()
    assert row[-3:-1] == ["3.00", "4.00"]
    assert drawn_pixels(page, "#p50-history canvas.spark") > 0
