"""Store models (``sha256:<hex>``) fetched from a real local HTTP server, verified, cached."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from edgebench.agent.config import AgentConfig, load_agent_config
from edgebench.agent.modeltools import store
from edgebench.agent.modeltools.commanded import resolve_commanded_model
from edgebench.agent.modeltools.store import load_store_model, store_dir
from edgebench.shared.errors import ConfigError, EdgebenchError
from tests.agent.storeserver import StoreServer

SMALL = "mobilenet_v1_0.25_128_quant.tflite"
OTHER = "mobilenet_v1_0.5_160_quant.tflite"


def _config(tmp_path: Path, url: str | None, token_file: Path | None) -> AgentConfig:
    return AgentConfig(
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        collector_url=url,
        collector_token_file=token_file,
    )


def _stored(config: AgentConfig) -> list[str]:
    folder = store_dir(config)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_fetches_verifies_caches_and_reuses(
    tmp_path: Path, store_server: StoreServer, token_file: Path
) -> None:
    config = _config(tmp_path, store_server.url + "/", token_file)
    digest = store_server.names[SMALL]
    seen: list[tuple[int, float]] = []
    model = load_store_model(digest, config, lambda done, elapsed: seen.append((done, elapsed)))
    assert model.sha256 == digest and model.data == store_server.models[digest]
    assert _stored(config) == [f"{digest}.tflite"]  # no temporary file left
    assert seen and seen[-1][0] == len(model.data)
    assert store_server.requests == [(f"/api/models/{digest}/file", f"Bearer {store_server.token}")]
    resolved = resolve_commanded_model(f"sha256:{digest}", config)
    assert resolved.name == f"sha256:{digest}" and resolved.model.sha256 == digest
    assert len(store_server.requests) == 1  # the second use came from the cache


def test_wrong_bytes_are_refused_and_deleted(
    tmp_path: Path, store_server: StoreServer, token_file: Path
) -> None:
    config = _config(tmp_path, store_server.url, token_file)
    digest = store_server.names[SMALL]
    store_server.wrong_bytes[digest] = store_server.models[store_server.names[OTHER]]
    with pytest.raises(EdgebenchError, match=r"^sha256 mismatch: .*download was deleted"):
        load_store_model(digest, config)
    assert _stored(config) == []


def test_a_cached_file_that_changed_is_deleted_and_refused(
    tmp_path: Path, store_server: StoreServer, token_file: Path
) -> None:
    config = _config(tmp_path, store_server.url, token_file)
    digest = store_server.names[SMALL]
    path = load_store_model(digest, config).path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit on the board's storage
    path.write_bytes(bytes(data))
    with pytest.raises(EdgebenchError, match=r"^sha256 mismatch: the cached store model"):
        load_store_model(digest, config)
    assert not path.exists()
    # Fetched again by the next command; then cut short so it does not even parse.
    path = load_store_model(digest, config).path
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(EdgebenchError, match=r"^sha256 mismatch: the cached store model"):
        load_store_model(digest, config)
    assert not path.exists()


def test_bad_token_unknown_model_and_redirect_are_one_line_errors(
    tmp_path: Path, store_server: StoreServer
) -> None:
    bad = tmp_path / "bad-token"
    bad.write_text("not-the-token\n")
    digest = store_server.names[SMALL]
    with pytest.raises(EdgebenchError, match=r"answered HTTP 401"):
        load_store_model(digest, _config(tmp_path, store_server.url, bad))
    good = tmp_path / "token"
    good.write_text(store_server.token)
    config = _config(tmp_path, store_server.url, good)
    with pytest.raises(EdgebenchError, match=r"answered HTTP 404"):
        load_store_model("0" * 64, config)
    # A redirect would carry the device token to another URL: refused, never followed.
    store_server.redirects[digest] = f"{store_server.url}/elsewhere"
    with pytest.raises(EdgebenchError, match=r"answered HTTP 302"):
        load_store_model(digest, config)
    assert all(path.startswith("/api/models/") for path, _ in store_server.requests)
    assert _stored(config) == []


def test_size_cap(
    tmp_path: Path, store_server: StoreServer, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MAX_STORE_MODEL_BYTES", 1000)
    config = _config(tmp_path, store_server.url, token_file)
    with pytest.raises(EdgebenchError, match=r"over the limit of 1000"):
        load_store_model(store_server.names[SMALL], config)
    assert _stored(config) == []


@pytest.mark.parametrize(
    "spec", ["sha256:../x", "sha256:" + "A" * 64, "sha256:" + "0" * 63, "sha256:/etc/shadow"]
)
def test_malformed_store_names_are_refused_without_a_request(
    tmp_path: Path, store_server: StoreServer, token_file: Path, spec: str
) -> None:
    config = _config(tmp_path, store_server.url, token_file)
    with pytest.raises(EdgebenchError, match=r"refused: a store model is named sha256:"):
        resolve_commanded_model(spec, config)
    assert store_server.requests == []


def test_without_collector_settings_a_store_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"set collector_url and collector_token_file"):
        load_store_model("0" * 64, _config(tmp_path, None, None))


def test_collector_settings_are_validated_at_start_up(tmp_path: Path, token_file: Path) -> None:
    flags = {"collector_url": "ftp://server", "collector_token_file": str(tmp_path / "none")}
    with pytest.raises(ConfigError) as info:
        load_agent_config(None, flags)
    message = str(info.value)
    assert "collector_url: 'ftp://server' is not a collector URL" in message
    assert "collector_token_file: file" in message and "does not exist" in message
    with pytest.raises(ConfigError, match=r"must be given together"):
        load_agent_config(None, {"collector_url": "http://server:8080"})
    config = load_agent_config(
        None, {"collector_url": "https://server", "collector_token_file": str(token_file)}
    )
    assert config.collector_token_file == token_file
    assert msgspec.structs.replace(config, collector_url="http://u:p@server").validate()
