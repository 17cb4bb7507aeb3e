"""The frontier's query on SQLite and PostgreSQL: runs stored through real ingest.

The JSON paths (the p50 interval, the counted MACs) are read in the database, so the same
runs go through Mosquitto and the ingest service into each database and the frontier must
come out the same: a run of a published configuration is a point with its interval, a run
of an unknown model is counted as not plotted.
"""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy.orm import Session

from edgebench.collector import db, frontier
from edgebench.shared.messages import ResultMessage
from edgebench.shared.result_quality import LatencyCI
from tests.collector.helpers import Publisher, wait_until
from tests.shared.samples import model_info, run_result

pytestmark = pytest.mark.both_databases
CI = LatencyCI((3.3, 3.8), (3.6, 4.0), (4.2, 4.6), None, 0.95, "test", 1, 50, 1000, 0)


def result(run_id: str, name: str, ci: LatencyCI | None):
    base = run_result("pi-f", run_id)
    return msgspec.structs.replace(
        base,
        model=msgspec.structs.replace(model_info(), name=name),
        latency_ms=msgspec.structs.replace(base.latency_ms, ci95=ci),
    )


def test_frontier_from_stored_runs(mosquitto, db_url, make_config, start_ingest) -> None:
    service = start_ingest(make_config(mosquitto.url))
    pub = Publisher(mosquitto.port, "pi-f")
    runs = [
        ("v1", "mobilenet_v1_0.25_128_quant", CI),
        ("v2", "mobilenet_v2_1.0_224_quant", None),
        ("mine", "my_model", CI),
    ]
    for seq, (run_id, name, ci) in enumerate(runs):
        doc = result(run_id, name, ci)
        pub.publish([ResultMessage(device_id="pi-f", run_id=run_id, seq=seq, result=doc)])
    pub.wait_acked()
    pub.close()
    wait_until(lambda: service.health()["accepted"] >= 3, what="three results stored")

    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            doc = frontier.frontier(session, "pi-f", "p50", 3.7)
            boards = frontier.across_devices(session, "p50", 3.7)
    finally:
        engine.dispose()
    points = {p["run_id"]: p for p in doc["points"]}
    assert set(points) == {"v1", "v2"} and doc["unplotted"] == 1
    assert (points["v1"]["low"], points["v1"]["high"]) == (3.3, 3.8)
    assert points["v1"]["macs"] == 14_000_000 and points["v1"]["top1"] == 39.9
    assert points["v2"]["low"] is None and points["v2"]["top1"] == 71.8
    # Both have p50 3.5 ms; v2 (no interval) is surely under 3.7 ms, v1's interval is not.
    assert doc["answer"]["best"]["run_id"] == "v2"
    assert [p["run_id"] for p in doc["answer"]["straddling"]] == ["v1"]
    assert doc["front"] == ["v2"]
    assert boards["devices"][0]["answer"]["best"]["run_id"] == "v2"
