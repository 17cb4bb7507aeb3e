"""ansible-lint (production profile) and ansible-playbook --syntax-check on every playbook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ansible.fleet import ANSIBLE_DIR, PLAYBOOKS, VENV_BIN

pytestmark = pytest.mark.slow


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            # The venv's bin first, or ansible-lint warns about a mismatched setup.
            "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
    )
    return env


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is missing: .venv/bin/pip install ansible-core ansible-lint")
    return str(path)


def test_ansible_lint_production_profile_passes(tmp_path: Path) -> None:
    run = subprocess.run(
        [_tool("ansible-lint"), "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_DIR,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Profile 'production' was required, and it passed" in run.stderr + run.stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_check(tmp_path: Path, playbook: str) -> None:
    run = subprocess.run(
        [_tool("ansible-playbook"), "--syntax-check", playbook],
        cwd=ANSIBLE_DIR,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"playbook: {playbook}" in run.stdout
