"""Latency prediction in the collector: ``/api/predict`` and predicted compare columns, over HTTP.

A real ``agent run --profile-ops`` result (the model to predict, on ``pi-a``) and runs
derived from it (profiles of *another* model, with op times chosen here, on ``pi-b``) go
through Mosquitto and the real ingest into SQLite and PostgreSQL; waitress serves the app.
The answers are checked against ``shared.latency_model`` fitted directly on the same
profiles, and against ``edgebench model predict`` on the real model file: the same numbers.
Structure and arithmetic only, never timings.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy.orm import Session

from edgebench.collector import create_app, db
from edgebench.collector.modelstore import add_model
from edgebench.shared.latency_model import fit, predict, profile_features
from edgebench.shared.op_profile import OpProfile
from tests.agent.test_cli_profile import edgebench
from tests.collector.dashboard.conftest import serve
from tests.collector.helpers import Publisher, wait_until
from tests.collector.opdata import (
    PROFILED_MODEL,
    heavy_op,
    message,
    renamed,
    scaled,
    without_profile,
)
from tests.collector.webauth import add_account, web_config

pytestmark = pytest.mark.both_databases
MODEL = PROFILED_MODEL.removesuffix(".tflite")
OTHER_SHA = "1" * 64
NEW_OP = "HARD_SWISH"  # an op type no profile on pi-b has


def get(server: Any, path: str) -> tuple[int, dict[str, Any] | str]:
    request = urllib.request.Request(server.url + path, headers=server.headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    return status, (json.loads(body) if body.startswith("{") else body)


def at_threads(doc: dict[str, Any], threads: int) -> dict[str, Any]:
    """Return ``doc`` as measured with ``threads`` threads (the run's and the profile's)."""
    doc = copy.deepcopy(doc)
    doc["config"]["threads"] = threads
    doc["op_profile"]["threads"] = threads
    return doc


def without_type(doc: dict[str, Any], run_id: str, kind: str) -> dict[str, Any]:
    """Return ``doc`` as run ``run_id`` of a model that has no ``kind`` op (they are convs)."""
    doc = renamed(doc, run_id, "no_dw_model", "4" * 64)
    for op in doc["op_profile"]["ops"]:
        op["op"] = "CONV_2D" if op["op"] == kind else op["op"]
    return doc


def with_new_op(doc: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Return ``doc`` as run ``run_id`` of a model whose first op is of type ``NEW_OP``."""
    doc = renamed(doc, run_id, "new_op_model", "2" * 64)
    doc["op_profile"]["ops"][0]["op"] = NEW_OP
    return doc


@pytest.fixture()
def site(mosquitto, db_url, make_config, start_ingest, profiled_result) -> Any:
    """pi-a ran the model (and one with a new op type); pi-b has profiles of another model."""
    odd = heavy_op(profiled_result)["index"]
    other = renamed(profiled_result, "x", "other_model", OTHER_SHA)
    docs = {
        "pi-a": [profiled_result | {"run_id": "a"}, with_new_op(profiled_result, "new")],
        # Two profiles at 1 thread (one op type's layers uneven, so the fit is not a mere
        # scale of the original), one at 2 threads.
        "pi-b": [
            scaled(other, "b1", 2.0, {odd: 5.0}),
            scaled(other, "b2", 3.0, {}),
            at_threads(scaled(other, "b4", 0.7, {}), 2),
        ],
        "pi-c": [without_profile(other, "c1")],
        # Profiles that never had a depthwise convolution: they cannot predict the model.
        "pi-d": [without_type(profiled_result, "d1", "DEPTHWISE_CONV_2D")],
    }
    service = start_ingest(make_config(mosquitto.url))
    for device, results in docs.items():
        pub = Publisher(mosquitto.port, device)
        pub.publish([message(doc, device, seq) for seq, doc in enumerate(results)])
        pub.wait_acked()
        pub.close()
    wait_until(lambda: service.health()["accepted"] >= 7, 30, "seven results stored")
    token = add_account(db_url, "viewer")
    stored = {doc["run_id"]: doc for results in docs.values() for doc in results}
    with serve(create_app(web_config(db_url, AUTO_UPGRADE=False)), token) as server:
        yield server, stored


def expected(stored: dict[str, Any], run_ids: list[str], model_run: str) -> Any:
    """Fit ``shared.latency_model`` directly on these runs' profiles; predict ``model_run``."""
    profiles = [msgspec.convert(stored[r]["op_profile"], OpProfile) for r in run_ids]
    cost = fit(profiles)
    target = msgspec.convert(stored[model_run]["op_profile"], OpProfile)
    return cost, predict(cost, [f for f, _ in profile_features(target)])


