"""The edgebench collector: MQTT ingest, storage, dashboard and JSON API.

:func:`create_app` is the Flask application factory in the flaskr shape. The web side
only reads the database; ingest (``collector/ingest``) writes it, in the same process
(``collector serve``) or another one (``collector ingest``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the collector's Flask app.

    ``test_config`` (tests, and the CLI with its resolved settings) overrides the
    defaults and the instance ``config.py``. Keys: ``DATABASE`` (SQLAlchemy URL),
    ``AUTO_UPGRADE`` (run Alembic on start), ``INGEST`` (a running IngestService whose
    counters /healthz and /metrics report), ``DASHBOARD_USERNAME``/``DASHBOARD_PASSWORD``
    (basic auth).
    """
    from flask import Flask

    from edgebench.collector import db

    app = Flask(__name__, instance_path=str(db.instance_path()), instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=db.default_url(Path(app.instance_path)),
        AUTO_UPGRADE=True,
        INGEST=None,
        DASHBOARD_USERNAME=None,
        DASHBOARD_PASSWORD=None,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    if app.config["DATABASE"] == db.default_url(Path(app.instance_path)):
        # Only the default SQLite file lives in the instance folder; with a configured
        # database the folder may be unwritable (a root-owned venv) and is not needed.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    _register(app)
    return app


def _register(app: Flask) -> None:
    """Attach blueprints, /healthz, /metrics and (if configured) basic auth."""
    from edgebench.collector.api import bp as api_bp
    from edgebench.collector.dashboard import bp as dashboard_bp
    from edgebench.collector.metrics import bp as metrics_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(metrics_bp)
    app.add_url_rule("/healthz", "healthz", _healthz)
    if app.config.get("DASHBOARD_USERNAME"):
        app.before_request(_require_basic_auth)


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


def _require_basic_auth() -> Response | None:
    """Answer 401 unless the request carries the configured credentials (not /healthz)."""
    from flask import current_app, request

    if request.path == "/healthz":
        return None
    auth = request.authorization
    expected_user = str(current_app.config["DASHBOARD_USERNAME"])
    expected_password = str(current_app.config["DASHBOARD_PASSWORD"] or "")
    if (
        auth is not None
        and auth.type == "basic"
        and hmac.compare_digest((auth.username or "").encode(), expected_user.encode())
        and hmac.compare_digest((auth.password or "").encode(), expected_password.encode())
    ):
        return None
    response = current_app.response_class(
        '{"error": "Unauthorized"}', status=401, mimetype="application/json"
    )
    response.headers["WWW-Authenticate"] = 'Basic realm="edgebench"'
    return response
