"""Module-scoped fixtures for dashboard tests: a fleet stored through real ingest, a server.

The fleet goes the whole real way once per module: messages are published to a real
Mosquitto broker, the real IngestService subscribes, validates and writes them into a
SQLite file. The web server is the real app on a real socket under waitress, as
``collector serve`` runs it (``collector.webserver.WebServer``). An admin account with an
``operate`` token exists in the fleet's database, and Chromium tests start signed in
(logged in once per module through the page).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from edgebench.collector import create_app
from edgebench.collector.config import load_collector_config
from edgebench.collector.ingest.service import IngestService
from tests.brokers import MosquittoBroker
from tests.collector.dashboard.dashdata import BOARDS, device_messages, fleet_runs
from tests.collector.helpers import Publisher, wait_until
from tests.collector.webauth import PASSWORD, add_account, web_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN = "admin"
RUNS_PER_CONFIG = 2
EXPECTED_RUNS = len(BOARDS) * RUNS_PER_CONFIG * 2 * 3


@dataclass
class Fleet:
    """A filled database and the live ingest pipeline that filled it."""

    db_url: str
    broker: MosquittoBroker
    service: IngestService

    def publish(self, device_id: str, messages: list) -> None:
        """Publish ``messages`` as ``device_id`` and wait for the broker's acks."""
        pub = Publisher(self.broker.port, f"{device_id}-extra")
        try:
            pub.publish(messages)
            pub.wait_acked()
        finally:
            pub.close()

    def count(self, sql: str) -> int:
        """Run a scalar SQL count against the database."""
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text(sql)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Five devices, 60 runs with telemetry and results, ingested through Mosquitto."""
    root = tmp_path_factory.mktemp("fleet")
    broker = MosquittoBroker(root / "mosquitto")
    broker.start()
    db_url = f"sqlite:///{root / 'collector.sqlite'}"
    config = load_collector_config(None, {"db": db_url, "mqtt.url": broker.url})
    service = IngestService(config)
    service.start()
    try:
        assert service.wait_connected(15)
        for spec in BOARDS:
            pub = Publisher(broker.port, spec[0])
            pub.publish(device_messages(spec, online=spec[0] != "pizero-lab-01"))
            pub.publish(fleet_runs(spec, RUNS_PER_CONFIG))
            pub.wait_acked()
            pub.close()
        done = Fleet(db_url, broker, service)
        wait_until(
            lambda: (
                done.count("SELECT count(*) FROM runs WHERE result IS NOT NULL") == EXPECTED_RUNS
            ),
            60,
            "every run stored with its result",
        )
        yield done
    finally:
        service.stop()
        broker.stop()


@dataclass
class Server:
    """The collector app served over HTTP on a free port, with an admin's API token."""

    url: str
    app: Any
    token: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def serve(app: Any, token: str = "", trusted_proxy: str = "") -> Iterator[Server]:
    """Serve ``app`` under waitress on a free port in a thread until the block ends."""
    from edgebench.collector.webserver import WebServer

    web = WebServer(app, "127.0.0.1", 0, trusted_proxy)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        yield Server(f"http://127.0.0.1:{web.port}", app, token, headers)
    finally:
        web.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def server(fleet: Fleet) -> Iterator[Server]:
    """The real app on a real threaded WSGI server in a thread, against the fleet DB."""
    token = add_account(fleet.db_url, ADMIN, "admin", "operate")
    assert token
    app = create_app(web_config(fleet.db_url, INGEST=fleet.service, AUTO_UPGRADE=False))
    with serve(app, token) as running:
        yield running


@pytest.fixture(scope="module")
def fresh_app(fleet: Fleet) -> Any:
    """Make another app on the fleet database (its own rate-limit counters)."""

    def make(**settings: Any) -> Any:
        return create_app(web_config(fleet.db_url, AUTO_UPGRADE=False, **settings))

    return make


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module (XDG dirs in a temp dir, not under ~)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("needs the Debian chromium package")
    playwright_api = pytest.importorskip("playwright.sync_api")
    home = tmp_path_factory.mktemp("chromium-home")
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def watched_page(browser: Any, *, dialogs_fail: bool = True, **context_args: Any) -> Iterator[Any]:
    """A page in a fresh browser context that fails the test on any JavaScript error.

    Any dialog fails it too (an ``alert`` is how injected script shows itself), unless
    ``dialogs_fail`` is False for a test that answers a page's own confirm dialog.
    """
    context = browser.new_context(**context_args)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if dialogs_fail:
        page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors or dialogs: {errors}"


def log_in_page(page: Any, base_url: str, name: str, password: str = PASSWORD) -> None:
    """Log in through the login page as a person would: type, click, land on the fleet."""
    page.goto(base_url + "/login")
    page.fill('input[name="username"]', name)
    page.fill('input[name="password"]', password)
    page.click('#login-form button[type="submit"]')


@pytest.fixture(scope="module")
def signed_in(browser: Any, server: Server) -> dict:
    """The admin's browser session (cookies), logged in once per module through the page."""
    context = browser.new_context()
    page = context.new_page()
    log_in_page(page, server.url, ADMIN)
    page.wait_for_selector("#signed-in")
    state = context.storage_state()
    context.close()
    return state


def screenshot_dir(output_dir: Path) -> Path:
    """Return test-output/screenshots (created)."""
    path = output_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