def test_predict_equals_the_cost_model_fitted_directly(site) -> None:
    server, stored = site
    status, body = get(server, f"/api/predict?model={MODEL}&device=pi-b")
    assert status == 200, body
    assert body["prediction"] is True
    assert body["device_id"] == "pi-b" and body["model"] == MODEL
    # The most common setting (1 thread) by default: its two profiles, newest first.
    assert body["threads"] == 1 and body["profile_count"] == 2
    assert sorted(body["profiles"]) == ["b1", "b2"]
    assert body["op_source"] == {"kind": "profile", "run_id": "a", "device_id": "pi-a"}
    cost, result = expected(stored, body["profiles"], "a")
    assert body["predicted_p50_ms"] == pytest.approx(result.p50_ms, rel=1e-12)
    assert body["sum_ops_ms"] == pytest.approx(result.sum_ops_ms, rel=1e-12)
    assert body["whole_over_sum"] == pytest.approx(cost.whole_over_sum, rel=1e-12)
    assert body["per_op_ms"] == pytest.approx(result.per_op_ms, rel=1e-12)
    assert body["by_type_ms"] == pytest.approx(result.by_type_ms, rel=1e-12)
    assert body["predicted_p50_ms"] == pytest.approx(body["sum_ops_ms"] * body["whole_over_sum"])
    # By sha256 the same model, the same answer.
    sha = stored["a"]["model"]["sha256"]
    assert get(server, f"/api/predict?model={sha}&device=pi-b")[1] == body


def test_predict_at_other_threads(site) -> None:
    server, stored = site
    status, body = get(server, f"/api/predict?model={MODEL}&device=pi-b&threads=2")
    assert status == 200, body
    assert body["threads"] == 2 and body["profiles"] == ["b4"] and body["profile_count"] == 1
    _, result = expected(stored, ["b4"], "a")
    assert body["predicted_p50_ms"] == pytest.approx(result.p50_ms, rel=1e-12)


def test_predict_equals_model_predict_on_the_model_file(
    site, models_dir: Path, tmp_path: Path
) -> None:
    server, stored = site
    _, body = get(server, f"/api/predict?model={MODEL}&device=pi-b")
    files = []
    for run_id in body["profiles"]:
        path = tmp_path / f"{run_id}.json"
        path.write_text(json.dumps(stored[run_id]))
        files += ["--profile", str(path)]
    model = str(models_dir / PROFILED_MODEL)
    proc = edgebench(tmp_path, "model", "predict", model, *files, "--json")
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    # The op list read from the stored profile is the one the CLI reads from the file.
    assert cli["sha256"] == body["sha256"]
    assert body["per_op_ms"] == pytest.approx(cli["per_op_ms"], rel=1e-9)
    assert body["predicted_p50_ms"] == pytest.approx(cli["predicted_p50_ms"], rel=1e-9)
    assert (cli["backend"], cli["threads"], cli["xnnpack"]) == (
        body["backend"],
        body["threads"],
        body["xnnpack"],
    )


def test_predict_a_stored_model_that_never_ran(
    site, db_url: str, models_dir: Path, tmp_path: Path
) -> None:
    """An uploaded model nobody ran: its op list is the store's inspection, as the CLI's."""
    server, stored = site
    never_run = models_dir / "mobilenet_v1_0.5_160_quant.tflite"
    engine = db.make_engine(db_url)
    with Session(engine) as session:
        row, _ = add_model(session, tmp_path / "store", never_run.read_bytes(), "v1 0.5", "t")
        sha = row.sha256
        session.commit()
    engine.dispose()
    status, body = get(server, f"/api/predict?model=sha256:{sha}&device=pi-b")
    assert status == 200, body
    assert body["op_source"] == {"kind": "store", "sha256": sha} and body["sha256"] == sha
    files = []
    for run_id in body["profiles"]:
        path = tmp_path / f"{run_id}.json"
        path.write_text(json.dumps(stored[run_id]))
        files += ["--profile", str(path)]
    proc = edgebench(tmp_path, "model", "predict", str(never_run), *files, "--json")
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    assert body["per_op_ms"] == pytest.approx(cli["per_op_ms"], rel=1e-9)
    assert body["predicted_p50_ms"] == pytest.approx(cli["predicted_p50_ms"], rel=1e-9)
    # The bare sha256 names the same model.
    assert get(server, f"/api/predict?model={sha}&device=pi-b")[1] == body


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        (f"model={MODEL}&device=nope", 404, "no device 'nope'"),
        (f"model={MODEL}&device=pi-c", 404, "device 'pi-c' has no per-op profiles"),
        ("model=never_seen&device=pi-b", 404, "no stored op list of model 'never_seen'"),
        ("model=new_op_model&device=pi-b", 422, f"have no {NEW_OP} op"),
        (f"model={MODEL}&device=pi-d", 422, "have no DEPTHWISE_CONV_2D op: cannot predict"),
        (f"model={MODEL}&device=pi-b&threads=8", 404, "at 8 thread(s) (it has: litert, 1 "),
        (f"model={MODEL}&device=pi-b&backend=tflite", 404, "at backend tflite"),
        (f"model={MODEL}", 400, "'model' (sha256 or name) and 'device' are required"),
        (f"model={MODEL}&device=pi-b&threads=x", 400, "'threads' must be an integer"),
    ],
)
def test_predict_errors_say_why_in_one_line(site, query: str, status: int, needle: str) -> None:
    server, _ = site
    code, body = get(server, f"/api/predict?{query}")
    assert code == status, body
    assert needle in body["message"] and "\n" not in body["message"], body["message"]


