"""Fetching catalog models from a real local HTTP server with Range support."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from edgebench.agent.modeltools.catalog import get_entry
from edgebench.agent.modeltools.fetch import fetch_model, is_unverified
from edgebench.shared.errors import EdgebenchError
from tests.agent.modeltools.conftest import ModelServer

NAME = "mobilenet_v1_0.25_128_quant"
FILE = NAME + ".tflite"


@pytest.fixture()
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _cache_files(cache: Path) -> list[str]:
    folder = cache / "models"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_verifies_and_stores(
    model_server: ModelServer, cache: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGEBENCH_MODEL_BASE_URL", model_server.base_url + "/")
    seen: list[int] = []
    path = fetch_model(get_entry(NAME), cache, progress=lambda done, total: seen.append(done))
    assert path == cache / "models" / FILE
    assert path.read_bytes() == (models_dir / FILE).read_bytes()
    assert _cache_files(cache) == [FILE]
    assert not is_unverified(path)
    assert model_server.requests == [("/" + FILE, None)]
    assert seen[-1] == path.stat().st_size
    # Cached and verified: a second fetch does not touch the network.
    assert fetch_model(get_entry(NAME), cache) == path
    assert len(model_server.requests) == 1


def test_resume_from_part(model_server: ModelServer, cache: Path, models_dir: Path) -> None:
    data = (models_dir / FILE).read_bytes()
    (cache / "models").mkdir(parents=True)
    (cache / "models" / (FILE + ".part")).write_bytes(data[:200_000])
    path = fetch_model(get_entry(NAME), cache, url=f"{model_server.base_url}/{FILE}")
    assert path.read_bytes() == data
    assert model_server.requests == [("/" + FILE, "bytes=200000-")]
    assert model_server.sent_bytes == len(data) - 200_000
    assert _cache_files(cache) == [FILE]


def test_interrupted_download_keeps_part_and_resumes(
    model_server: ModelServer, cache: Path, models_dir: Path
) -> None:
    entry = get_entry(NAME)
    with pytest.raises(EdgebenchError, match=r"stopped at|interrupted") as info:
        fetch_model(entry, cache, url=f"{model_server.base_url}/drop/{FILE}")
    assert "run the same fetch again to resume" in str(info.value)
    size = len((models_dir / FILE).read_bytes())
    assert _cache_files(cache) == [FILE + ".part"]
    assert (cache / "models" / (FILE + ".part")).stat().st_size == size // 2
    path = fetch_model(entry, cache, url=f"{model_server.base_url}/{FILE}")
    assert path.read_bytes() == (models_dir / FILE).read_bytes()
    assert model_server.requests[-1] == ("/" + FILE, f"bytes={size // 2}-")


def test_implausible_part_is_discarded(
    model_server: ModelServer, cache: Path, models_dir: Path
) -> None:
    (cache / "models").mkdir(parents=True)
    (cache / "models" / (FILE + ".part")).write_bytes(b"<html>not a model</html>")
    path = fetch_model(get_entry(NAME), cache, url=f"{model_server.base_url}/{FILE}")
    assert path.read_bytes() == (models_dir / FILE).read_bytes()
    assert model_server.requests == [("/" + FILE, None)]


@pytest.mark.parametrize("served", ["truncated.tflite", "corrupted.tflite"])
def test_mismatch_leaves_nothing(model_server: ModelServer, cache: Path, served: str) -> None:
    with pytest.raises(EdgebenchError, match=r"checksum mismatch") as info:
        fetch_model(get_entry(NAME), cache, url=f"{model_server.base_url}/{served}")
    message = str(info.value)
    assert "the download was deleted" in message
    assert "gen-mobilenet_v1_0.25_128_uint8" in message and "edgebench model build" in message
    assert "\n" not in message
    assert _cache_files(cache) == []


def test_server_down(cache: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EdgebenchError) as info:
        fetch_model(get_entry(NAME), cache, url=f"http://127.0.0.1:{port}/{FILE}")
    message = str(info.value)
    assert "connection refused" in message and "no network?" in message
    assert "edgebench model build" in message and "local .tflite path" in message
    assert _cache_files(cache) == []


def test_http_404(model_server: ModelServer, cache: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"answered HTTP 404"):
        fetch_model(get_entry(NAME), cache, url=f"{model_server.base_url}/missing.tflite")


def test_unknown_name() -> None:
    with pytest.raises(EdgebenchError, match=r"unknown model 'nope'.*edgebench model list"):
        get_entry("nope")


def test_unverified_entry_needs_checksum_or_no_verify(
    model_server: ModelServer, cache: Path, models_dir: Path
) -> None:
    entry = get_entry("mobilenet_v1_1.0_224_quant")
    assert entry.sha256 is None
    # A mirror serving some file under that entry's name.
    shutil.copy(models_dir / FILE, model_server.root / "v1.tflite")
    url = f"{model_server.base_url}/v1.tflite"
    with pytest.raises(EdgebenchError, match=r"no verified sha256.*--sha256 HEX.*--no-verify"):
        fetch_model(entry, cache, url=url)
    assert model_server.requests == []
    wrong = "0" * 64
    with pytest.raises(EdgebenchError, match=r"checksum mismatch"):
        fetch_model(entry, cache, url=url, sha256=wrong)
    path = fetch_model(entry, cache, url=url, verify=False)
    assert is_unverified(path)
    good = get_entry(NAME).sha256
    assert good is not None
    # Fetching again with the right checksum verifies the cached file and clears the mark.
    requests = len(model_server.requests)
    path = fetch_model(entry, cache, url=url, sha256=good.upper())
    assert not is_unverified(path)
    assert len(model_server.requests) == requests


def test_bad_sha256_argument(cache: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"64 hexadecimal digits"):
        fetch_model(get_entry(NAME), cache, sha256="abc")
    with pytest.raises(EdgebenchError, match=r"contradicts the catalog"):
        fetch_model(get_entry(NAME), cache, sha256="0" * 64)


def test_generated_entry_is_not_downloaded(cache: Path) -> None:
    with pytest.raises(EdgebenchError, match=r"generated locally"):
        fetch_model(get_entry("gen-mobilenet_v2_1.0_224_int8"), cache)


def test_server_that_never_answers_times_out(cache: Path) -> None:
    # The kernel completes the handshake from the backlog, but nobody ever replies.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with pytest.raises(EdgebenchError, match=r"timed out.*no network\?.*Offline"):
            fetch_model(
                get_entry(NAME), cache, url=f"http://127.0.0.1:{port}/{FILE}", timeout_s=0.5
            )
    assert _cache_files(cache) == []
