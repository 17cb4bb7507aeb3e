"""One Pi get_throttled sequence, one answer: agent verdict, stored run, run and compare pages.

The fake vcgencmd plays back a sequence in which the Pi throttled and recovered between
two readings, so only sticky bit 18 shows it
(tests/fixtures/sequences/get_throttled_between_readings.seq). The whole real way: the
``edgebench agent run`` CLI on the recorded Pi 4 tree publishes to Mosquitto, the
collector's IngestService stores into SQLite, and the Flask app renders the run and
compare pages from that database.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from edgebench.collector import create_app
from tests.agent.test_cli_run import SMALL, agent_run
from tests.collector.helpers import wait_until
from tests.collector.webauth import add_account, bearer_client, web_config
from tests.fixtures.boards import copy_board, use_board

SEQUENCE = (
    Path(__file__).resolve().parents[1] / "fixtures/sequences/get_throttled_between_readings.seq"
)
REASON = "CPU throttling occurred during the run (sticky bit 18)"
FLAGS = ("under_voltage", "freq_capped", "throttled_now", "soft_temp_limit")


@pytest.fixture()
def pi4_throttling_between_readings(monkeypatch, tmp_path: Path) -> None:
    """Point the agent at a Pi 4 tree whose get_throttled plays back the recorded sequence."""
    root = copy_board("pi4", tmp_path / "boards")
    shutil.copy(SEQUENCE, root / "pi4" / "vcgencmd" / "get_throttled.seq")
    use_board(monkeypatch, "pi4", root)


def test_sticky_bit_only_throttling_is_one_answer_everywhere(
    pi4_throttling_between_readings,
    models_dir,
    tmp_path,
    mosquitto,
    engine,
    make_config,
    start_ingest,
    db_url,
) -> None:
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    out = tmp_path / "run.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *("--runs", "64", "--min-secs", "1.2", "--warmup-secs", "0", "--threads", "1"),
        *("--sample-hz", "10", "--broker", mosquitto.url, "--device-id", "pi4-throttle"),
        *("--json", str(out), "--quiet"),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    run_id = doc["run_id"]

    # The input: no reading saw a condition live; the sticky bit rose between two readings.
    readings = [r for r in doc["samples"] if "throttled" in r]
    assert all(not r.get(flag) for r in doc["samples"] for flag in FLAGS)
    masks = [int(r["throttled"]) for r in readings]
    assert masks[0] == 0 and masks[-1] == 0x40000 and masks == sorted(masks)
    rise = masks.index(0x40000)
    span = [readings[rise - 1]["t"], readings[rise]["t"]]

    # The agent: INVALID for throttling, and for nothing else.
    verdict = doc["verdict"]
    assert verdict["status"] == "INVALID"
    assert verdict["reasons"] == [f"throttled during the measured phase: {REASON}"]
    assert [name for name, ok in verdict["checks"].items() if not ok] == ["no_throttling"]

    # The store: the run's throttled column.
    def stored() -> object:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT verdict, throttled FROM runs WHERE run_id = :r AND result IS NOT NULL"
                ),
                {"r": run_id},
            ).one_or_none()

    assert tuple(wait_until(stored, what="the run's result stored")) == ("INVALID", 1)

    app = create_app(web_config(db_url, INGEST=service))
    client = bearer_client(app, add_account(db_url, "admin", "admin", "read"))
    # The run page: the span between the two readings, with its reason.
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    spans = re.search(r'<p id="throttle-spans">(.*?)</p>', page, re.S)
    assert spans is not None, "the run page shows no throttled span"
    assert spans.group(1).startswith("Throttled during: ") and REASON in html.unescape(
        spans.group(1)
    )
    chart_data = json.loads(re.search(r'id="chart-data">(.*?)</script>', page, re.S).group(1))
    t0 = doc["timing"]["measured_start"]
    assert chart_data["throttle"] == [[round(span[0] - t0, 4), round(span[1] - t0, 4)]]
    api = client.get(f"/api/runs/{run_id}/samples?max_points=20000").get_json()
    assert api["throttle_spans"] == [pytest.approx(span)]
    assert client.get(f"/api/runs/{run_id}").get_json()["throttled"] is True

    # The compare page: throttled in every run compared (a share of 1).
    page = client.get(f"/compare?runs={run_id}").get_data(as_text=True)
    row = re.search(r'<tr data-metric="throttled_share">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert [re.sub(r"<[^>]+>|★", "", cell).split()[0] for cell in cells] == ["1.00"]
    table = client.get(f"/api/compare?runs={run_id}").get_json()
    throttled_row = next(r for r in table["rows"] if r["key"] == "throttled_share")
    assert throttled_row["values"] == [1.0]
