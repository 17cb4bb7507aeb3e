"""The model store over real HTTP: upload, duplicates, refusals, limits, device tokens, delete.

The real app under waitress on a free port, on SQLite and on PostgreSQL, with real model
files from $EDGEBENCH_SHARED/models, accounts and tokens made by the storage functions, and
uploads sent as multipart/form-data the way curl sends them.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import create_app, db, devicetokens
from edgebench.collector.modelcatalog import generated_models
from edgebench.collector.models import Device
from edgebench.shared.tflite.modelbytes import inspect_bytes
from tests.collector.conftest import count
from tests.collector.dashboard.conftest import serve
from tests.collector.webauth import HttpClient, add_account, audit_log, web_config

pytestmark = pytest.mark.both_databases

MODELS = Path(os.environ.get("EDGEBENCH_SHARED", "/work/shared")) / "models"
SMALL = MODELS / "mobilenet_v1_0.25_128_quant.tflite"
OTHER = MODELS / "mobilenet_v1_0.5_160_quant.tflite"
LARGE = MODELS / "mobilenet_v2_1.0_224_quant.tflite"
LIMIT_MB = 2.0
JSON = {"Content-Type": "application/json"}


@dataclass
class Store:
    """A served app with one client per kind of requester, and its model folder."""

    url: str
    model_dir: Path
    db_url: str
    operator: HttpClient
    admin: HttpClient
    viewer: HttpClient
    read_operator: HttpClient
    device: HttpClient
    anonymous: HttpClient


def device_token(db_url: str, device_id: str) -> str:
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            text, _ = devicetokens.create_device_token(session, device_id)
            session.commit()
            return text
    finally:
        engine.dispose()


def bearer(url: str, token: str | None) -> HttpClient:
    return HttpClient(url, {"Authorization": f"Bearer {token}"} if token else {})


@pytest.fixture()
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    tokens = {
        "operator": add_account(db_url, "olga", "operator", "operate"),
        "admin": add_account(db_url, "ada", "admin", "operate"),
        "viewer": add_account(db_url, "vic", "viewer", "read"),
        "read_operator": add_account(db_url, "olga", "operator", "read"),
        "device": device_token(db_url, "pi-lab-01"),
    }
    model_dir = tmp_path / "store" / "models"
    app = create_app(web_config(db_url, MODEL_DIR=model_dir, MAX_MODEL_MB=LIMIT_MB))
    with serve(app) as server:
        clients = {k: bearer(server.url, v) for k, v in tokens.items()}
        yield Store(server.url, model_dir, db_url, anonymous=HttpClient(server.url), **clients)


def stored_rows(store: Store) -> int:
    engine = sa.create_engine(store.db_url)
    try:
        return count(engine, "stored_models")
    finally:
        engine.dispose()


def test_upload_duplicate_read_download_and_delete(store: Store) -> None:
    data = SMALL.read_bytes()
    reply = store.operator.upload("/api/models", data, SMALL.name, {"name": "my v1"})
    assert reply.status == 201, reply.text
    model = reply.json()
    sha = model["sha256"]
    expected = inspect_bytes(data, SMALL.name, "")
    assert sha == expected.sha256 and model["created"] is True
    assert model["name"] == "my v1" and model["model"] == f"sha256:{sha}"
    assert model["size_bytes"] == len(data)
    assert model["uploaded_by"].startswith("token ebt_") and model["uploaded_by"].endswith("(olga)")
    inspection = model["inspection"]
    assert inspection["macs"] == expected.macs and inspection["params"] == expected.params
    assert inspection["op_histogram"] == expected.op_histogram
    assert inspection["inputs"][0]["shape"] == [1, 128, 128, 3]
    assert (store.model_dir / f"{sha}.tflite").read_bytes() == data
    # The same bytes again, under another name: the same model, not a second one.
    again = store.admin.upload("/api/models", data, "copy.tflite", {"name": "copy"})
    assert again.status == 200 and again.json()["sha256"] == sha
    assert again.json()["created"] is False and again.json()["name"] == "my v1"
    assert stored_rows(store) == 1 and len(list(store.model_dir.iterdir())) == 1
    # Reading: any login or token, and a board's device token.
    for client in (store.viewer, store.device):
        listing = client.get("/api/models").json()
        assert [m["sha256"] for m in listing["items"]] == [sha] and listing["total"] == 1
        assert {g["kind"] for g in listing["generated"]} == {"generated"}
        assert client.get(f"/api/models/{sha}").json()["inspection"] == inspection
    download = store.device.get(f"/api/models/{sha}/file")
    assert download.status == 200 and download.body == data
    assert download.headers.get_content_type() == "application/octet-stream"
    assert store.device.get("/api/models/" + "0" * 64).status == 404
    assert store.device.get("/api/models/" + "0" * 64 + "/file").status == 404
    # Deleting: admins only.
    assert store.operator.request("DELETE", f"/api/models/{sha}").status == 403
    deleted = store.admin.request("DELETE", f"/api/models/{sha}")
    assert deleted.status == 200 and deleted.json() == {"sha256": sha, "deleted": True}
    assert not (store.model_dir / f"{sha}.tflite").exists() and stored_rows(store) == 0
    assert store.viewer.get(f"/api/models/{sha}").status == 404
    assert store.admin.request("DELETE", f"/api/models/{sha}").status == 404
    events = audit_log(store.url, store.admin.headers, limit="10")
    actions = [(e["action"], e["outcome"]) for e in events if e["target"] == sha]
    assert ("model.delete", "ok") in actions and ("model.upload", "ok") in actions


def add_device(db_url: str, device_id: str) -> None:
    """Store a device as if it had reported, so a campaign may name it."""
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            session.add(Device(device_id=device_id, first_seen=1.0, last_seen=1.0))
            session.commit()
    finally:
        engine.dispose()


def _upload_together(store: Store, data: bytes, n: int) -> list:
    """Send ``n`` uploads of ``data`` at once, each on its own connection; their replies."""
    barrier = threading.Barrier(n)
    replies: list = [None] * n

    def send(i: int) -> None:
        client = HttpClient(store.url, store.operator.headers)
        barrier.wait()
        replies[i] = client.upload("/api/models", data, f"copy{i}.tflite")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return replies


def test_concurrent_identical_uploads_store_one_model_and_answer_as_duplicates(
    store: Store,
) -> None:
    data = SMALL.read_bytes()
    for _round in range(3):
        replies = _upload_together(store, data, 4)
        assert sorted(r.status for r in replies) == [200, 200, 200, 201], [r.text for r in replies]
        assert {r.json()["sha256"] for r in replies} == {inspect_bytes(data, "", "").sha256}
        assert sorted(r.json()["created"] for r in replies) == [False, False, False, True]
        assert stored_rows(store) == 1 and len(list(store.model_dir.iterdir())) == 1
        sha = replies[0].json()["sha256"]
        assert store.admin.request("DELETE", f"/api/models/{sha}").status == 200


def test_campaigns_name_only_stored_models_and_hold_them(store: Store) -> None:
    add_device(store.db_url, "pi-lab-01")
    sha = store.operator.upload("/api/models", SMALL.read_bytes(), SMALL.name).json()["sha256"]
    body = {"name": "store", "devices": ["pi-lab-01"], "deadline_s": 600}
    missing = "sha256:" + "0" * 64
    for path in ("/api/campaigns/preview", "/api/campaigns"):
        reply = store.operator.request(
            "POST", path, body=json.dumps(body | {"models": [missing]}).encode(), headers=JSON
        )
        assert reply.status == 400, reply.text
        assert reply.json()["message"] == (
            f"models[0]: {missing} is not in the model store;"
            " upload it first (Models page or POST /api/models)"
        )
    started = store.operator.request(
        "POST",
        "/api/campaigns",
        body=json.dumps(body | {"models": [f"sha256:{sha}"]}).encode(),
        headers=JSON,
    )
    assert started.status == 201, started.text
    campaign = started.json()["campaign_id"]
    # A running campaign holds the model: deleting it is refused, the file stays.
    held = store.admin.request("DELETE", f"/api/models/{sha}")
    assert held.status == 409 and (store.model_dir / f"{sha}.tflite").exists()
    cancel = store.operator.request("POST", f"/api/campaigns/{campaign}/cancel", headers=JSON)
    assert cancel.status == 200, cancel.text
    assert store.admin.request("DELETE", f"/api/models/{sha}").status == 200
    assert not (store.model_dir / f"{sha}.tflite").exists()


def test_who_may_upload_and_what_a_device_token_opens(store: Store) -> None:
    data = SMALL.read_bytes()
    assert store.anonymous.upload("/api/models", data).status == 401
    assert store.viewer.upload("/api/models", data).status == 403
    assert store.read_operator.upload("/api/models", data).status == 403
    # A device token reads the model store and nothing else, and never changes anything.
    assert store.device.upload("/api/models", data).status == 403
    for path in ("/api/runs", "/api/devices", "/api/audit", "/", "/models"):
        assert store.device.get(path).status == 403, path
    assert store.anonymous.get("/api/models").status == 401
    assert store.anonymous.get("/api/models/" + "0" * 64 + "/file").status == 401
    assert bearer(store.url, "ebd_00000000_nope").get("/api/models").status == 401
    assert stored_rows(store) == 0
    refused = audit_log(store.url, store.admin.headers, action="model.upload")
    assert {e["outcome"] for e in refused} == {"denied"}


def _zip_of(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.tflite", data)
    return buffer.getvalue()


def test_what_is_not_a_tflite_model_is_refused_with_the_reason(store: Store) -> None:
    data = SMALL.read_bytes()
    cases = {
        "notes.txt": (b"just some text, not a model\n", "is not a TFLite model (no TFL3"),
        "cut.tflite": (data[:4096], "is a truncated or corrupt TFLite flatbuffer"),
        "model.zip": (_zip_of(data), "is not a TFLite model (no TFL3"),
        "empty.tflite": (b"", "is not a TFLite model (no TFL3"),
    }
    for filename, (body, reason) in cases.items():
        reply = store.operator.upload("/api/models", body, filename)
        assert reply.status == 400, (filename, reply.text)
        message = reply.json()["message"]
        assert message.startswith(filename) and reason in message and "\n" not in message
    missing = store.operator.request("POST", "/api/models", form={"name": "no file"})
    assert missing.status == 400 and "'file'" in missing.json()["message"]
    assert stored_rows(store) == 0 and not store.model_dir.exists()


def test_oversized_upload_is_413_and_stores_nothing(store: Store) -> None:
    limit = int(LIMIT_MB * 1024 * 1024)
    big = LARGE.read_bytes()  # 3.6 MB: over the limit and its multipart slack
    assert len(big) > limit + 64 * 1024
    reply = store.operator.upload("/api/models", big, LARGE.name)
    assert reply.status == 413
    assert reply.json()["message"] == (
        "the model is larger than the limit of 2 MB (collector.max_model_mb)"
    )
    # Just over the limit, within the envelope's slack: refused while the file is read.
    small = SMALL.read_bytes()
    padded = small + b"\0" * (limit + 1 - len(small))
    reply = store.operator.upload("/api/models", padded, "padded.tflite")
    assert reply.status == 413 and "collector.max_model_mb" in reply.json()["message"]
    assert stored_rows(store) == 0
    assert not store.model_dir.exists() or not list(store.model_dir.iterdir())


def test_oversized_upload_from_the_models_page_shows_the_error_page(store: Store) -> None:
    browser = HttpClient(store.url)
    assert browser.log_in("olga").status == 302
    token = browser.csrf("/models")
    fields = {"csrf_token": token, "name": "big"}
    # Over the request limit (refused before the form is read) and just over the model
    # limit (refused while the file is read): both the dashboard's page with the reason.
    small = SMALL.read_bytes()
    padded = small + b"\0" * (int(LIMIT_MB * 1024 * 1024) + 1 - len(small))
    for data in (LARGE.read_bytes(), padded):
        reply = browser.upload("/models", data, "big.tflite", fields)
        assert reply.status == 413, reply.text
        assert reply.headers.get_content_type() == "text/html"
        message = re.search(r'id="error-message">([^<]*)<', reply.text)
        assert message, reply.text
        assert message.group(1) == (
            "the model is larger than the limit of 2 MB (collector.max_model_mb)"
        )
        assert "<h1>Too large</h1>" in reply.text and 'href="/models"' in reply.text
    assert stored_rows(store) == 0
    # The same session still uploads a model that fits.
    ok = browser.upload("/models", small, SMALL.name, fields)
    assert ok.status == 303 and stored_rows(store) == 1


def test_hostile_names_are_stored_as_text_only(store: Store, tmp_path: Path) -> None:
    script = "<script>alert('x')</script>"
    first = store.operator.upload("/api/models", SMALL.read_bytes(), "a.tflite", {"name": script})
    assert first.status == 201 and first.json()["name"] == script
    # A traversal in the file name (no name field): kept as the name, never used as a path.
    traversal = store.operator.upload("/api/models", OTHER.read_bytes(), "../../x")
    assert traversal.status == 201 and traversal.json()["name"] == "../../x"
    # Control characters are dropped from a name (a terminal listing cannot be driven).
    third = store.operator.upload(
        "/api/models", LARGE.read_bytes()[:16], "t.tflite", {"name": "a\x1b[31mb"}
    )
    assert third.status == 400 and "\x1b" not in third.json()["message"]
    files = sorted(p.name for p in store.model_dir.iterdir())
    shas = [first.json()["sha256"], traversal.json()["sha256"]]
    assert files == sorted(f"{sha}.tflite" for sha in shas)
    assert not (tmp_path / "x").exists() and not (store.model_dir.parent.parent / "x").exists()
    page = store.viewer.get("/models")
    assert page.status == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert script not in page.text


def test_generated_models_are_named_as_the_agents_catalog_names_them() -> None:
    from edgebench.agent.modeltools.catalog import find_entry

    items = generated_models()
    assert len(items) > 50
    for item in items:
        entry = find_entry(item["name"])
        assert entry is not None and entry.kind == "generated", item["name"]
        assert entry.published_top1 == item["published_top1"]
