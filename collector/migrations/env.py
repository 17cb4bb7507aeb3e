"""Alembic environment: runs the collector's migrations on a given connection or URL.

``edgebench collector db upgrade`` (and the collector at start-up) pass an open
connection through ``config.attributes["connection"]``; a plain ``sqlalchemy.url``
main option works too. SQLite needs batch mode to alter tables, so it is always on.
"""

from __future__ import annotations

from alembic import context

from edgebench.collector.db import make_engine
from edgebench.collector.models import Base

target_metadata = Base.metadata


def _configure_and_run(connection: object) -> None:
    """Run the pending migrations on ``connection`` inside one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL for ``alembic upgrade --sql`` without a database."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the caller's connection, or on one opened from the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own_connection:
            _configure_and_run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
