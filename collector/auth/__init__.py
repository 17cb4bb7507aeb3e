"""Web access control: logins, API tokens, roles, CSRF, login rate limits, security headers.

One job per module: ``sessions`` (signing key, cookie flags, lifetime, Secure over TLS),
``identity`` (who is asking: session, bearer token or nobody; audit records by them),
``access`` (the guard every request passes and the marks views carry), ``ratelimit``
(failed logins per name and per address), ``headers`` (security headers on every
response) and ``views`` (the login and logout pages). :func:`init_app` wires them into
the app in that order; the storage layer (``accounts``, ``tokens``, ``audit``) never
imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint

if TYPE_CHECKING:
    from flask import Flask

bp = Blueprint("auth", __name__)

# Imported for their side effect: they register views on ``bp``.
from edgebench.collector.auth import views  # noqa: E402, F401


def init_app(app: Flask) -> None:
    """Attach sessions, logins, CSRF, the access guard, login limits and headers to ``app``."""
    from flask_wtf.csrf import CSRFError, CSRFProtect

    from edgebench.collector.auth import access, headers, identity, ratelimit, sessions

    sessions.init_app(app)
    identity.init_app(app)
    # CSRF is checked by the guard, after authentication, so that a request a bearer
    # token authenticates (which no other site's page can send) is exempt.
    app.config.update(WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    CSRFProtect(app)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_blueprint(bp)
    app.before_request(access.guard)
    ratelimit.init_app(app)
    headers.init_app(app)


def _csrf_error(exc: Exception) -> object:
    """Answer a missing or wrong CSRF token with 400 (JSON for scripts, a page otherwise)."""
    from edgebench.collector.auth.access import error_response

    return error_response(400, f"{exc.description}; reload the page and try again")  # type: ignore[attr-defined]
