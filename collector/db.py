"""Database engine, sessions and schema upgrades (Alembic) for the collector.

SQLite is the default and is tuned in a connect hook: WAL (readers never block the
ingest writer), ``synchronous=NORMAL`` (durable across application crashes; a power
cut can lose the last commits, which the broker then redelivers because the collector
acknowledges a message only after its commit), foreign keys on, and a busy timeout so
the web process waits for the writer instead of failing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgebench.shared.errors import EdgebenchError

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

DB_FILENAME = "edgebench.sqlite"
BUSY_TIMEOUT_MS = 10_000


def instance_path() -> Path:
    """Return the collector's instance folder (default database, instance ``config.py``).

    Flask's rule for an installed package, ``<prefix>/var/<package>-instance``, applied
    always: Flask cannot locate the folder itself for the ``edgebench.*`` package mapping.
    """
    return Path(sys.prefix) / "var" / "edgebench.collector-instance"


def default_url(instance: Path | None = None) -> str:
    """Return the default database URL: a SQLite file in the instance folder."""
    folder = instance or instance_path()
    return f"sqlite:///{folder / DB_FILENAME}"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Configure each new SQLite connection (pragmas are per connection)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` (any SQLAlchemy URL); SQLite gets WAL and pragmas."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        raise EdgebenchError(
            f"db: {url!r} is not a database URL; use e.g. sqlite:///path/to/edgebench.sqlite"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = sa.create_engine(parsed)
    except NoSuchModuleError:
        raise EdgebenchError(
            f"db: no SQLAlchemy dialect for {parsed.drivername!r}; install its driver"
        ) from None
    except ModuleNotFoundError as exc:
        raise EdgebenchError(
            f"db: the driver of {parsed.drivername!r} ({exc.name}) is not installed; for"
            " PostgreSQL: pip install 'edgebench[postgres]' and postgresql+psycopg://..."
        ) from None
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def insert_or_ignore(engine: Engine) -> Any:
    """Return ``table -> INSERT that skips rows whose unique key exists`` for this dialect.

    On PostgreSQL a row another transaction is inserting makes it wait for that one's
    commit, then skip; so concurrent inserts of one key never raise a unique violation.
    """
    name = engine.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return lambda table: sqlite_insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return lambda table: pg_insert(table).on_conflict_do_nothing()
    raise EdgebenchError(f"db: the collector supports SQLite and PostgreSQL, not {name!r}")


def alembic_config(connection: Any = None) -> Any:
    """Return an Alembic config for the collector's migrations (optionally bound)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "edgebench.collector:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with Alembic; keeps existing data."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to ``revision`` (``"base"``: nothing) with Alembic; drops data."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def init_app(app: Flask) -> None:
    """Bind an engine to ``app`` and give each request its own session via ``get_session``."""
    engine = make_engine(app.config["DATABASE"])
    app.extensions["edgebench_engine"] = engine
    if app.config.get("AUTO_UPGRADE", True):
        upgrade(engine)
    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """Return the current request's session, opening it on first use."""
    from flask import current_app, g
    from sqlalchemy.orm import Session

    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["edgebench_engine"])
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session if one was opened."""
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()
