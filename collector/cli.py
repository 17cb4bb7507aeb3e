"""``edgebench collector``: serve (ingest + web), ingest only, upgrades and retention."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from edgebench.collector.config import load_for_command
from edgebench.shared.lazycli import LazyGroup

if TYPE_CHECKING:
    from edgebench.collector.config import CollectorConfig
    from edgebench.collector.ingest.service import IngestService
    from edgebench.collector.retention_job import RetentionJob
    from edgebench.collector.webserver import WebServer


def _db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", help="SQLAlchemy database URL [default: SQLite file in the instance folder]."
    )(f)


def _broker_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--broker",
        help="MQTT broker URL, e.g. mqtt://localhost:1883 [default: embedded broker].",
    )(f)


# A LazyGroup (with no lazy subcommands) for its missing-package hint naming the subcommand.
@click.group(cls=LazyGroup)
def collector() -> None:
    """Receive results over MQTT, store them, serve the dashboard."""


@collector.command()
@_db_option
@_broker_option
@click.option("--host", help="Address the web server binds [default: 127.0.0.1].")
@click.option("--port", type=int, help="Web server port [default: 8080].")
@click.pass_context
def serve(ctx: click.Context, db: str | None, broker: str | None, **opts: Any) -> None:
    """Run ingest and the dashboard/API in one process until Ctrl-C."""
    from edgebench.collector.webserver import check_first_login

    flags = {"db": db, "mqtt.url": broker, "host": opts["host"], "port": opts["port"]}
    config = load_for_command(ctx, flags)
    # Before anything starts: no ingest, no listening socket for a refused start.
    hint = check_first_login(config)
    service = start_ingest(config)
    job = start_retention(config)
    try:
        server = make_web_server(config, service)
        click.echo(f"edgebench collector: dashboard {dashboard_url(config)}")
        if hint:
            click.echo(f"edgebench collector: {hint}")
        _serve_until_signal(server.serve_forever, server.shutdown)
    finally:
        job.stop()
        service.stop()


@collector.command()
@_db_option
@_broker_option
@click.option(
    "--workers",
    type=int,
    help="Ingest processes sharing the traffic (MQTT shared subscription) [default: 1].",
)
@click.option(
    "--share-group",
    help="Shared subscription group, to add workers on other machines"
    " [default: edgebench-ingest with --workers > 1].",
)
@click.pass_context
def ingest(ctx: click.Context, db: str | None, broker: str | None, **opts: Any) -> None:
    """Run MQTT ingest only (no web server) until Ctrl-C."""
    flags = {"db": db, "mqtt.url": broker, "ingest_workers": opts["workers"]}
    config = load_for_command(ctx, flags | {"shared_group": opts["share_group"]})
    if config.ingest_workers > 1:
        _ingest_workers(config)
        return
    service = start_ingest(config)
    job = start_retention(config)
    stop = threading.Event()
    try:
        _serve_until_signal(stop.wait, stop.set)
    finally:
        job.stop()
        service.stop()


def _ingest_workers(config: CollectorConfig) -> None:
    """Run ``config.ingest_workers`` ingest processes and the retention job until a signal."""
    from edgebench.collector.ingest.service import database_url
    from edgebench.collector.ingest.workers import IngestWorkers

    workers = IngestWorkers(config)  # refuses a config that cannot work, before starting
    workers.start()
    click.echo(
        f"edgebench collector: {config.ingest_workers} ingest workers (pids "
        f"{' '.join(map(str, workers.pids))}), shared group {config.effective_shared_group},"
        f" broker {config.mqtt.url}, database {database_url(config)}"
    )
    job = start_retention(config)
    stop = threading.Event()
    watcher = threading.Thread(target=workers.watch, args=(stop,), name="edgebench-workers")
    watcher.start()
    try:
        _serve_until_signal(stop.wait, stop.set)
    finally:
        stop.set()
        watcher.join()
        job.stop()
        workers.stop()


@collector.group("db")
def db_group() -> None:
    """Manage the collector database schema."""


@db_group.command("upgrade")
@_db_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, db: str | None, revision: str) -> None:
    """Create or migrate the database schema with Alembic (keeps existing data)."""
    from edgebench.collector import db as dbmod
    from edgebench.collector.ingest.service import database_url

    config = load_for_command(ctx, {"db": db})
    engine = dbmod.make_engine(database_url(config))
    try:
        before = dbmod.current_revision(engine)
        dbmod.upgrade(engine, revision)
        after = dbmod.current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"database {engine.url.render_as_string()}: revision {before} -> {after}")


@collector.group("retention")
def retention_group() -> None:
    """Downsample old raw samples (collector.retention.raw_days)."""


@retention_group.command("run")
@_db_option
@click.option("--dry-run", is_flag=True, help="Only count what would be downsampled.")
@click.pass_context
def retention_run(ctx: click.Context, db: str | None, dry_run: bool) -> None:
    """Turn samples of runs older than raw_days into 1 s aggregates and run summaries."""
    from edgebench.collector import db as dbmod
    from edgebench.collector import retention
    from edgebench.collector.ingest.service import database_url

    full = load_for_command(ctx, {"db": db})
    config = full.retention
    if config.raw_days == 0:
        click.echo("retention: raw_days is 0, raw samples are kept")
        return
    engine = dbmod.make_engine(database_url(full))
    try:
        dbmod.upgrade(engine)
        cutoff = retention.cutoff_for(config)
        if dry_run:
            report = retention.plan(engine, cutoff)
            verb = "would downsample"
        else:
            report = retention.run_pass(engine, cutoff, config.batch_rows)
            verb = f"downsampled in {len(report.batches)} batches:"
    finally:
        engine.dispose()
    click.echo(
        f"retention: {verb} {report.samples} samples of {report.runs} runs"
        f" last updated more than {config.raw_days:g} days ago"
    )


def start_retention(config: CollectorConfig) -> RetentionJob:
    """Start the background retention job on the configured database."""
    from edgebench.collector.ingest.service import database_url
    from edgebench.collector.retention_job import RetentionJob

    job = RetentionJob(database_url(config), config.retention)
    job.start()
    return job


def start_ingest(config: CollectorConfig) -> IngestService:
    """Start ingest (embedded broker if no URL) and say where."""
    from edgebench.collector.ingest.service import IngestService, database_url

    service = IngestService(config)
    service.start()
    kind = "embedded broker" if service.embedded is not None else "broker"
    where = f"{kind} {service.broker_url}, database {database_url(config)}"
    click.echo(f"edgebench collector: {where}")
    return service


def make_web_server(config: CollectorConfig, service: IngestService | None) -> WebServer:
    """Return the app under waitress, bound to the configured address (not serving yet)."""
    from edgebench.collector import create_app
    from edgebench.collector.webserver import WebServer, app_settings

    app = create_app(app_settings(config, service))
    return WebServer(app, config.host, config.port, config.trusted_proxy)


def dashboard_url(config: CollectorConfig) -> str:
    """Return the dashboard's URL as a browser on this machine reaches it."""
    host = _display_host(config)
    return f"http://{f'[{host}]' if ':' in host else host}:{config.port}/"


def _display_host(config: CollectorConfig) -> str:
    return "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host  # noqa: S104


def _serve_until_signal(run: Callable[[], object], shutdown: Callable[[], None]) -> None:
    """Run ``run`` until SIGINT/SIGTERM, then call ``shutdown`` from a helper thread."""

    def handler(_signum: int, _frame: object) -> None:
        threading.Thread(target=shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        run()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _add_account_commands() -> None:
    """Attach ``user``, ``token`` and ``audit`` (defined in usercli) to the group."""
    from edgebench.collector.usercli import audit_command, token_group, user_group

    for command in (user_group, token_group, audit_command):
        collector.add_command(command)


_add_account_commands()
