"""The dashboard's JSON API, CSV export, metrics and pages with Flask's test client.

The database is filled through the real ingest path (Mosquitto -> IngestService).
"""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from edgebench.collector import create_app
from edgebench.collector.export import runs_csv
from edgebench.collector.serialize import RUN_FIELDS
from tests.collector.dashboard.conftest import EXPECTED_RUNS, Fleet
from tests.collector.dashboard.dashdata import BOARDS, QUALITY_RUN, XSS
from tests.collector.webauth import add_account, bearer_client, web_config

HOT_RUN = "pi4-lab-01-mobilenet_v1-4t-1-0"


@pytest.fixture(scope="module")
def client(fleet: Fleet) -> FlaskClient:
    app = create_app(web_config(fleet.db_url, INGEST=fleet.service))
    return bearer_client(app, add_account(fleet.db_url, "api-admin", "admin", "read"))


def get(client: FlaskClient, path: str, status: int = 200) -> dict:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def test_fleet_has_every_device_with_state_and_last_result(client: FlaskClient) -> None:
    body = get(client, "/api/devices")
    assert body["total"] == len(BOARDS)
    by_id = {d["device_id"]: d for d in body["items"]}
    assert by_id["pizero-lab-01"]["online"] is False
    assert by_id["pi5-lab-01"]["online"] is True
    last = by_id["pi5-lab-01"]["last_result"]
    assert last["run_id"].endswith("-4t-1-0") and last["verdict"] == "VALID"
    assert by_id["pi5-lab-01"]["runtimes"] == {"ai-edge-litert": "2.3.0"}
    offline = get(client, "/api/devices?status=offline")["items"]
    assert [d["device_id"] for d in offline] == ["pizero-lab-01"]
    boards = [d["board"] for d in get(client, "/api/devices?sort=board&order=desc")["items"]]
    assert boards == sorted(boards, reverse=True)
    assert [d["device_id"] for d in get(client, "/api/devices?q=rk35")["items"]] == [
        "rk3588-lab-01"
    ]


def test_device_detail_has_runs_and_trends_per_model(client: FlaskClient) -> None:
    body = get(client, "/api/devices/pi5-lab-01")
    assert body["run_count"] == 12 and len(body["runs"]) == 12
    assert sorted(body["trends"]) == ["mobilenet_v1_0.25_128_quant", "mobilenet_v2_1.0_224_quant"]
    points = body["trends"]["mobilenet_v2_1.0_224_quant"]
    assert len(points) == 6
    assert [p["started_at"] for p in points] == sorted(p["started_at"] for p in points)
    assert all(p["mj_per_inference"] > 0 for p in points)


def test_runs_filters_and_pages(client: FlaskClient) -> None:
    assert get(client, "/api/runs")["total"] == EXPECTED_RUNS
    page3 = get(client, "/api/runs?limit=25&page=3")
    assert (page3["offset"], len(page3["items"]), page3["pages"]) == (50, 10, 3)
    seen = [
        r["run_id"] for p in (1, 2, 3) for r in get(client, f"/api/runs?limit=25&page={p}")["items"]
    ]
    assert len(set(seen)) == EXPECTED_RUNS
    invalid = get(client, "/api/runs?verdict=invalid")["items"]
    assert sorted(r["run_id"] for r in invalid) == [
        "pi4-lab-01-mobilenet_v1-4t-1-0",
        "pi4-lab-01-mobilenet_v2-4t-1-0",
    ]
    board = get(client, "/api/runs?board=Radxa ROCK 5B&threads=2&model=mobilenet_v2_1.0_224_quant")
    assert board["total"] == 2 and {r["device_id"] for r in board["items"]} == {"rk3588-lab-01"}
    assert get(client, "/api/runs?backend=litert")["total"] == EXPECTED_RUNS
    day1 = get(client, "/api/runs?since=2026-01-01&until=2026-01-01")["total"]
    assert day1 == EXPECTED_RUNS  # the fleet's runs all start on 2026-01-01 (UTC)
    assert get(client, "/api/runs?until=2025-12-31")["total"] == 0
    fast = get(client, "/api/runs?sort=latency_p50_ms&order=asc&limit=60")["items"]
    p50s = [r["latency_p50_ms"] for r in fast]
    assert p50s == sorted(p50s)


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("threads=four", "threads"),
        ("limit=0", "limit"),
        ("sort=result", "sort"),
        ("since=yesterday", "since"),
        ("verdict=maybe", "verdict"),
        ("order=sideways", "order"),
        ("format=xml", "format"),
        ("page=99999999999999999999", "page"),
        ("offset=99999999999999999999", "offset"),
        ("since=1e400", "since"),
        ("until=nan", "until"),
    ],
)
def test_bad_run_parameters_are_400_with_reason(client: FlaskClient, query: str, word: str) -> None:
    body = get(client, f"/api/runs?{query}", 400)
    assert body["error"] == "Bad Request" and word in body["message"]


