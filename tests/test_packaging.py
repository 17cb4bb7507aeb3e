"""The built wheel must hold the whole source tree under the edgebench namespace."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

# One worker builds from the source tree at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("source-tree")

FOLDERS = {
    "agent": "edgebench/agent",
    "collector": "edgebench/collector",
    "shared": "edgebench/shared",
}


def _source_files() -> set[str]:
    """Every file git would ship from the three package folders, as wheel paths."""
    files = set()
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            files.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    return files


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[zipfile.ZipFile, str]:
    """Build the wheel once; return it and setuptools' output (-v shows its warnings)."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-v",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (path,) = out.glob("edgebench-*.whl")
    return zipfile.ZipFile(path), proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(build: tuple[zipfile.ZipFile, str]) -> zipfile.ZipFile:
    return build[0]


def test_setuptools_ignores_no_folder(build: tuple[zipfile.ZipFile, str]) -> None:
    # A data folder missing from `packages` makes setuptools warn "Package would be
    # ignored" (and a future setuptools may leave it out).
    log = build[1]
    assert "running build_py" in log  # the verbose build output was captured
    assert "would be ignored" not in log, log


def test_wheel_holds_every_source_file(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = sorted(_source_files() - names)
    assert not missing, f"left out of the wheel (list the sub-package in pyproject.toml): {missing}"


def test_wheel_has_no_bare_top_level_packages(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert not tops & {"agent", "collector", "shared", "tests"}
    assert "edgebench" in tops


def test_console_script_is_declared(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "edgebench = edgebench.shared.cli:main" in text


def test_cli_help_runs_without_optional_extras() -> None:
    # The root command must start without importing numpy, LiteRT, Flask or SQLAlchemy.
    code = (
        "import sys; from click.testing import CliRunner; from edgebench.shared.cli import cli;"
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output;"
        "heavy = {'numpy', 'ai_edge_litert', 'flask', 'sqlalchemy'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_folder_is_a_listed_package() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    for folder, target in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(ROOT / folder)
            dotted = ".".join([target.replace("/", "."), *rel.parts])
            assert f'"{dotted}"' in text, f"{dotted} is not in [tool.setuptools] packages"
