"""A board fetches an uploaded model from the real collector with its device token.

Both halves of the model store together: an operator uploads a real .tflite over HTTP,
``collector token create --device`` makes the board's token, and the agent's own store
client (``agent/modeltools/store.py``) downloads, verifies and caches it from the real
server; a revoked token is refused with one line and nothing is cached.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.modeltools.store import load_store_model, store_dir
from edgebench.collector import create_app
from edgebench.shared.errors import EdgebenchError
from tests.collector.accounts.test_user_cli import run
from tests.collector.dashboard.conftest import serve
from tests.collector.webauth import HttpClient, add_account, web_config

MODEL = Path(os.environ.get("EDGEBENCH_SHARED", "/work/shared")) / "models"
SMALL = MODEL / "mobilenet_v1_0.25_128_quant.tflite"


def test_agent_downloads_an_uploaded_model_with_its_device_token(
    db_url: str, tmp_path: Path
) -> None:
    operate = add_account(db_url, "olga", "operator", "operate")
    code, out = run(db_url, "token", "create", "--device", "pi-lab-01")
    assert code == 0
    token_file = tmp_path / "device-token"
    token_file.write_text(out.splitlines()[0] + "\n")
    token_file.chmod(0o600)
    app = create_app(web_config(db_url, MODEL_DIR=tmp_path / "store"))
    with serve(app) as server:
        uploaded = HttpClient(server.url, {"Authorization": f"Bearer {operate}"}).upload(
            "/api/models", SMALL.read_bytes(), SMALL.name
        )
        assert uploaded.status == 201, uploaded.text
        digest = uploaded.json()["sha256"]
        config = AgentConfig(
            state_dir=tmp_path / "board",
            cache_dir=tmp_path / "cache",
            collector_url=server.url,
            collector_token_file=token_file,
        )
        model = load_store_model(digest, config)
        assert model.sha256 == digest and model.data == SMALL.read_bytes()
        assert (store_dir(config) / f"{digest}.tflite").is_file()
        # Revoked: the next board that needs it is refused, and caches nothing.
        assert run(db_url, "token", "revoke", out.splitlines()[0][:12])[0] == 0
        other = AgentConfig(
            state_dir=tmp_path / "board2",
            cache_dir=tmp_path / "cache",
            collector_url=server.url,
            collector_token_file=token_file,
        )
        with pytest.raises(EdgebenchError) as refused:
            load_store_model(digest, other)
        assert "\n" not in str(refused.value) and "401" in str(refused.value)
        assert not store_dir(other).exists() or not list(store_dir(other).iterdir())
