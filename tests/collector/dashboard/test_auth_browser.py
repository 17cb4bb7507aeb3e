"""Logging in, out and acting by role in real headless Chromium against the real server.

A person's path through the pages: the login page (and its wrong-password answer), the
signed-in header, logout, the run page's Delete button for operators only, and the audit
page that lists what happened. Needs ``/usr/bin/chromium`` (Debian package).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.dashboard.conftest import (
    ADMIN,
    CHROMIUM,
    Fleet,
    Server,
    log_in_page,
    screenshot_dir,
    watched_page,
)
from tests.collector.webauth import PASSWORD, add_account

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"
)
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture()
def page(browser) -> Iterator[object]:
    """A fresh, signed-out context per test; fails the test on any JS error or dialog."""
    with watched_page(browser, viewport={"width": 1300, "height": 900}) as pg:
        yield pg


def first_run(fleet: Fleet) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(fleet.db_url)
    with engine.connect() as conn:
        run_id = conn.execute(sa.text("SELECT min(run_id) FROM runs")).scalar_one()
    engine.dispose()
    return run_id


def test_log_in_through_the_page_and_out(page, server: Server, output_dir: Path) -> None:
    page.goto(server.url + "/runs")
    assert page.url == server.url + "/login?next=/runs"  # sent to the login page
    shot = screenshot_dir(output_dir)
    page.screenshot(path=str(shot / "login.png"))
    page.fill('input[name="username"]', ADMIN)
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector("#signed-in")
    assert page.url == server.url + "/runs"  # back where the visitor wanted to go
    assert page.locator("#signed-in").inner_text() == f"{ADMIN} (admin)"
    assert page.locator('nav a:has-text("Audit")').count() == 1
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    page.click('#logout-form button[type="submit"]')
    page.wait_for_selector("#login-form")
    assert page.url == server.url + "/login"
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")


def test_wrong_password_stays_on_the_login_page(page, server: Server) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        log_in_page(page, server.url, ADMIN, "not the password at all")
    assert answer.value.status == 401
    assert page.locator("#login-error").inner_text() == "Wrong user name or password."
    assert page.locator("#signed-in").count() == 0
    assert page.locator('input[name="username"]').input_value() == ADMIN


def test_viewer_is_not_offered_delete(page, server: Server, fleet: Fleet) -> None:
    add_account(fleet.db_url, "vic", "viewer", None)
    run_id = first_run(fleet)
    log_in_page(page, server.url, "vic")
    page.wait_for_selector("#signed-in")
    assert page.locator("#signed-in").inner_text() == "vic (viewer)"
    assert page.locator('nav a:has-text("Audit")').count() == 0
    page.goto(f"{server.url}/runs/{run_id}")
    assert page.locator("#delete-run").count() == 0
    assert "Delete run" not in page.content()
    response = page.goto(server.url + "/audit")
    assert response.status == 403


def test_operator_deletes_a_run_and_the_audit_page_shows_it(
    page, server: Server, fleet: Fleet, output_dir: Path
) -> None:
    add_account(fleet.db_url, "olga", "operator", None)
    run_id = first_run(fleet)
    # A failed login with a hostile name: the audit page must show it as text.
    log_in_page(page, server.url, HOSTILE, "not the password at all")
    page.wait_for_selector("#login-error")
    log_in_page(page, server.url, "olga")
    page.wait_for_selector("#signed-in")
    page.goto(f"{server.url}/runs/{run_id}")
    page.click('#delete-run button[type="submit"]')
    page.wait_for_selector(".flash")
    assert page.url == server.url + "/runs"
    assert f"Run {run_id} deleted" in page.locator(".flash").inner_text()
    assert page.goto(f"{server.url}/runs/{run_id}").status == 404
    page.click('#logout-form button[type="submit"]')
    page.wait_for_selector("#login-form")

    log_in_page(page, server.url, ADMIN)
    page.wait_for_selector("#signed-in")
    page.click('nav a:has-text("Audit")')
    page.wait_for_selector("#audit-table")
    rows = page.locator("#audit-table tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    # Newest first: the admin's login, olga's logout, her deletion, her login, the failure.
    assert "login" in texts[0] and ADMIN in texts[0]
    assert "logout" in texts[1] and "olga" in texts[1]
    assert "run.delete" in texts[2] and run_id in texts[2] and "ok" in texts[2]
    assert any(HOSTILE in t and "failed" in t for t in texts)  # shown literally
    assert page.locator("#audit-table img").count() == 0
    page.screenshot(path=str(screenshot_dir(output_dir) / "audit.png"), full_page=True)
    page.fill('input[name="action"]', "run.delete")
    page.click('form.filters button[type="submit"]')
    page.wait_for_selector("#audit-table")
    assert page.locator("#audit-table tbody tr").count() == 1