def test_compare_adds_predicted_columns_on_request(site) -> None:
    server, stored = site
    _, plain = get(server, "/api/compare?runs=a")
    assert plain["predictions"] is None
    assert [c["predicted"] for c in plain["columns"]] == [False]

    _, table = get(server, "/api/compare?runs=a&predict=1")
    predictions = table["predictions"]
    assert predictions["available"]
    # pi-b has profiles and no run of the model; pi-a ran it; pi-c has no profiles; pi-d's
    # profiles have no depthwise convolution, so it is listed as skipped, with the reason.
    [skipped] = predictions["skipped"]
    assert skipped.startswith("pi-d: ") and "DEPTHWISE_CONV_2D" in skipped
    [column] = predictions["columns"]
    assert column["predicted"] is True and column["device_id"] == "pi-b"
    _, direct = get(server, f"/api/predict?model={MODEL}&device=pi-b")
    assert column["latency_p50_ms"] == direct["predicted_p50_ms"]
    assert sorted(column["profiles"]) == ["b1", "b2"]
    measured = stored["a"]["latency_ms"]["p50"]
    assert column["ratio"] == pytest.approx(direct["predicted_p50_ms"] / measured)
    # The measured rows and verdicts are untouched by the predicted columns.
    assert [c["id"] for c in table["columns"]] == ["a"]
    assert table["rows"] == plain["rows"]


def test_compare_says_why_there_are_no_predicted_columns(site) -> None:
    server, _ = site
    _, mixed = get(server, "/api/compare?runs=a,b1&predict=1")
    assert mixed["predictions"]["reason"] == "predicted columns need runs of one model"
    _, groups = get(server, "/api/compare?group=device&predict=1")
    assert "runs=a,b" in groups["predictions"]["reason"]
    code, body = get(server, "/api/compare?runs=a&predict=yes")
    assert code == 400 and "'predict' must be 0 or 1" in body["message"]


def test_compare_page_marks_predicted_cells(site) -> None:
    server, _ = site
    _, html = get(server, "/compare?runs=a&predict=1")
    assert 'id="predict-toggle" checked' in html
    heads = re.findall(r'<th class="n predicted" data-column="([^"]+)" data-predicted', html)
    assert heads == ["predicted:pi-b"]
    cells = re.findall(r'<td class="n predicted" data-predicted="true"[^>]*>(.*?)</td>', html, re.S)
    assert len(cells) == 1
    assert cells[0].lstrip().startswith("<em>") and "predicted</span>" in cells[0]
    assert 'id="predictions-note"' in html
    _, off = get(server, "/compare?runs=a")
    assert "data-predicted" not in off and 'id="predict-toggle">' in off


def test_prediction_matches_the_openapi_schema(site) -> None:
    import jsonschema

    server, _ = site
    spec = get(server, "/api/openapi.json")[1]

    def validator(name: str) -> jsonschema.Draft202012Validator:
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        return jsonschema.Draft202012Validator(schema)

    validator("Prediction").validate(get(server, f"/api/predict?model={MODEL}&device=pi-b")[1])
    for query in ("runs=a&predict=1", "runs=a", "runs=a,b1&predict=1", "group=device&predict=1"):
        validator("Comparison").validate(get(server, f"/api/compare?{query}")[1])
    error = get(server, "/api/predict?model=new_op_model&device=pi-b")[1]
    validator("Error").validate(error)
    assert "422" in spec["paths"]["/predict"]["get"]["responses"]
