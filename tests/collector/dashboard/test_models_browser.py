"""The Models page in real headless Chromium: an operator uploads, an admin deletes.

A person's path: log in as an operator, pick a real .tflite in the upload form (multipart,
CSRF token from the page), give it a hostile name, see it listed with its inspection as
plain text (no script runs, no dialog opens); then an admin deletes it with the row's
button. Needs ``/usr/bin/chromium`` (Debian package).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.dashboard.conftest import (
    CHROMIUM,
    Fleet,
    Server,
    log_in_page,
    screenshot_dir,
    watched_page,
)
from tests.collector.webauth import add_account

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"
)
MODEL = (
    Path(os.environ.get("EDGEBENCH_SHARED", "/work/shared"))
    / "models"
    / "mobilenet_v1_0.5_160_quant.tflite"
)
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture()
def page(browser) -> Iterator[object]:
    """A fresh, signed-out context per test; fails the test on any JS error or dialog."""
    with watched_page(browser, viewport={"width": 1300, "height": 900}) as pg:
        yield pg


def test_operator_uploads_and_admin_deletes_in_chromium(
    page, browser, server: Server, fleet: Fleet, signed_in: dict, output_dir: Path
) -> None:
    add_account(fleet.db_url, "opal", "operator", None)
    log_in_page(page, server.url, "opal")
    page.wait_for_selector("#signed-in")
    page.goto(server.url + "/models")
    assert page.locator("#generated-models tbody tr").count() > 50
    page.set_input_files('#upload-model input[name="file"]', str(MODEL))
    page.fill('#upload-model input[name="name"]', HOSTILE)
    page.click('#upload-model button[type="submit"]')
    page.wait_for_selector(".flash")
    assert page.url == server.url + "/models"
    row = page.locator("#stored-models tbody tr[data-sha256]")
    assert row.count() == 1
    assert row.locator(".model-name").text_content() == HOSTILE  # shown as text
    assert page.locator("#stored-models img").count() == 0 and page.title() != "pwned"
    assert "DEPTHWISE_CONV_2D" in row.text_content()  # the inspection's op histogram
    sha256 = row.get_attribute("data-sha256")
    model_dir = Path(server.app.config["MODEL_DIR"])
    assert (model_dir / f"{sha256}.tflite").read_bytes() == MODEL.read_bytes()
    # An operator has no Delete button; an admin does.
    assert page.locator(".delete-model").count() == 0
    page.screenshot(path=str(screenshot_dir(output_dir) / "models.png"), full_page=True)
    admin = browser.new_context(storage_state=signed_in)
    admin_page = admin.new_page()
    try:
        admin_page.goto(server.url + "/models")
        admin_page.click(f'tr[data-sha256="{sha256}"] .delete-model button')
        admin_page.wait_for_selector(".flash")
        assert admin_page.locator(f'tr[data-sha256="{sha256}"]').count() == 0
        assert not (model_dir / f"{sha256}.tflite").exists()
    finally:
        admin.close()


def test_upload_refusal_is_shown_on_a_page(page, server: Server, fleet: Fleet, tmp_path) -> None:
    add_account(fleet.db_url, "opal", "operator", None)
    log_in_page(page, server.url, "opal")
    page.wait_for_selector("#signed-in")
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    page.goto(server.url + "/models")
    page.set_input_files('#upload-model input[name="file"]', str(text))
    page.click('#upload-model button[type="submit"]')
    message = page.locator("#error-message").text_content()
    assert message.startswith("notes.txt is not a TFLite model (no TFL3 identifier)")
