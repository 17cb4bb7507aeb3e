"""The JSON API and /healthz with Flask's test client, on a database filled by real ingest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edgebench.collector import create_app
from edgebench.collector.config import load_collector_config
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import FactsMessage, StatusMessage
from tests.collector.helpers import Publisher, run_stream, wait_until
from tests.collector.webauth import add_account, bearer_client, web_config
from tests.shared.samples import device_facts

pytestmark = pytest.mark.both_databases


@pytest.fixture()
def filled(mosquitto, db_url, make_config, start_ingest) -> Iterator[object]:
    """Two devices and three runs ingested through Mosquitto into ``db_url``."""
    service = start_ingest(make_config(mosquitto.url))
    for device, runs in (("pi-a", ["a1", "a2"]), ("pi-b", ["b1"])):
        pub = Publisher(mosquitto.port, device)
        pub.publish([StatusMessage(device_id=device, state="online", reason="connected")])
        pub.publish([FactsMessage(device_id=device, facts=device_facts(device))])
        for run_id in runs:
            pub.publish(run_stream(device, run_id, batches=2))
        pub.wait_acked()
        pub.close()
    wait_until(lambda: service.health()["accepted"] >= 2 * 2 + 3 * 4, what="ingest")
    yield service


@pytest.fixture()
def app(filled, db_url: str) -> Flask:
    return create_app(web_config(db_url, INGEST=filled))


@pytest.fixture()
def client(app: Flask, db_url: str) -> FlaskClient:
    return bearer_client(app, add_account(db_url, "admin"))


def test_devices_lists_both_with_facts_and_status(client: FlaskClient) -> None:
    items = client.get("/api/devices").get_json()["items"]
    assert sorted(d["device_id"] for d in items) == ["pi-a", "pi-b"]
    assert {d["status"] for d in items} == {"online"}
    assert {d["board"] for d in items} == {"Raspberry Pi 4 Model B Rev 1.4"}
    one = client.get("/api/devices/pi-a").get_json()
    assert one["facts"]["cpu_cores"] == 4
    assert sorted(r["run_id"] for r in one["runs"]) == ["a1", "a2"]


def test_runs_filter_by_device_and_model(client: FlaskClient) -> None:
    assert len(client.get("/api/runs").get_json()["items"]) == 3
    by_device = client.get("/api/runs?device=pi-b").get_json()["items"]
    assert [r["run_id"] for r in by_device] == ["b1"]
    by_model = client.get("/api/runs?model=mobilenet_v1_0.25_128_quant&limit=2").get_json()
    assert len(by_model["items"]) == 2
    assert client.get("/api/runs?model=nothing").get_json()["items"] == []


def test_run_detail_has_summary_and_result(client: FlaskClient) -> None:
    run = client.get("/api/runs/a1").get_json()
    assert run["verdict"] == "VALID" and run["status"] == "complete"
    assert run["throughput_ips"] == pytest.approx(285.7)
    assert run["result"]["latency_ms"]["p99"] == run["latency_p99_ms"]
    samples = client.get("/api/runs/a1/samples").get_json()["items"]
    assert len(samples) == 11
    assert samples[0]["cpu0_util_pct"] == 9.0  # per-core keys come back from the extra column


@pytest.mark.parametrize("path", ["/api/runs/nope", "/api/runs/nope/samples", "/api/devices/x"])
def test_unknown_ids_are_json_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_bad_query_parameter_is_json_400(client: FlaskClient) -> None:
    response = client.get("/api/runs?limit=many")
    assert response.status_code == 400
    assert "limit" in response.get_json()["message"]


def test_healthz_reports_ingest_counters(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["ingest"]["accepted"] >= 16 and body["ingest"]["connected"]


def test_index_page_lists_runs(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "2 devices, 3 runs stored" in page


@pytest.mark.parametrize("key", ["dashboard_username", "dashboard_password"])
def test_old_basic_auth_settings_are_refused(key: str, db_url: str) -> None:
    with pytest.raises(EdgebenchError, match="collector user add NAME --role admin"):
        load_collector_config(None, {key: "admin"})
    with pytest.raises(EdgebenchError, match="collector user add NAME --role admin"):
        create_app(web_config(db_url, **{key.upper(): "admin"}))


def test_bearer_token_replaces_basic_auth(filled, db_url: str) -> None:
    app = create_app(web_config(db_url))
    anonymous = app.test_client()
    assert anonymous.get("/api/runs").status_code == 401
    assert anonymous.get("/healthz").status_code == 200
    ok = bearer_client(app, add_account(db_url, "reader", "viewer", "read")).get("/api/runs")
    assert ok.status_code == 200 and len(ok.get_json()["items"]) == 3
    assert bearer_client(app, "ebt_00000000_wrong").get("/api/runs").status_code == 401
