"""Fixtures shared by the agent's command tests."""

from __future__ import annotations

from pathlib import Path

import pytest


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
