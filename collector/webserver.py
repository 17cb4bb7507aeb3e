"""The collector's web server: the Flask app under waitress, and who may start it where.

Why waitress: ``collector serve`` runs the web side and ingest (a receiver process, a
writer thread, maybe the embedded broker) in one process, so a fleet of one is one
command. waitress is a pure-Python threaded WSGI server that runs inside that process as
a loop we start and stop like any thread. gunicorn is a forking pre-fork server: its
master process forks workers and owns signals, which conflicts with the ingest threads
and the receiver child already running in the process (threads do not survive a fork,
and each worker would need its own ingest). Werkzeug's server is for development only.

Several web workers: run ingest and the web side as separate processes against one
database. ``edgebench collector ingest`` writes (and upgrades the schema when it
starts); the web side is :func:`wsgi_app`, which reads the same configuration
(``EDGEBENCH_CONFIG`` and ``EDGEBENCH_*`` variables) and never writes the schema::

    export EDGEBENCH_CONFIG=/etc/edgebench/collector.toml
    edgebench collector ingest &
    gunicorn -w 4 -b 127.0.0.1:8080 'edgebench.collector.webserver:wsgi_app()'
    # or: waitress-serve --listen 127.0.0.1:8080 --call edgebench.collector.webserver:wsgi_app

Secure by default: :func:`check_first_login` refuses to serve beyond loopback while the
database has no user, since nobody could log in and a ``public_read`` server would be
open to the network without anyone able to manage it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgebench.shared.errors import ConfigError, EdgebenchError

if TYPE_CHECKING:
    from flask import Flask

    from edgebench.collector.config import CollectorConfig
    from edgebench.collector.ingest.service import IngestService

# What the Server header says (waitress's ident): no server name or version to fingerprint.
SERVER_IDENT = "edgebench"
# Request threads. Each open dashboard holds one for its live-update stream (SSE, up to
# live.STREAM_MAX_S), so a handful of tabs must not use them all up.
WEB_THREADS = 32
# Headers trusted from `trusted_proxy` (a reverse proxy that terminates TLS).
PROXY_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host"})
FIRST_ADMIN = "edgebench collector user add NAME --role admin"


def app_settings(config: CollectorConfig, service: IngestService | None) -> dict[str, Any]:
    """Return the create_app settings for ``config`` (ingest counters from ``service``)."""
    from edgebench.collector.ingest.service import database_url

    return {
        "DATABASE": database_url(config),
        # With ingest in the process, ingest upgrades the schema; a web-only process
        # (wsgi_app) never does, so several workers cannot race on it.
        "AUTO_UPGRADE": False,
        "INGEST": service,
        "PUBLIC_READ": config.public_read,
        "PUBLIC_METRICS": config.public_metrics,
        "SESSION_HOURS": config.session_hours,
        "SECRET_KEY_FILE": config.secret_key_file,
        "MAX_MODEL_MB": config.max_model_mb,
        "MODEL_DIR": config.model_dir,
        "CAMPAIGN_TIMEZONE": config.campaigns.timezone,
    }


def wsgi_app() -> Flask:
    """Return the app for an external WSGI server, configured like ``collector serve``."""
    from edgebench.collector import create_app
    from edgebench.collector.config import load_collector_config

    config_file = os.environ.get("EDGEBENCH_CONFIG")
    config = load_collector_config(Path(config_file) if config_file else None)
    return create_app(app_settings(config, None))


def is_loopback(host: str) -> bool:
    """Return whether binding ``host`` reaches only this machine (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # another host name, or "" (every interface)
        return False


def check_first_login(config: CollectorConfig) -> str | None:
    """Refuse to serve beyond loopback with no user; on loopback return a hint line.

    Returns None when a user exists. Reads the database without changing its schema:
    a database that has no users table yet has no users.
    """
    import sqlalchemy as sa

    from edgebench.collector.ingest.service import database_url

    url = database_url(config)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:  # make_engine says what is wrong with it
        parsed = None
    database = "" if parsed is None else parsed.database or ""
    sqlite = parsed is not None and parsed.get_backend_name() == "sqlite"
    if sqlite and database and database != ":memory:" and not Path(database).exists():
        users = False  # a SQLite file that does not exist yet: refuse without creating it
    else:
        users = _has_users(url)
    if users:
        return None
    if not is_loopback(config.host):
        raise EdgebenchError(
            f"refusing to serve on {config.host or 'every interface'} with no user to log in:"
            f" create the first admin with `{FIRST_ADMIN}` (or bind 127.0.0.1)"
        )
    return f"no login exists yet: create one with `{FIRST_ADMIN}`"


def _has_users(url: str) -> bool:
    """Return whether the database at ``url`` has a user (no users table: none)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from edgebench.collector import db
    from edgebench.collector.accounts import has_users

    engine = db.make_engine(url)
    try:
        if not sa.inspect(engine).has_table("users"):
            users = False
        else:
            with Session(engine) as session:
                users = has_users(session)
    except sa.exc.SQLAlchemyError as exc:
        raise EdgebenchError(f"database {url}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    return users


class WebServer:
    """The app under waitress: bound at construction, served until :meth:`shutdown`."""

    def __init__(self, app: Flask, host: str, port: int, trusted_proxy: str = "") -> None:
        """Bind ``host:port`` (one-line EdgebenchError if that fails); serve nothing yet."""
        from waitress.server import create_server

        proxy: dict[str, Any] = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": set(PROXY_HEADERS),
                "clear_untrusted_proxy_headers": True,
            }
        self._app = app
        self._map: dict[int, Any] = {}
        self._stop = threading.Event()
        self._running = threading.Event()
        self._stopped = threading.Event()
        try:
            self._server = create_server(
                app,
                map=self._map,
                host=host,
                port=port,
                ident=SERVER_IDENT,
                threads=WEB_THREADS,
                **proxy,
            )
        except OSError as exc:
            raise EdgebenchError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose --port"
            ) from None
        except ValueError as exc:  # waitress's message for a bad address or proxy setting
            raise ConfigError(f"web server: {exc}") from None

    @property
    def port(self) -> int:
        """The port bound (the one the system chose when asked for port 0)."""
        server = self._server
        if hasattr(server, "effective_port"):
            return int(server.effective_port)
        return int(server.effective_listen[0][1])  # several sockets (e.g. "localhost")

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown`, then end the request threads."""
        from waitress import wasyncore

        adj = self._server.adj
        self._running.set()
        try:
            while not self._stop.is_set():
                wasyncore.loop(
                    timeout=adj.asyncore_loop_timeout,
                    map=self._map,
                    use_poll=adj.asyncore_use_poll,
                    count=1,
                )
        finally:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(self._map)
            self._stopped.set()

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop serving (from any thread) and wait until the loop has ended."""
        self._stop.set()
        self._close_live_streams()
        if not self._running.is_set():  # never served: just release the sockets
            from waitress import wasyncore

            wasyncore.close_all(self._map)
            self._server.task_dispatcher.shutdown()
            return
        # Wake the loop from its poll; it closes the sockets in its own thread.
        for channel in list(self._map.values()):
            if hasattr(channel, "pull_trigger"):
                # A closed trigger (EBADF) means the loop is already closing its sockets.
                with contextlib.suppress(OSError):
                    channel.pull_trigger()
                break
        self._stopped.wait(timeout_s)

    def _close_live_streams(self) -> None:
        """End the app's live-update streams, which would hold request threads open."""
        from edgebench.collector.live import LiveHub

        for extension in list(self._app.extensions.values()):
            if isinstance(extension, LiveHub):
                extension.close()
