"""The campaign pages over real HTTP: the New campaign form, its preview, errors, roles.

A real server (waitress) on a real SQLite file, browsers without JavaScript (a cookie
jar and the login form). Devices reach the database as ingest stores them. No scheduler
runs here, so a started campaign's jobs stay queued: enough for the form, the page,
cancel and the audit log; ``test_campaign_browser.py`` runs a campaign on real daemons.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec
import pytest
import sqlalchemy as sa

from edgebench.collector import create_app
from edgebench.shared.messages import Envelope, FactsMessage, StatusMessage
from tests.collector.dashboard.conftest import Server, serve
from tests.collector.helpers import store_messages
from tests.collector.webauth import HttpClient, add_account, web_config
from tests.shared.samples import device_facts

DEVICES = ["pi-a", "pi-b", "pi-c"]
MODEL = "gen-mobilenet_v2_0.35_96_int8"
HOSTILE = "<script>alert('x')</script> & \"quoted\""


def _register(db_url: str, device: str) -> None:
    """Store a device's online status the way ingest does."""
    _store(db_url, StatusMessage(device_id=device, state="online", reason="connected"))


def _store(db_url: str, msg: Envelope) -> None:
    """Store one device message the way ingest does."""
    engine = sa.create_engine(db_url)
    try:
        store_messages(engine, msg)
    finally:
        engine.dispose()


@pytest.fixture()
def server(db_url: str) -> Iterator[Server]:
    add_account(db_url, "olga", "operator", None)
    add_account(db_url, "vic", "viewer", None)
    for device in DEVICES:
        _register(db_url, device)
    with serve(create_app(web_config(db_url))) as running:
        yield running


