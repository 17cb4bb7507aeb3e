"""Model resolution: paths, catalog names and the default generated workload."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.modeltools.resolve import resolve_model
from edgebench.shared.errors import EdgebenchError
from tests.agent.modeltools.conftest import ModelServer

SMALL = "mobilenet_v1_0.25_128_quant.tflite"


@pytest.fixture()
def config(tmp_path: Path) -> AgentConfig:
    return AgentConfig(cache_dir=tmp_path / "cache", state_dir=tmp_path / "state")


def test_path(models_dir: Path, config: AgentConfig) -> None:
    resolved = resolve_model(str(models_dir / SMALL), config)
    assert resolved.path == models_dir / SMALL
    assert (resolved.name, resolved.source) == ("mobilenet_v1_0.25_128_quant", "file")


def test_relative_path_without_separator(
    models_dir: Path, config: AgentConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(models_dir / SMALL, tmp_path / "mine")
    monkeypatch.chdir(tmp_path)
    resolved = resolve_model("mine", config)
    assert (resolved.path, resolved.source) == (Path("mine"), "file")


def test_missing_path(config: AgentConfig, tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"does not exist.*edgebench model list") as info:
        resolve_model(str(tmp_path / "gone.tflite"), config)
    assert "\n" not in str(info.value)


def test_directory(config: AgentConfig, tmp_path: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"not a regular file"):
        resolve_model(str(tmp_path), config)


def test_not_tflite(models_dir: Path, config: AgentConfig) -> None:
    labels = models_dir / "imagenet_labels.txt"
    with pytest.raises(EdgebenchError) as info:
        resolve_model(str(labels), config)
    assert str(info.value) == (
        f"{labels} is not a TFLite model (no TFL3 identifier); pass a .tflite file, a catalog "
        "name (edgebench model list), or build one with edgebench model build"
    )


def test_truncated(models_dir: Path, config: AgentConfig, tmp_path: Path) -> None:
    bad = tmp_path / "cut.tflite"
    bad.write_bytes((models_dir / SMALL).read_bytes()[:4000])
    with pytest.raises(EdgebenchError, match=r"truncated or corrupt"):
        resolve_model(str(bad), config)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable(models_dir: Path, config: AgentConfig, tmp_path: Path) -> None:
    path = tmp_path / "locked.tflite"
    shutil.copy(models_dir / SMALL, path)
    path.chmod(0)
    with pytest.raises(EdgebenchError, match=r"cannot read model file"):
        resolve_model(str(path), config)


def test_unknown_name(config: AgentConfig) -> None:
    with pytest.raises(EdgebenchError, match=r"neither a file nor a catalog name.*model list"):
        resolve_model("resnet_9000", config)


def test_cached_catalog_name_needs_no_network(
    models_dir: Path, config: AgentConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A base URL nobody listens on: if resolution tried to download, it would fail.
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", "http://127.0.0.1:9")
    cache = config.cache_dir / "models"
    cache.mkdir(parents=True)
    shutil.copy(models_dir / SMALL, cache / SMALL)
    resolved = resolve_model("mobilenet_v1_0.25_128_quant", config)
    assert resolved.path == cache / SMALL
    assert (resolved.name, resolved.source) == ("mobilenet_v1_0.25_128_quant", "catalog")


def test_default_is_generated_mobilenet_v2(config: AgentConfig) -> None:
    resolved = resolve_model(None, config)
    assert (resolved.name, resolved.source) == ("gen-mobilenet_v2_1.0_224_int8", "generated")
    assert resolved.path.is_file()
    assert resolved.path.read_bytes()[4:8] == b"TFL3"


def test_hosted_name_is_fetched_then_cached(
    models_dir: Path,
    config: AgentConfig,
    model_server: ModelServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", model_server.base_url)
    resolved = resolve_model("mobilenet_v1_0.25_128_quant", config)
    assert resolved.path == config.cache_dir / "models" / SMALL
    assert resolved.path.read_bytes() == (models_dir / SMALL).read_bytes()
    assert resolve_model("mobilenet_v1_0.25_128_quant", config).path == resolved.path
    assert len(model_server.requests) == 1


def test_hosted_name_offline(config: AgentConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(EdgebenchError, match=r"connection refused.*gen-mobilenet_v2_1.0_224_uint8"):
        resolve_model("mobilenet_v2_1.0_224_quant", config)
    assert not (config.cache_dir / "models" / "mobilenet_v2_1.0_224_quant.tflite").exists()


def test_unverified_hosted_name_is_not_downloaded_implicitly(
    config: AgentConfig, model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", model_server.base_url)
    with pytest.raises(EdgebenchError, match=r"edgebench model fetch efficientnet_lite0_int8"):
        resolve_model("efficientnet_lite0_int8", config)
    assert model_server.requests == []


def test_generated_name(config: AgentConfig) -> None:
    resolved = resolve_model("gen-mobilenet_v1_0.25_128_uint8", config)
    assert (resolved.name, resolved.source) == ("gen-mobilenet_v1_0.25_128_uint8", "generated")
    assert resolved.path.is_relative_to(config.cache_dir)


def test_catalog_name_resolves_when_the_working_directory_is_unreadable(tmp_path, monkeypatch):
    # A service user whose cwd it may not read (Ansible runs fetches like that).
    from pathlib import Path as _Path

    from edgebench.agent.modeltools import resolve

    def unreadable(self: _Path) -> bool:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(_Path, "exists", unreadable)
    assert resolve._looks_like_path("gen-mobilenet_v2_1.0_224_int8") is False
    assert resolve._looks_like_path("models/x.tflite") is True
