"""Who may call what: one guard before every request, fed by marks on the views.

A view is public (``@public``: the login page, /healthz, static files), or needs a role
(``@requires("operator")``). Unmarked views need ``viewer``: any signed-in user or valid
token. Anonymous requests may read (GET/HEAD/OPTIONS) only where the app allows it:
``PUBLIC_READ`` for the dashboard and the API, ``PUBLIC_METRICS`` for /metrics.

Order of the checks: authentication (401, or a redirect to the login page for a page),
then CSRF for requests that a browser's cookie authenticates (400), then the role (403,
audited). ``operator`` compares the request's effective role (a ``read`` token never
operates); ``admin`` needs a user whose own role is admin, and to change anything also
the right to operate. A board's device token passes only views marked
``devices=True`` (the model store's reads), and only to read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from edgebench.collector.auth.identity import record_event
from edgebench.collector.db import get_session
from edgebench.collector.roles import role_allows

if TYPE_CHECKING:
    from flask import Response

    from edgebench.collector.roles import Role

View = TypeVar("View", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS_ATTR = "edgebench_access"
# Requests answered as JSON (scripts), not with the login page.
API_PREFIX = "/api"
SCRIPT_PATHS = ("/metrics",)


@dataclass(frozen=True)
class Access:
    """What a view needs: a role (None = public) and the setting that opens it to reading."""

    role: Role | None
    anonymous_if: str | None = None
    action: str | None = None
    # Whether a board's device token may read this view (the model store's reads only).
    devices: bool = False


PUBLIC = Access(None)
READ = Access("viewer", anonymous_if="PUBLIC_READ")


def public(view: View) -> View:
    """Mark a view as open to everyone (CSRF still applies to its POSTs)."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def requires(
    role: Role,
    *,
    action: str | None = None,
    anonymous_if: str | None = "PUBLIC_READ",
    devices: bool = False,
) -> Callable[[View], View]:
    """Mark a view as needing ``role``; ``action`` names it in the audit log when refused.

    ``devices=True`` also lets a board's device token read it (GET/HEAD only).
    """

    def mark(view: View) -> View:
        opened = anonymous_if if role == "viewer" else None
        access = Access(role, anonymous_if=opened, action=action, devices=devices)
        setattr(view, ACCESS_ATTR, access)
        return view

    return mark


def access_of(endpoint: str | None) -> Access:
    """Return what the view behind ``endpoint`` needs (unknown paths: ``viewer``)."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, ACCESS_ATTR, READ)


def allows(user: Any, access: Access, method: str) -> bool:
    """Return whether an authenticated requester may call a view with ``method``."""
    if access.role is None:
        return True
    if getattr(user, "device_id", None) is not None:  # a board's device token
        return access.devices and method in SAFE_METHODS
    if access.role == "admin":
        changes = method not in SAFE_METHODS
        return user.user_role == "admin" and (not changes or role_allows(user.role, "operator"))
    return role_allows(user.role, access.role)


def wants_json() -> bool:
    """Return whether this request is a script's (the API, /metrics), not a page's."""
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/") or path in SCRIPT_PATHS


def error_response(code: int, message: str) -> Response:
    """Return a JSON error for scripts, the error page for browsers."""
    from werkzeug.http import HTTP_STATUS_CODES

    if wants_json():
        body = {"error": HTTP_STATUS_CODES[code], "message": message}
        return current_app.response_class(
            current_app.json.dumps(body), status=code, mimetype="application/json"
        )
    html = render_template("dashboard/error.html", code=code, message=message)
    return current_app.response_class(html, status=code)


def unauthenticated() -> Response:
    """Answer a request without valid credentials: 401 for scripts, the login page for people."""
    if not wants_json():
        here = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=here))  # type: ignore[return-value]
    response = error_response(401, "log in, or send an API token as 'Authorization: Bearer TOKEN'")
    response.headers["WWW-Authenticate"] = 'Bearer realm="edgebench"'
    return response


def forbidden(access: Access) -> Response:
    """Refuse a request whose requester lacks the role, and record the attempt."""
    session = get_session()
    record_event(
        session,
        action=access.action or f"{request.method} {request.path}",
        outcome="denied",
        target=request.path,
        detail={"needs": access.role, "role": current_user.role},
    )
    session.commit()
    return error_response(403, f"this needs the {access.role} role")


def check_csrf() -> None:
    """Refuse (400) a state-changing request a cookie authenticates without a CSRF token."""
    if request.method in SAFE_METHODS or current_user.via_token:
        return  # a script's bearer header cannot be sent by another site's page
    current_app.extensions["csrf"].protect()


def guard() -> Response | None:
    """Before every request: let it through, or answer 401/302, 400 (CSRF) or 403."""
    access = access_of(request.endpoint)
    if access.role is None:
        check_csrf()
        return None
    if not current_user.is_authenticated:
        opened = access.anonymous_if and current_app.config.get(access.anonymous_if)
        if opened and request.method in SAFE_METHODS:
            return None
        return unauthenticated()
    check_csrf()
    if allows(current_user, access, request.method):
        return None
    return forbidden(access)