def test_runs_csv_export(client: FlaskClient) -> None:
    response = client.get("/api/runs.csv?model=mobilenet_v1_0.25_128_quant")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(RUN_FIELDS) and len(rows) == 1 + EXPECTED_RUNS // 2
    same = client.get("/api/runs?format=csv&model=mobilenet_v1_0.25_128_quant")
    assert same.get_data() == response.get_data()
    # Text that a spreadsheet would run as a formula is neutralised.
    text = runs_csv([{"run_id": "=HYPERLINK(1)", "device_id": "@x", "threads": 4}])
    assert "'=HYPERLINK(1)" in text and "'@x" in text and ",4," in text


def test_run_detail_and_downsampled_samples(client: FlaskClient) -> None:
    run = get(client, f"/api/runs/{HOT_RUN}")
    assert run["verdict"] == "INVALID" and run["throttled"] is True
    assert sum(run["derived"]["latency_histogram"]["counts"]) == 300
    assert len(run["derived"]["latency_timeline"]) == 300
    full = get(client, f"/api/runs/{HOT_RUN}/samples?max_points=20000")
    assert full["total"] == 100 and not full["downsampled"] and len(full["items"]) == 100
    small = get(client, f"/api/runs/{HOT_RUN}/samples?max_points=20")
    assert small["downsampled"] and len(small["items"]) <= 20
    for key in ("temp_c", "cpu_util_pct", "cpu_freq_mhz"):
        values = [r[key] for r in full["items"]]
        reduced = [r[key] for r in small["items"]]
        assert (min(reduced), max(reduced)) == (min(values), max(values)), key
    assert small["throttle_spans"] and small["throttle_spans"] == full["throttle_spans"]
    assert any(r.get("throttled_now") == 1 for r in small["items"])
    ts = [r["t"] for r in small["items"]]
    assert ts == sorted(ts)
    assert "max_points" in get(client, f"/api/runs/{HOT_RUN}/samples?max_points=1", 400)["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/devices/nope", "/api/runs/nope", "/api/runs/nope/samples", "/api/compare?runs=nope"],
)
def test_unknown_ids_are_404(client: FlaskClient, path: str) -> None:
    assert get(client, path, 404)["error"] == "Not Found"


def test_compare_runs_marks_best_and_ratios(client: FlaskClient) -> None:
    a, b, c = (f"{d}-mobilenet_v2-4t-0-0" for d in ("pi4-lab-01", "pi5-lab-01", "rk3588-lab-01"))
    body = get(client, f"/api/compare?runs={a},{b},{c}&baseline={b}")
    assert [col["id"] for col in body["columns"]] == [a, b, c] and body["baseline"] == b
    rows = {row["key"]: row for row in body["rows"]}
    p50 = rows["latency_p50_ms"]
    assert p50["ratios"][1] == 1.0
    assert p50["best"][p50["values"].index(min(p50["values"]))]
    ips = rows["throughput_ips"]
    assert ips["best"][ips["values"].index(max(ips["values"]))]
    assert rows["inferences_per_joule"]["values"][0] == pytest.approx(
        1000 / rows["mj_per_inference"]["values"][0]
    )
    assert all(v > 0 for v in rows["gops"]["values"])
    assert get(client, f"/api/compare?runs={a}&baseline={b}", 400)["message"].startswith("query")
    assert "runs" in get(client, "/api/compare", 400)["message"]
    lines = client.get(f"/api/compare.csv?runs={a},{b}").get_data(as_text=True).splitlines()
    assert len(lines) == 3 and "latency_p50_ms_ratio" in lines[0]
    assert "latency_p50_ms_verdict" in lines[0] and lines[1].endswith(",,,")