def _scalar(db_url: str, sql: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def _signed_in(server: Server, name: str) -> HttpClient:
    client = HttpClient(server.url)
    assert client.log_in(name).status == 302
    return client


def _form(client: HttpClient, **fields: object) -> dict:
    """A filled New campaign form (a list value is sent as repeated fields)."""
    base = {
        "csrf_token": client.csrf("/campaigns/new"),
        "name": "tiny",
        "target": "devices",
        "device": DEVICES,
        "model": [MODEL, "-default"],
        "backend": ["litert"],
        "threads": "1, 2",
        "runs": "5",
        "min_secs": "0",
        "action": "start",
    }
    return base | fields


def _post(client: HttpClient, form: dict) -> object:
    pairs = [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
    import urllib.parse

    body = urllib.parse.urlencode(pairs).encode()
    kind = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.request("POST", "/campaigns/new", body=body, headers=kind)


def test_preview_start_show_and_cancel(server: Server, db_url: str) -> None:
    olga = _signed_in(server, "olga")
    page = olga.get("/campaigns").text
    assert 'id="new-campaign"' in page and 'id="nav-campaigns"' in page
    form = olga.get("/campaigns/new").text
    assert all(f'value="{d}"' in form for d in DEVICES) and f'value="{MODEL}"' in form

    preview = _post(olga, _form(olga, action="preview"))
    assert preview.status == 200
    assert re.search(r'id="preview-jobs">12<', preview.text), preview.text
    # 4 jobs a device, each 3 s overhead + 0.5 s default warm-up + min_secs 0 (planner).
    assert 'id="preview-duration">14.0 s<' in preview.text
    assert 'value="tiny"' in preview.text  # the form keeps what was typed
    assert _scalar(db_url, "SELECT count(*) FROM campaigns") == 0

    started = _post(olga, _form(olga))
    assert started.status == 303
    cid = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    shown = olga.get(f"/campaigns/{cid}").text
    assert shown.count('class="job state-queued"') == 12
    assert 'id="cancel-campaign"' in shown and "default workload" in shown
    assert "Compare results" in shown and olga.get(f"/campaigns/{cid}/compare").status == 404
    listed = olga.get("/campaigns").text
    assert f'data-campaign-id="{cid}"' in listed

    cancelled = olga.post(
        f"/campaigns/{cid}/cancel", {"csrf_token": olga.csrf(f"/campaigns/{cid}")}
    )
    assert cancelled.status == 303
    assert olga.get(f"/campaigns/{cid}").text.count('class="job state-cancelled"') == 12
    audited = "SELECT count(*) FROM audit_events WHERE actor LIKE '%olga%' AND outcome = 'ok'"
    assert _scalar(db_url, audited + " AND action = 'campaign.create'") == 1
    assert _scalar(db_url, audited + " AND action = 'campaign.cancel'") == 1


def _report_facts(db_url: str, device: str, board: str, tags: list[str]) -> None:
    """Store a device's facts (board, tags) the way ingest does."""
    facts = msgspec.structs.replace(device_facts(device), board=board, tags=tags)
    _store(db_url, FactsMessage(device_id=device, facts=facts))


def test_devices_chosen_by_a_filter_of_board_and_tags(server: Server, db_url: str) -> None:
    pi4, pi5 = "Raspberry Pi 4 Model B Rev 1.4", "Raspberry Pi 5 Model B Rev 1.0"
    _report_facts(db_url, "pi-a", pi4, ["lab"])
    _report_facts(db_url, "pi-b", pi4, ["lab", "fan"])
    _report_facts(db_url, "pi-c", pi5, ["lab", "fan"])
    olga = _signed_in(server, "olga")
    # Board compares without case; every tag must be among the device's: only pi-b matches.
    chosen = {"target": "filter", "device": [], "board": pi4.upper(), "tags": "fan lab"}
    preview = _post(olga, _form(olga, action="preview", **chosen))
    assert preview.status == 200
    assert re.search(r'id="preview-jobs">4<', preview.text), preview.text
    assert "on 1 device" in preview.text
    assert 'name="target" value="filter" checked' in preview.text  # the choice is kept
    started = _post(olga, _form(olga, **chosen))
    assert started.status == 303
    cid = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    devices = f"SELECT count(DISTINCT device_id) FROM campaign_jobs WHERE campaign_id = {cid}"
    assert _scalar(db_url, devices) == 1
    on_b = f"SELECT count(*) FROM campaign_jobs WHERE campaign_id = {cid} AND device_id = 'pi-b'"
    assert _scalar(db_url, on_b) == 4
    # A filter that matches nothing keeps the form and says so.
    nothing = _post(olga, _form(olga, **(chosen | {"tags": "no-such-tag"})))
    assert nothing.status == 400
    assert "device_filter: matches no device" in nothing.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"model": ["../../etc/passwd"]}, "models[0]: '../../etc/passwd' is not a model name"),
        ({"threads": "1, x"}, "threads: 'x' is not a whole number"),
        ({"runs": "many"}, "runs: 'many' is not a whole number"),
        ({"device": []}, "devices: tick at least one device"),
        ({"device": ["pi-a", "nobody"]}, "devices: no device 'nobody'"),
        ({"order": "random"}, "order"),
        ({"target": "filter", "board": ""}, "device_filter: give board, architecture or tags"),
        ({"model": ["sha256:" + "0" * 64]}, "is not in the model store"),
    ],
)
def test_a_bad_field_is_one_line_and_nothing_is_stored(
    server: Server, db_url: str, fields: dict, message: str
) -> None:
    olga = _signed_in(server, "olga")
    reply = _post(olga, _form(olga, **fields))
    assert reply.status == 400
    shown = re.search(r'<p class="error" id="form-error">([^<]*)</p>', reply.text)
    assert shown and message in shown.group(1).replace("&#39;", "'"), reply.text
    assert "\n" not in shown.group(1)
    assert _scalar(db_url, "SELECT count(*) FROM campaigns") == 0


def test_csrf_missing_is_refused(server: Server, db_url: str) -> None:
    olga = _signed_in(server, "olga")
    form = _form(olga)
    del form["csrf_token"]
    assert _post(olga, form).status == 400
    assert _scalar(db_url, "SELECT count(*) FROM campaigns") == 0


def test_a_viewer_sees_no_button_and_cannot_post(server: Server, db_url: str) -> None:
    vic = _signed_in(server, "vic")
    page = vic.get("/campaigns").text
    assert 'id="new-campaign"' not in page and 'id="nav-campaigns"' in page
    assert vic.get("/campaigns/new").status == 403
    form = _form(_signed_in(server, "olga")) | {"csrf_token": vic.csrf("/campaigns")}
    assert _post(vic, form).status == 403
    assert _scalar(db_url, "SELECT count(*) FROM campaigns") == 0
    # The refused POST is a denied create; the refused look at the form only a denied read.
    denied = "SELECT count(*) FROM audit_events WHERE outcome = 'denied' AND action = "
    assert _scalar(db_url, denied + "'campaign.create'") == 1
    assert _scalar(db_url, denied + "'GET /campaigns/new'") == 1


def test_a_hostile_name_is_shown_escaped(server: Server) -> None:
    olga = _signed_in(server, "olga")
    started = _post(olga, _form(olga, name=HOSTILE))
    assert started.status == 303
    location = started.headers["Location"]
    for page in (olga.get("/campaigns").text, olga.get(location).text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;" in page
