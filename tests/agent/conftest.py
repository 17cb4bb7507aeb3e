"""Fixtures shared by the agent's command tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.storeserver import TOKEN, StoreServer


@pytest.fixture()
def agent_env(tmp_path: Path) -> dict[str, str]:
    """Config through the environment: private cache/state, a board with no thermal sensor."""
    sys_root = tmp_path / "sys"
    sys_root.mkdir()
    return {
        "EDGEBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "EDGEBENCH_STATE_DIR": str(tmp_path / "state"),
        "EDGEBENCH_SYS_ROOT": str(sys_root),
        "EDGEBENCH_VCGENCMD": str(tmp_path / "no-vcgencmd"),
        "EDGEBENCH_SAMPLE_HZ": "0",
    }


@pytest.fixture()
def store_server(models_dir: Path) -> Iterator[StoreServer]:
    """The collector's model-store endpoint, served by a real local HTTP server."""
    server = StoreServer(models_dir).start()
    yield server
    server.stop()


@pytest.fixture()
def token_file(tmp_path: Path) -> Path:
    """A device token file holding the token ``store_server`` accepts."""
    path = tmp_path / "device-token"
    path.write_text(TOKEN + "\n")
    return path
