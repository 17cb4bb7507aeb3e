"""A base install (no extras) answers a command that needs one with the one-line install hint.

A fresh virtualenv gets edgebench without its extras (``pip install --no-deps -e .`` plus
the base dependencies pyproject.toml declares), as ``pip install edgebench`` would, and
runs commands whose bodies import the agent's or the collector's packages.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
import venv
from pathlib import Path

import pytest

from tests.conftest import MODELS, ROOT

# One worker builds from the source tree at a time (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("source-tree")]

SMALL = str(MODELS / "mobilenet_v1_0.25_128_quant.tflite")


@pytest.fixture(scope="module")
def bare_edgebench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``edgebench`` script of a virtualenv with the base install only."""
    env_dir = tmp_path_factory.mktemp("bare") / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q"]
    base = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    subprocess.run([*pip, *base], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    return env_dir / "bin" / "edgebench"


@pytest.mark.parametrize(
    ("args", "package", "extra"),
    [
        (["collector", "serve"], "sqlalchemy", "collector"),
        (["agent", "run", SMALL], "tflite", "agent"),
        (["model", "inspect", SMALL], "tflite", "agent"),
    ],
)
def test_missing_extra_is_one_line(
    bare_edgebench: Path, tmp_path: Path, args: list[str], package: str, extra: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = subprocess.run(
        [str(bare_edgebench), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"edgebench: error: 'edgebench {' '.join(args[:2])}' needs the Python package "
        f"{package!r}, which is not installed; install it with: pip install 'edgebench[{extra}]'"
    ], proc.stderr


def test_the_test_venv_really_lacks_the_extras(bare_edgebench: Path) -> None:
    python = bare_edgebench.with_name("python")
    probe = (
        "import importlib.util as u;"
        "print([m for m in ('numpy', 'flask', 'paho', 'tflite') if u.find_spec(m)])"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
