"""Campaigns end to end: real Mosquitto, ``collector ingest``, the web API, agent daemons.

Three real daemons (different device ids and state dirs) run real LiteRT benchmarks of
two generated models; the campaign is started and read through the JSON API with an
operator's ``operate`` token over HTTP, while ingest (a separate process, as
``collector ingest`` runs it) schedules the jobs: the database is their only link. Once
on SQLite, once on PostgreSQL.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from edgebench.collector import create_app, db
from tests.brokers import MosquittoBroker, secured_broker
from tests.collector.campaigns.fleetproc import (
    BROKER_PASSWORD,
    RUN_OPTIONS,
    Proc,
    api,
    broker_users,
    daemon,
    ingest,
)
from tests.collector.dashboard.conftest import serve
from tests.collector.helpers import Publisher, wait_until
from tests.collector.webauth import add_account, web_config

# One worker for the module: its tests share a fleet per database and count what the
# earlier tests left in it (audit events), so xdist must not split them.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("campaign-fleet")]
MODELS = ["gen-mobilenet_v2_0.35_96_int8", "gen-mobilenet_v1_0.25_128_int8"]
DEVICES = ["camp-a", "camp-b", "camp-c"]


@dataclass
class Fleet:
    """The running parts and the credentials the tests use."""

    root: Path
    broker: MosquittoBroker
    db_url: str
    url: str
    operate: str
    read: str
    ingest: Proc
    daemons: dict[str, Proc]

    def call(self, method: str, path: str, body: object = None, token: str = "") -> tuple:
        """Call the API (the operator's token unless another is given)."""
        return api(self.url, method, path, token or self.operate, body)

    def campaign(self, cid: int) -> dict:
        """Return GET /api/campaigns/<cid>."""
        status, body = self.call("GET", f"/api/campaigns/{cid}")
        assert status == 200, body
        return body

    def scalar(self, sql: str, **params: object) -> object:
        """Run one scalar query on the collector's database."""
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar_one()
        finally:
            engine.dispose()


def _online(fleet: Fleet, device: str) -> bool:
    query = "SELECT count(*) FROM devices WHERE device_id = :d AND status = 'online'"
    return fleet.scalar(query, d=device) == 1


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache with both generated models built once."""
    from edgebench.agent.config import AgentConfig
    from edgebench.agent.modeltools.resolve import resolve_model

    folder = tmp_path_factory.mktemp("model-cache")
    for name in MODELS:
        resolve_model(name, AgentConfig(cache_dir=folder))
    return folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, cache: Path
) -> Iterator[Fleet]:
    """Broker, database, ingest process, web server and three daemons (c stopped)."""
    root = tmp_path_factory.mktemp("campaigns")
    # Logins and the documented ACL: each daemon can only reach its own topics.
    broker = secured_broker(root / "mosquitto", broker_users(*DEVICES, "ghost"))
    broker.start()
    if request.param == "postgresql":
        db_url = request.getfixturevalue("pg_cluster").create_database()
    else:
        db_url = f"sqlite:///{root / 'collector.sqlite'}"
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    engine.dispose()
    operate = add_account(db_url, "olga", "operator", "operate")
    read = add_account(db_url, "vic", "viewer", "read")
    assert operate and read
    daemons = {d: daemon(root, d, broker.url, cache) for d in DEVICES}
    service = ingest(root, broker.url, db_url).start()
    app = create_app(web_config(db_url, AUTO_UPGRADE=False))
    try:
        with serve(app) as server:
            fleet = Fleet(root, broker, db_url, server.url, operate, read, service, daemons)
            for proc in daemons.values():
                proc.start()
            for device in DEVICES:
                wait_until(lambda d=device: _online(fleet, d), 60, f"{device} online")
            # camp-c is known to the collector, then offline when campaigns start.
            daemons["camp-c"].stop()
            wait_until(lambda: not _online(fleet, "camp-c"), 30, "camp-c offline")
            yield fleet
    finally:
        for proc in daemons.values():
            proc.stop(signal.SIGKILL)
        fleet_ingest = service
        fleet_ingest.stop()
        broker.stop()


def spec(**fields: object) -> dict:
    return {"name": "test", "models": MODELS, "options": RUN_OPTIONS, **fields}


def test_viewer_cannot_start_a_campaign_and_bad_bodies_are_refused(fleet: Fleet) -> None:
    body = spec(devices=DEVICES, threads=[1, 2])
    status, reply = fleet.call("POST", "/api/campaigns", body, token=fleet.read)
    assert status == 403 and "operator" in reply["message"]
    status, reply = fleet.call("POST", "/api/campaigns/preview", body, token=fleet.read)
    assert status == 403
    status, reply = fleet.call("POST", "/api/campaigns", spec(devices=["nobody"]))
    assert status == 400 and reply["message"].startswith("devices: no device 'nobody'")
    status, reply = fleet.call("POST", "/api/campaigns", spec(devices=DEVICES, models=["../x"]))
    assert status == 400 and reply["message"].startswith("models[0]:")
    status, reply = fleet.call("POST", "/api/campaigns/preview", body)
    assert status == 200 and reply["jobs"] == 12 and reply["devices"] == DEVICES
    assert reply["estimated_s"] > 0
    assert fleet.call("GET", "/api/campaigns", token=fleet.read)[0] == 200


def test_twelve_jobs_across_a_restart_and_a_late_device(fleet: Fleet) -> None:
    body = spec(devices=DEVICES, threads=[1, 2], name="two by two")
    status, created = fleet.call("POST", "/api/campaigns", body)
    assert status == 201 and created["jobs"] == 12 and created["state"] == "running"
    cid = created["campaign_id"]

    def done() -> int:
        return fleet.campaign(cid)["counts"]["done"]

    wait_until(lambda: done() >= 3, 120, "three jobs done")
    # The collector's ingest dies mid-campaign; a new one carries on from the database.
    fleet.ingest.stop(signal.SIGKILL)
    fleet.ingest.start()
    # The device that was offline at the start connects and gets its four jobs.
    assert all(
        j["state"] == "queued" for j in fleet.campaign(cid)["jobs"] if j["device_id"] == "camp-c"
    )
    fleet.daemons["camp-c"].start()
    wait_until(lambda: fleet.campaign(cid)["state"] == "done", 240, "the campaign to finish")
    shown = fleet.campaign(cid)
    jobs = shown["jobs"]
    assert [j["state"] for j in jobs] == ["done"] * 12, [(j["state"], j["error"]) for j in jobs]
    run_ids = [j["run_id"] for j in jobs]
    assert len(set(run_ids)) == 12 and sorted(shown["run_ids"]) == sorted(run_ids)
    assert {(j["device_id"], j["model"], j["threads"]) for j in jobs} == {
        (d, m, t) for d in DEVICES for m in MODELS for t in (1, 2)
    }
    for job in jobs:
        _, run = fleet.call("GET", f"/api/runs/{job['run_id']}")
        assert run["device_id"] == job["device_id"] and run["threads"] == job["threads"]
        assert run["model_name"] == job["model"] and run["has_result"]
    # Exactly once: one run per command, and every run of the campaign's commands is a job's.
    runs_of_commands = fleet.scalar(
        "SELECT count(*) FROM runs WHERE command_id IN"
        f" (SELECT command_id FROM campaign_jobs WHERE campaign_id = {cid})"
    )
    assert runs_of_commands == 12
    assert len(shown["configurations"]) == 12
    assert all(c["p50_ms"] > 0 for c in shown["configurations"])
    # The run filter ``campaign`` finds exactly its runs, and the grouped comparison has one
    # column per configuration (what the campaign page's "Compare results" opens).
    _, listed = fleet.call("GET", f"/api/runs?campaign={cid}&limit=100")
    assert sorted(r["run_id"] for r in listed["items"]) == sorted(run_ids)
    _, compared = fleet.call("GET", f"/api/compare?campaign={cid}&group=device,model,threads")
    assert len(compared["columns"]) == 12


def test_cancel_mid_way(fleet: Fleet) -> None:
    body = spec(devices=["camp-a"], models=MODELS[:1], repetitions=6, name="cancel me")
    status, created = fleet.call("POST", "/api/campaigns", body)
    assert status == 201
    cid = created["campaign_id"]
    wait_until(
        lambda: (
            fleet.campaign(cid)["counts"]["done"] >= 1
            and fleet.campaign(cid)["counts"]["queued"] >= 1
        ),
        120,
        "a job done and some queued",
    )
    status, cancelled = fleet.call("POST", f"/api/campaigns/{cid}/cancel")
    assert status == 200 and cancelled["state"] == "cancelled" and cancelled["jobs_cancelled"] >= 1
    assert fleet.call("POST", f"/api/campaigns/{cid}/cancel", token=fleet.read)[0] == 403
    assert fleet.call("POST", "/api/campaigns/999999/cancel")[0] == 404

    def settled() -> bool:
        shown = fleet.campaign(cid)
        return shown["finished_at"] is not None

    wait_until(settled, 120, "the running job to be reported")
    shown = fleet.campaign(cid)
    assert shown["state"] == "cancelled"
    states = [j["state"] for j in shown["jobs"]]
    assert set(states) <= {"done", "cancelled"} and "done" in states
    assert states.count("cancelled") == cancelled["jobs_cancelled"]
    actions = fleet.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'campaign.cancel' AND outcome = 'ok'"
    )
    assert actions == 1
    created = fleet.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'campaign.create' AND outcome = 'ok'"
        " AND actor LIKE 'token %(olga)'"
    )
    assert created == 2
    denied = fleet.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'campaign.create' AND outcome = 'denied'"
    )
    assert denied == 1


def test_deadline_passes_for_an_offline_device(fleet: Fleet) -> None:
    # A board that reported once and went away (its retained status says offline).
    pub = Publisher(fleet.broker.port, "ghost", "ghost", BROKER_PASSWORD)
    from edgebench.shared.messages import StatusMessage

    pub.publish([StatusMessage(device_id="ghost", state="offline", reason="lost")])
    pub.wait_acked()
    pub.close()
    wait_until(
        lambda: fleet.scalar("SELECT count(*) FROM devices WHERE device_id = 'ghost'") == 1,
        30,
        "ghost registered",
    )
    body = spec(devices=["ghost"], deadline_s=2, name="too late")
    status, created = fleet.call("POST", "/api/campaigns", body)
    assert status == 201
    cid = created["campaign_id"]
    wait_until(lambda: fleet.campaign(cid)["state"] == "done", 30, "the deadline to pass")
    jobs = fleet.campaign(cid)["jobs"]
    assert [j["state"] for j in jobs] == ["expired", "expired"]
    assert all(j["error"].startswith("expired:") and j["run_id"] is None for j in jobs)
