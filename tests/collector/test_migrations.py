"""Alembic migrations: create everything, keep data on re-upgrade, agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from edgebench.collector import db
from edgebench.collector.models import Base
from edgebench.shared.cli import cli
from tests.collector.conftest import count
from tests.collector.helpers import run_stream, store_messages

pytestmark = pytest.mark.both_databases

HEAD = "0005"


def _store_run(engine: sa.Engine, run_id: str) -> None:
    store_messages(engine, *run_stream("pi-a", run_id, batches=3))


def test_upgrade_creates_every_table_and_is_at_head(engine: sa.Engine) -> None:
    tables = set(sa.inspect(engine).get_table_names())
    assert {"devices", "runs", "samples", "run_events", "rejected_messages"} <= tables
    assert {"users", "api_tokens", "audit_events"} <= tables
    assert {"stored_models", "device_tokens"} <= tables
    assert {"campaigns", "campaign_jobs"} <= tables
    assert "command_id" in {c["name"] for c in sa.inspect(engine).get_columns("runs")}
    assert db.current_revision(engine) == HEAD


def test_upgrade_again_keeps_rows(engine: sa.Engine) -> None:
    _store_run(engine, "run-1")
    before = {t: count(engine, t) for t in ("devices", "runs", "samples", "run_events")}
    assert before["samples"] == 15 + 1  # 3 batches of 5 rows, plus the result's own sample
    db.upgrade(engine)
    db.upgrade(engine)
    after = {t: count(engine, t) for t in before}
    assert after == before


def test_models_and_migrations_agree(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine: sa.Engine) -> None:
    _store_run(engine, "run-3")
    db.downgrade(engine, "base")
    assert db.current_revision(engine) is None
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    assert db.current_revision(engine) == HEAD
    _store_run(engine, "run-3")
    assert count(engine, "runs") == 1


def test_sqlite_pragmas_are_set(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
    engine.dispose()


def test_cli_db_upgrade_on_empty_then_existing_database(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["collector", "db", "upgrade", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert f"revision None -> {HEAD}" in first.output
    engine = db.make_engine(db_url)
    _store_run(engine, "run-2")
    second = runner.invoke(cli, ["collector", "db", "upgrade", "--db", db_url])
    assert second.exit_code == 0, second.output
    assert f"revision {HEAD} -> {HEAD}" in second.output
    assert count(engine, "runs") == 1
    engine.dispose()


def test_cli_rejects_a_bad_database_url() -> None:
    result = CliRunner().invoke(cli, ["collector", "db", "upgrade", "--db", "not a url"])
    assert result.exit_code == 2
    assert "edgebench: error: db:" in result.output


def test_cli_names_the_missing_driver() -> None:
    url = "postgresql+pg8000://u@127.0.0.1:1/x"  # a dialect whose driver is not installed
    result = CliRunner().invoke(cli, ["collector", "db", "upgrade", "--db", url])
    assert result.exit_code == 2
    assert "pg8000" in result.output and "edgebench[postgres]" in result.output
    assert "Traceback" not in result.output
