"""Per-op profiles on the run page and per-layer comparison in /api/compare, over real HTTP.

Runs with real op profiles (a real ``agent run --profile-ops``, and runs derived from it
with op times chosen here) go through Mosquitto and the real ingest into SQLite and
PostgreSQL; the app is served by waitress on a socket, and the checks read its JSON and
HTML. Only structure and arithmetic are asserted, never timings.
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.request
from typing import Any

import pytest

from edgebench.collector import create_app
from edgebench.collector.layercompare import DEPART_FACTOR
from edgebench.collector.opprofile import SLOW_FRACTION
from tests.collector.dashboard.conftest import serve
from tests.collector.helpers import Publisher, wait_until
from tests.collector.opdata import heavy_op, message, renamed, scaled, with_times, without_profile
from tests.collector.webauth import add_account, web_config

pytestmark = pytest.mark.both_databases
ODD = 8.0  # the odd layer of the constructed pair is this much slower; the model 2×


def get(server: Any, path: str) -> tuple[int, str]:
    request = urllib.request.Request(server.url + path, headers=server.headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def uniform(result: dict, run_id: str, slow_index: int) -> dict:
    """Every op with MACs at one rate (10 GOPS), but ``slow_index`` 20 times slower."""
    times = {}
    for op in result["op_profile"]["ops"]:
        ms = 2 * op["macs"] / 10e9 * 1e3 if op["macs"] else 0.001
        times[op["index"]] = ms * (20 if op["index"] == slow_index else 1)
    return with_times(result, run_id, times)


@pytest.fixture()
def site(mosquitto, db_url, make_config, start_ingest, profiled_result) -> Any:
    """Runs a (real profile), b (2× slower, one layer 8×), other model, no profile, slow op."""
    odd = heavy_op(profiled_result)["index"]
    docs = {
        "pi-a": [profiled_result | {"run_id": "a"}],
        "pi-b": [
            scaled(profiled_result, "b", 2.0, {odd: ODD}),
            renamed(profiled_result, "other", "other_model", "0" * 64),
            without_profile(profiled_result, "bare"),
            uniform(profiled_result, "slow", odd),
        ],
    }
    service = start_ingest(make_config(mosquitto.url))
    for device, results in docs.items():
        pub = Publisher(mosquitto.port, device)
        pub.publish([message(doc, device, seq) for seq, doc in enumerate(results)])
        pub.wait_acked()
        pub.close()
    wait_until(lambda: service.health()["accepted"] >= 5, 30, "five results stored")
    token = add_account(db_url, "admin")
    with serve(create_app(web_config(db_url, AUTO_UPGRADE=False)), token) as server:
        yield server, odd


def test_compare_layers_of_a_constructed_pair(site, profiled_result) -> None:
    server, odd = site
    _, body = get(server, "/api/compare?runs=a,b")
    layers = json.loads(body)["layers"]
    assert layers["available"] and layers["reason"] is None
    assert layers["runs"] == ["a", "b"] and layers["baseline"] == "a"
    assert layers["model_ratios"] == pytest.approx([1.0, 2.0])
    assert len(layers["ops"]) == len(profiled_result["op_profile"]["ops"])
    for op in layers["ops"]:
        expected = ODD if op["index"] == odd else 2.0
        assert op["ratios"] == pytest.approx([1.0, expected])
        assert op["departure"] == pytest.approx([1.0, expected / 2.0])
        assert op["highlight"] == [False, op["index"] == odd]
        assert op["most"] == [False, op["index"] == odd]
    assert layers["most_departing"] == [None, odd]
    assert ODD / 2.0 >= DEPART_FACTOR

    # With b as the baseline the ratios invert and the same layer departs most.
    flipped = json.loads(get(server, "/api/compare?runs=a,b&baseline=b")[1])["layers"]
    assert flipped["model_ratios"] == pytest.approx([0.5, 1.0])
    assert flipped["most_departing"] == [odd, None]
    row = next(op for op in flipped["ops"] if op["index"] == odd)
    assert row["ratios"] == pytest.approx([1 / ODD, 1.0])


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("runs=a,other", "models differ (a: mobilenet_v1_0.25_128_quant, other: other_model)"),
        ("runs=a,bare", "no per-op profile in bare: run the agent with --profile-ops"),
        ("runs=a", "two or more runs"),
        ("group=device", "not groups"),
    ],
)
def test_compare_says_why_there_is_no_layer_table(site, query: str, needle: str) -> None:
    server, _ = site
    layers = json.loads(get(server, f"/api/compare?{query}")[1])["layers"]
    assert layers == {"available": False, "reason": layers["reason"]}
    assert needle in layers["reason"] and "\n" not in layers["reason"]
    _, html = get(server, f"/compare?{query}")
    assert 'id="layers-none"' in html and 'id="layers-table"' not in html


def test_compare_page_marks_the_departing_layer(site) -> None:
    server, odd = site
    _, html = get(server, "/compare?runs=a,b")
    cells = re.findall(r'<tr data-op-index="(\d+)">(.*?)</tr>', html, re.S)
    assert cells, "no per-layer rows"
    marked = [int(i) for i, row in cells if "depart" in row]
    starred = [int(i) for i, row in cells if 'title="most departing"' in row]
    assert marked == [odd] and starred == [odd]


def test_run_page_waterfall_adds_up(site, profiled_result) -> None:
    server, _ = site
    _, html = get(server, "/runs/a")
    assert 'id="op-profile"' in html and 'data-chart="op-waterfall"' in html
    data = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1))
    ops = profiled_result["op_profile"]["ops"]
    bars = data["ops"]["bars"]
    assert len(bars) == len(ops) == html.count('<tr data-op-index="')
    assert bars[0][0] == 0
    for before, after in itertools.pairwise(bars):
        assert after[0] == pytest.approx(before[1])  # each op starts where the last ended
    for bar, op in zip(bars, ops, strict=True):
        assert bar[1] - bar[0] == pytest.approx(op["p50_ms"])
    assert bars[-1][1] == pytest.approx(profiled_result["op_profile"]["sum_p50_ms"])
    shares = [float(s) for s in re.findall(r'data-share="([^"]+)"', html)]
    assert len(shares) == len(profiled_result["op_profile"]["by_type"])
    assert sum(shares) == pytest.approx(1.0, abs=1e-6)


def test_run_page_flags_the_slow_op(site) -> None:
    server, odd = site
    _, html = get(server, "/runs/slow")
    slow = [int(i) for i in re.findall(r'<tr data-op-index="(\d+)" class="slow">', html)]
    assert slow == [odd]
    assert SLOW_FRACTION > 1 / 20


def test_run_without_profile_shows_nothing_extra(site) -> None:
    server, _ = site
    _, html = get(server, "/runs/bare")
    assert "op-profile" not in html and "op-waterfall" not in html
    data = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1))
    assert data["ops"] is None


def test_layers_match_the_openapi_schema(site) -> None:
    import jsonschema

    server, _ = site
    spec = json.loads(get(server, "/api/openapi.json")[1])
    schema = {"$ref": "#/components/schemas/Comparison", "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    for query in ("runs=a,b", "runs=a,other"):
        validator.validate(json.loads(get(server, f"/api/compare?{query}")[1]))
    broken = json.loads(get(server, "/api/compare?runs=a,b")[1])
    del broken["layers"]["ops"]
    assert not validator.is_valid(broken)  # an available table must have every field
