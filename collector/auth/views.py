"""The login page (``GET/POST /login``) and logout (``POST /logout``).

A wrong name and a wrong password get the same 401 page and message, and cost the same
time (``accounts.authenticate``), so the page never tells which names exist. A login
starts from an empty session (nothing chosen before it survives it) that lasts
``SESSION_HOURS`` from its last use. Logout is a POST with a CSRF token, never a GET, so
another site cannot sign a user out with a link or an image.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from edgebench.collector import accounts
from edgebench.collector.auth import bp
from edgebench.collector.auth.access import public
from edgebench.collector.auth.identity import WebUser, record_event
from edgebench.collector.auth.ratelimit import submitted_name
from edgebench.collector.db import get_session

WRONG = "Wrong user name or password."


def safe_next(value: str | None) -> str:
    """Return ``value`` if it is a path on this site, else ``/`` (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return value


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | tuple[str, int] | Response:
    """Show the login form; check a submitted name and password."""
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_path, name="")
    name = submitted_name()
    db = get_session()
    user = accounts.authenticate(db, name, request.form.get("password", ""))
    if user is None:
        record_event(db, action="login", outcome="failed", target=name or None, actor="anonymous")
        db.commit()
        return render_template("auth/login.html", error=WRONG, name=name, next=next_path), 401
    web_user = WebUser(user, user.role)  # type: ignore[arg-type]
    record_event(db, action="login", target=user.name, actor=user.name)
    db.commit()  # with a password hash argon2 asked to refresh
    session.clear()
    login_user(web_user)
    session.permanent = True
    return redirect(next_path)


@bp.post("/logout")
@public
def logout() -> Response:
    """End this browser's session and go to the login page."""
    if current_user.is_authenticated:
        db = get_session()
        record_event(db, action="logout", target=current_user.name)
        db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)