def test_compare_groups_by_device_and_threads(client: FlaskClient) -> None:
    body = get(
        client, "/api/compare?group=device,threads&model=mobilenet_v1_0.25_128_quant&threads=1"
    )
    assert body["mode"] == "groups" and len(body["columns"]) == len(BOARDS)
    assert all(col["n"] == 2 for col in body["columns"])
    assert "group" in get(client, "/api/compare?group=colour", 400)["message"]


def test_metrics_in_prometheus_text_format(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }
    assert values["edgebench_collector_devices"] == 5
    assert values["edgebench_collector_devices_online"] == 4
    assert values["edgebench_collector_runs"] == EXPECTED_RUNS
    assert 'edgebench_collector_messages_total{outcome="accepted"}' in text
    assert "# TYPE edgebench_collector_uncommitted_messages gauge" in text


def test_pages_escape_device_strings(client: FlaskClient) -> None:
    for path in ("/", "/devices/xss-device", "/runs?device=xss-device"):
        html = client.get(path).get_data(as_text=True)
        assert XSS not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").get_data(as_text=True)
    assert "script-src 'self'" in client.get("/").headers["Content-Security-Policy"]


def test_pages_answer_404_and_400_with_reason(client: FlaskClient) -> None:
    missing = client.get("/runs/nope")
    assert missing.status_code == 404 and "no run" in missing.get_data(as_text=True)
    bad = client.get("/runs?threads=x")
    assert bad.status_code == 400 and "threads" in bad.get_data(as_text=True)
    assert client.get("/devices/nope").status_code == 404


def test_compare_page_turns_ticked_runs_into_a_shareable_link(client: FlaskClient) -> None:
    response = client.get("/compare?run=a1&run=b2")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/compare?runs=a1,b2")


@pytest.mark.parametrize("path", ["/api/nope", "/api", "/api/runs/x/samples/y"])
def test_unknown_api_paths_are_json_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"] == "Not Found"


def test_wrong_method_on_api_is_json_405_with_allow(client: FlaskClient) -> None:
    response = client.post("/api/runs")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]
    assert client.get("/nope").status_code == 404  # pages keep their HTML 404


def test_rejected_limit_is_bounded(client: FlaskClient) -> None:
    assert "limit" in get(client, "/api/rejected?limit=-5", 400)["message"]
    assert "limit" in get(client, "/api/rejected?limit=x", 400)["message"]


def test_run_page_labels_an_estimated_power_series(client: FlaskClient) -> None:
    from markupsafe import escape

    from edgebench.collector.dashboard.charts import ESTIMATE_NOTE

    note = str(escape(ESTIMATE_NOTE))
    html = client.get(f"/runs/{HOT_RUN}").get_data(as_text=True)  # pi4: power estimated
    assert f'Power (W) <span class="muted">{note}</span>' in html
    measured = client.get("/runs/pi5-lab-01-mobilenet_v1-4t-1-0").get_data(as_text=True)
    assert "Power (W)" in measured and note not in measured


def test_runs_page_filters_and_pager_links(client: FlaskClient) -> None:
    html = client.get("/runs?limit=25&page=2").get_data(as_text=True)
    assert html.count('<tr data-run-id="') == 25
    assert f"{EXPECTED_RUNS} runs, page 2 of 3." in html
    assert 'rel="prev" href="?limit=25"' in html
    assert 'rel="next" href="?limit=25&amp;offset=50"' in html
    filtered = client.get("/runs?device=pi5-lab-01&threads=2&verdict=VALID").get_data(as_text=True)
    assert filtered.count('<tr data-run-id="') == 4 and 'rel="next"' not in filtered
    assert "<option selected>pi5-lab-01</option>" in filtered


