"""Fixtures every test module can use: paths to the project and to ../shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EDGEBENCH_SHARED", ROOT.parent / "shared")).resolve()
MODELS = SHARED / "models"
IMAGES = SHARED / "images"
OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder with models, images and references."""
    if not MODELS.is_dir():
        pytest.fail(f"../shared data not found at {SHARED}; set EDGEBENCH_SHARED")
    return SHARED


@pytest.fixture(scope="session")
def models_dir(shared_dir: Path) -> Path:
    """Folder of real pretrained TFLite models."""
    return shared_dir / "models"


@pytest.fixture(scope="session")
def images_dir(shared_dir: Path) -> Path:
    """Folder of test photographs with expected_top1.csv."""
    return shared_dir / "images"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests save artefacts (screenshots, JSON) for a human to look at."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL cluster (tests/pgcluster.py), started on first use.

    Session-scoped, so with pytest-xdist each worker that runs a PostgreSQL test starts
    its own cluster (about 2 s, no locking between workers); each test then gets a fresh
    database in it. Fails (never skips) when PostgreSQL is missing: scripts/test installs it.
    """
    from tests.pgcluster import PgCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL not installed (apt-get install postgresql; scripts/test does)")
    cluster = PgCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def mosquitto(tmp_path: Path):
    """A real Mosquitto broker on a free port, anonymous, with persistence; stopped after."""
    from tests.brokers import MosquittoBroker

    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


# Tests that build from this source tree (setuptools writes build/ and *.egg-info into it)
# or set up machine-wide state (the Ansible test hosts' users and sshd, the arm64 root)
# must not run at the same time: their modules carry `pytest.mark.xdist_group("source-tree")`
# and pytest-xdist (`--dist loadgroup`, as scripts/test runs it) keeps that group on one
# worker, in order. Everything else runs in parallel.
