"""Fixtures for collector tests: real SQLite files, a real ingest service, the Flask app.

Tests marked ``both_databases`` (storage, ingest, API, migrations) run twice: on a fresh
SQLite file (id ``sqlite``) and on a fresh database in the session's throw-away
PostgreSQL cluster (id ``postgresql``, tests/pgcluster.py). Every other test gets SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from edgebench.collector import db
from edgebench.collector.config import CollectorConfig, load_collector_config
from edgebench.collector.ingest.service import IngestService

DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run ``both_databases`` tests once per database (through the ``db_url`` fixture)."""
    marked = metafunc.definition.get_closest_marker("both_databases")
    if marked and "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", DATABASES, indirect=True, ids=DATABASES)


@pytest.fixture()
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh database: a SQLite file in the test's temp dir, or a PostgreSQL one."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_cluster").create_database()
    return f"sqlite:///{tmp_path / 'collector.sqlite'}"


@pytest.fixture()
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on ``db_url`` with the schema at head (via Alembic)."""
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def make_config(db_url: str) -> Callable[..., CollectorConfig]:
    """Build a CollectorConfig through the real loader, with flags for the test."""

    def make(broker_url: str = "", **flags: Any) -> CollectorConfig:
        return load_collector_config(None, {"db": db_url, "mqtt.url": broker_url, **flags})

    return make


@pytest.fixture()
def start_ingest() -> Iterator[Callable[..., IngestService]]:
    """Start IngestService instances that are stopped at teardown."""
    started: list[IngestService] = []

    def start(config: CollectorConfig, **kwargs: Any) -> IngestService:
        service = IngestService(config, **kwargs)
        service.start()
        started.append(service)
        assert service.wait_connected(15), "collector did not connect and subscribe"
        return service

    yield start
    for service in started:
        service.stop()


def count(engine: sa.Engine, table: str) -> int:
    """Return the row count of ``table``."""
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture(scope="session")
def profiled_result(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real ``agent run --profile-ops`` result on this machine (once per test session)."""
    from tests.collector.opdata import run_profiled

    return run_profiled(models_dir, tmp_path_factory.mktemp("profiled"))