def test_compare_cells_carry_intervals_verdicts_and_an_overall_row(client: FlaskClient) -> None:
    a, b, c = (f"{d}-mobilenet_v2-4t-0-0" for d in ("pi4-lab-01", "pi5-lab-01", "rk3588-lab-01"))
    body = get(client, f"/api/compare?runs={a},{b},{c}&baseline={b}")
    assert body["significance"] | {"method": None} == {
        "threshold_pct": 3.0,
        "alpha": 0.05,
        "correction": "holm",
        "reps": 1000,
        "method": None,
        "skipped": None,
    }
    rows = {row["key"]: row for row in body["rows"]}
    for key in ("latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "throughput_ips"):
        row = rows[key]
        for value, (lo, hi) in zip(row["values"], row["intervals"], strict=True):
            assert lo <= value <= hi
        assert row["tests"][1] is None  # the baseline
        for test in (row["tests"][0], row["tests"][2]):
            assert set(test) == {"ratio", "ci95", "p_value", "p_adjusted", "verdict", "busy"}
            assert test["busy"] is False
            assert test["p_adjusted"] >= test["p_value"]
    # pi4 (3.6 ms) is far slower than pi5 (1.4 ms): every row says so, and the overall row.
    assert rows["latency_p50_ms"]["tests"][0]["verdict"] == "slower"
    assert rows["throughput_ips"]["tests"][0]["ratio"] < 1
    overall = body["overall"]
    assert overall["metrics"] == list(rows)[:4] and overall["ratios"][1] == 1.0
    assert overall["ratios"][0] < 1 and overall["tests"][0]["verdict"] == "slower"
    assert "tests" not in rows["gops"]  # rows without latencies get no test
    # A threshold above every difference makes nothing significant.
    wide = get(client, f"/api/compare?runs={a},{b}&baseline={b}&threshold=50")
    assert wide["significance"]["threshold_pct"] == 50
    for bad in ("x", "-1", "51"):
        assert (
            "threshold" in get(client, f"/api/compare?runs={a},{b}&threshold={bad}", 400)["message"]
        )


def test_grouped_compare_pools_repetitions(client: FlaskClient) -> None:
    body = get(
        client, "/api/compare?group=device,model,threads&threads=4&model=mobilenet_v2_1.0_224_quant"
    )
    assert all(col["n"] == 2 for col in body["columns"])
    p50 = next(row for row in body["rows"] if row["key"] == "latency_p50_ms")
    assert all(
        iv is not None and iv[0] <= v <= iv[1]
        for v, iv in zip(p50["values"], p50["intervals"], strict=True)
    )
    assert [t is None for t in p50["tests"]] == [True] + [False] * (len(body["columns"]) - 1)


def test_too_many_groups_leave_the_compare_form_to_narrow_them(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edgebench.collector import compare

    # The fleet has 5 devices x 2 models x 3 thread counts: 30 groups, above a limit of 6.
    monkeypatch.setattr(compare, "MAX_GROUPS", 6)
    response = client.get("/compare?group=device,model,threads")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="compare-problem">30 groups: narrow the filters' in html
    assert 'id="compare-pick"' in html and '<select name="device">' in html
    assert "<option>pi4-lab-01</option>" in html
    # One device is 6 groups: the same form, narrowed, compares them.
    narrowed = client.get("/compare?group=device,model,threads&device=pi4-lab-01")
    html = narrowed.get_data(as_text=True)
    assert narrowed.status_code == 200 and 'id="compare-table"' in html
    assert "compare-problem" not in html and "<option selected>pi4-lab-01</option>" in html
    assert "30 groups" in get(client, "/api/compare?group=device,model,threads", 400)["message"]


def test_run_page_shows_its_intervals_trials_target_and_busy_guard(client: FlaskClient) -> None:
    html = client.get(f"/runs/{QUALITY_RUN}").get_data(as_text=True)
    assert 'id="ci95"' in html and "p50 95 % interval" in html
    assert "2 of 2" in html and "between trials" in html
    assert "not reached" in html and "contended" in html
    quiet = client.get("/runs/pi4-lab-01-mobilenet_v2-4t-0-0").get_data(as_text=True)
    assert 'id="ci95"' in quiet and "quiet" in quiet and 'id="trials"' not in quiet


def test_a_busy_run_marks_its_tests(client: FlaskClient) -> None:
    quiet, contended = "pi5-lab-01-mobilenet_v2-4t-0-0", QUALITY_RUN
    body = get(client, f"/api/compare?runs={quiet},{contended}")
    p50 = next(row for row in body["rows"] if row["key"] == "latency_p50_ms")
    assert p50["tests"][1]["busy"] is True
    assert "⚠ busy" in client.get(f"/compare?runs={quiet},{contended}").get_data(as_text=True)


def test_grouped_compare_of_nothing_is_an_empty_table(client: FlaskClient) -> None:
    body = get(client, "/api/compare?group=device&model=no-such-model")
    assert body["columns"] == [] and body["overall"]["ratios"] == []
    assert client.get("/compare?group=device&model=no-such-model").status_code == 200
