"""Login attempts are limited per account name and per client address (Flask-Limiter).

Only failed attempts count: five wrong passwords within any minute (a moving window) for
one submitted name, or from one address, and the next attempt for that name or from that
address is answered 429 until the window moves on, whatever password it carries. The
answer is the same whether the name exists or not, and the refused attempt is audited.

Counters live in the web process's memory (``memory://``): they reset on restart and are
per process. That suits ``collector serve`` (one web process); several workers would each
allow the limit, which multiplies it by their number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, render_template, request
from flask_limiter import Limiter

from edgebench.collector.auth.identity import client_address, record_event
from edgebench.collector.db import get_session

if TYPE_CHECKING:
    from flask import Flask, Response
    from flask_limiter import RequestLimit

LOGIN_LIMIT = "5 per minute"
LOGIN_ENDPOINT = "auth.login"
NAME_FIELD = "username"
TOO_MANY = "Too many failed logins. Wait a minute, then try again."


def submitted_name() -> str:
    """Return the account name a login form submitted (bounded, as typed)."""
    return request.form.get(NAME_FIELD, "")[:64]


def _name_key() -> str:
    # Case folded: "Admin" and "admin" share one budget even though only one can exist.
    return "name:" + submitted_name().casefold()


def _address_key() -> str:
    return "addr:" + (client_address() or "unknown")


def _failed(response: Response) -> bool:
    """Count an attempt only when the password was wrong."""
    return response.status_code == 401


def _breached(_limit: RequestLimit) -> Response:
    """Record the refused attempt and answer with the login page and 429."""
    session = get_session()
    name = submitted_name()
    record_event(
        session,
        action="login",
        outcome="denied",
        target=name or None,
        detail={"reason": "rate limited"},
        actor="anonymous",
    )
    session.commit()
    html = render_template(
        "auth/login.html", error=TOO_MANY, name=name, next=request.form.get("next", "")
    )
    return current_app.response_class(html, status=429)


def init_app(app: Flask) -> None:
    """Give the app its own limiter and put both login limits on the login view."""
    limiter = Limiter(
        key_func=_address_key,
        app=app,
        storage_uri="memory://",
        strategy="moving-window",
        default_limits=[],
    )
    view = app.view_functions[LOGIN_ENDPOINT]
    for key in (_name_key, _address_key):
        view = limiter.limit(
            LOGIN_LIMIT,
            key_func=key,
            methods=["POST"],
            deduct_when=_failed,
            on_breach=_breached,
        )(view)
    app.view_functions[LOGIN_ENDPOINT] = view
