"""Every documented endpoint answers over real HTTP and matches /api/openapi.json.

Walks every path of the OpenAPI document, fills path parameters with real ids from the
fleet, and validates each JSON body against the documented response schema
(JSON Schema 2020-12, as OpenAPI 3.1 uses). Also checks that every /api route the app
serves is documented, and that documented error responses really come back.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest

from tests.collector.dashboard.conftest import Fleet, Server
from tests.collector.helpers import wait_until
from tests.collector.opdata import PROFILED_MODEL, message, renamed
from tests.collector.webauth import HttpClient

RUN = "pi4-lab-01-mobilenet_v1-4t-1-0"
EXAMPLES = {"device_id": "pi5-lab-01", "run_id": RUN}
QUERIES = {
    "/compare": "?runs=pi4-lab-01-mobilenet_v2-4t-0-0,pi5-lab-01-mobilenet_v2-4t-0-0",
    "/compare.csv": "?group=device,threads&threads=4",
    "/runs": "?verdict=VALID&limit=5&sort=throughput_ips",
    "/events": "?max_s=1",
    # Device ``api-ops`` has a profile of another model (profiled_box), so this predicts.
    "/predict": f"?model={PROFILED_MODEL.removesuffix('.tflite')}&device=api-ops",
}


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


@pytest.fixture(scope="module")
def stored_sha256(server: Server) -> str:
    """Upload a real model, so the model store's paths have one to answer with."""
    model = Path(os.environ.get("EDGEBENCH_SHARED", "/work/shared")) / "models"
    data = (model / "mobilenet_v1_0.25_128_quant.tflite").read_bytes()
    reply = HttpClient(server.url, server.headers).upload("/api/models", data)
    assert reply.status in (200, 201), reply.text
    return reply.json()["sha256"]


@pytest.fixture(scope="module")
def campaign(server: Server) -> int:
    """A campaign on a fleet device, created through the API: its id for the path examples."""
    body = {"name": "doc", "devices": ["pi5-lab-01"], "models": [None], "deadline_s": 60}
    request = urllib.request.Request(
        server.url + "/api/campaigns",
        data=json.dumps(body).encode(),
        headers={**server.headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["campaign_id"]


@pytest.fixture(scope="module")
def spec(server: Server, stored_sha256: str) -> dict:
    status, kind, body = fetch(server.url + "/api/openapi.json", server.headers)
    assert status == 200 and kind == "application/json"
    document = json.loads(body)
    assert document["openapi"].startswith("3.1")
    EXAMPLES["sha256"] = stored_sha256
    return document


@pytest.fixture(scope="module")
def profiled_box(fleet: Fleet, profiled_result: dict) -> None:
    """Publish a real profiled run, and one of another model on ``api-ops`` to predict from."""
    docs = [
        ("api-model", profiled_result | {"run_id": "api-model-run"}),
        ("api-ops", renamed(profiled_result, "api-ops-run", "other_model", "1" * 64)),
    ]
    for device, doc in docs:
        fleet.publish(device, [message(doc, device)])
    sql = (
        "SELECT count(*) FROM runs WHERE result IS NOT NULL"
        " AND run_id IN ('api-model-run', 'api-ops-run')"
    )
    wait_until(lambda: fleet.count(sql) == 2, 60, "the profiled runs stored")


def validator(spec: dict, schema: dict) -> jsonschema.Draft202012Validator:
    # The schema is embedded in a root that holds the components, so "#/components/..." resolves.
    root = {**schema, "components": spec["components"]}
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root)


def test_every_api_route_is_documented(server: Server, spec: dict) -> None:
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api"))
        for rule in server.app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == set(spec["paths"])


def test_every_path_answers_and_matches_its_schema(
    server: Server, spec: dict, profiled_box: None, campaign: int
) -> None:
    base = spec["servers"][0]["url"]
    examples = {**EXAMPLES, "campaign_id": campaign}
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue  # POST-only (campaign preview, cancel): tests/collector/campaigns
        ok = item["get"]["responses"]["200"]["content"]
        url = server.url + base + path.format(**examples) + QUERIES.get(path, "")
        status, kind, body = fetch(url, server.headers)
        assert status == 200, (path, body[:300])
        assert kind in ok, (path, kind)
        if kind == "application/json":
            validator(spec, ok[kind]["schema"]).validate(json.loads(body))
        elif kind == "text/csv":
            assert body.count(b"\n") >= 2, path
        elif kind == "text/event-stream":
            assert body.startswith(b"retry:"), path


def test_documented_errors_come_back_as_documented(server: Server, spec: dict) -> None:
    base = spec["servers"][0]["url"]
    error = validator(spec, {"$ref": "#/components/schemas/Error"})
    checked = 0
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        responses = item["get"]["responses"]
        if "404" in responses and "{" in path:
            url = (
                server.url
                + base
                + path.format(device_id="x", run_id="x", sha256="0" * 64, campaign_id="0")
            )
            status, _kind, body = fetch(url, server.headers)
            assert status == 404, path
            error.validate(json.loads(body))
            checked += 1
        if "400" in responses:
            params = [p["name"] for p in item["get"]["parameters"] if p["in"] == "query"]
            numeric = [
                p["name"]
                for p in item["get"]["parameters"]
                if p["in"] == "query" and p["schema"].get("type") == "integer"
            ]
            if numeric:
                examples = {**EXAMPLES, "campaign_id": 0}
                url = server.url + base + path.format(**examples) + f"?{numeric[0]}=NaN"
                status, _kind, body = fetch(url, server.headers)
                assert status == 400, (path, params)
                error.validate(json.loads(body))
                checked += 1
    assert checked >= 8
