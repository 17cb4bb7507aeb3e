"""The edgebench collector: MQTT ingest, storage, dashboard and JSON API.

:func:`create_app` is the Flask application factory in the flaskr shape. The web side
reads the database and changes it only through audited operator actions; ingest
(``collector/ingest``) writes it, in the same process (``collector serve``) or another
one (``collector ingest``). Access control (logins, tokens, roles, CSRF, rate limits,
security headers) is ``collector/auth``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# Settings of the old basic auth: refused, because they would silently protect nothing.
REMOVED_SETTINGS = ("DASHBOARD_USERNAME", "DASHBOARD_PASSWORD")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the collector's Flask app.

    ``test_config`` (tests, and the CLI with its resolved settings) overrides the
    defaults and the instance ``config.py``. Keys: ``DATABASE`` (SQLAlchemy URL),
    ``AUTO_UPGRADE`` (run Alembic on start), ``INGEST`` (a running IngestService whose
    counters /healthz and /metrics report), ``PUBLIC_READ`` and ``PUBLIC_METRICS``
    (anonymous reading), ``SESSION_HOURS`` (browser login lifetime from last use),
    ``SECRET_KEY`` or ``SECRET_KEY_FILE`` (session signing key; default
    ``<instance>/secret_key``), ``MAX_MODEL_MB`` and ``MODEL_DIR`` (the model store's
    upload limit and folder; default ``<instance>/models``), ``CAMPAIGN_TIMEZONE`` (daily
    campaigns' time zone, empty: this machine's). A trusted reverse proxy is the web
    server's business (``collector/webserver.py``), not the app's.
    """
    from flask import Flask

    from edgebench.collector import db
    from edgebench.collector.config import CollectorConfig
    from edgebench.shared.errors import EdgebenchError

    app = Flask(__name__, instance_path=str(db.instance_path()), instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=db.default_url(Path(app.instance_path)),
        AUTO_UPGRADE=True,
        INGEST=None,
        PUBLIC_READ=False,
        PUBLIC_METRICS=False,
        SESSION_HOURS=12.0,
        SECRET_KEY=None,
        SECRET_KEY_FILE=None,
        MAX_MODEL_MB=64.0,
        MODEL_DIR=None,
        CAMPAIGN_TIMEZONE="",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    for key in REMOVED_SETTINGS:
        if app.config.get(key) is not None:
            raise EdgebenchError(f"{key}: {CollectorConfig.REMOVED[key.lower()]}")
    if app.config["DATABASE"] == db.default_url(Path(app.instance_path)):
        # Only the default SQLite file lives in the instance folder; with a configured
        # database the folder may be unwritable (a root-owned venv) and is not needed.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _configure_model_store(app)
    db.init_app(app)
    _register(app)
    return app


def _configure_model_store(app: Flask) -> None:
    """Resolve the model store's folder and cap request bodies at the upload limit.

    Werkzeug refuses (413) a body whose Content-Length is over MAX_CONTENT_LENGTH before
    reading it, and stops a chunked one as soon as it passes; the slack is the multipart
    envelope around the file, whose own size ``webargs.uploaded_model`` checks exactly.
    """
    from edgebench.collector.modelstore import UPLOAD_SLACK_BYTES, limit_bytes

    if not app.config["MODEL_DIR"]:
        app.config["MODEL_DIR"] = Path(app.instance_path) / "models"
    app.config["MODEL_DIR"] = Path(app.config["MODEL_DIR"])
    if app.config["MAX_CONTENT_LENGTH"] is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = (
            limit_bytes(app.config["MAX_MODEL_MB"]) + UPLOAD_SLACK_BYTES
        )


def _register(app: Flask) -> None:
    """Attach access control, the blueprints, /healthz and /metrics."""
    from edgebench.collector import auth
    from edgebench.collector.api import bp as api_bp
    from edgebench.collector.auth.access import public
    from edgebench.collector.dashboard import bp as dashboard_bp
    from edgebench.collector.metrics import bp as metrics_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(metrics_bp)
    app.add_url_rule("/healthz", "healthz", public(_healthz))
    auth.init_app(app)


def _healthz() -> tuple[dict[str, Any], int]:
    """Liveness and ingest counters: 200 when the database answers (and ingest runs)."""
    import sqlalchemy as sa
    from flask import current_app

    from edgebench.collector.db import get_session

    body: dict[str, Any] = {"status": "ok"}
    try:
        get_session().execute(sa.text("SELECT 1"))
        body["database"] = "ok"
    except sa.exc.SQLAlchemyError as exc:
        body |= {"status": "error", "database": str(exc).splitlines()[0]}
    ingest = current_app.config.get("INGEST")
    if ingest is not None:
        body["ingest"] = ingest.health()
        if not body["ingest"]["writer_alive"]:
            body["status"] = "error"
    return body, 200 if body["status"] == "ok" else 503
