"""Who is making this request: a browser session, a bearer token, or nobody.

Flask-Login holds the answer as ``current_user``. A browser session stores
``"<user id>:<session nonce>"``; the nonce changes when the user's password or role
changes, so every session they had open ends then. Scripts send ``Authorization: Bearer
TOKEN``; a request that presents a token is judged by the token alone (a session cookie
beside it is ignored), and gets the lower of the token's scope and its user's role.
A board's device token (``ebd_...``, ``collector/devicetokens.py``) makes a
:class:`DeviceRequester`: no user and no role, so the guard lets it through only to the
views marked ``devices=True`` (the model store's reads).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from flask import request
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user

from edgebench.collector import audit, devicetokens, tokens
from edgebench.collector.db import get_session
from edgebench.collector.models import User

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from edgebench.collector.roles import Role


class WebUser(UserMixin):
    """A signed-in user (by session) or a token's user, with what this request may do."""

    def __init__(self, user: User, role: Role, token_prefix: str | None = None) -> None:
        self.user_id = user.id
        self.name = user.name
        # The user's own role, and what this request may do (lower for a `read` token).
        self.user_role = user.role
        self.role = role
        self.token_prefix = token_prefix
        self._nonce = user.session_nonce

    def get_id(self) -> str:
        """Return what the session stores: the user's id and current session nonce."""
        return f"{self.user_id}:{self._nonce}"

    @property
    def via_token(self) -> bool:
        """Return whether a bearer token (not a browser session) authenticated the request."""
        return self.token_prefix is not None

    @property
    def actor(self) -> str:
        """Return how the audit log names this requester."""
        if self.token_prefix is None:
            return self.name
        return f"token {self.token_prefix} ({self.name})"


class DeviceRequester(UserMixin):
    """A board presenting its device token: may read the model store, nothing else."""

    # No role and no user: every role check fails, so only ``devices=True`` views open.
    role = None
    user_role = None
    via_token = True

    def __init__(self, device_id: str, token_prefix: str) -> None:
        self.device_id = device_id
        self.token_prefix = token_prefix
        self.name = f"device {device_id}"

    def get_id(self) -> str | None:
        """Return None: a device never holds a browser session."""
        return None

    @property
    def actor(self) -> str:
        """Return how the audit log names this requester."""
        return f"device token {self.token_prefix} ({self.device_id})"


class Anonymous(AnonymousUserMixin):
    """Nobody signed in and no token: may read only where ``public_read`` allows it."""

    name = None
    role = None
    user_role = None
    token_prefix = None
    via_token = False
    actor = "anonymous"


def bearer_token() -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, else None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def load_session_user(session_id: str) -> WebUser | None:
    """Return the user a browser session names, if their nonce still matches."""
    if bearer_token() is not None:
        return None  # a presented token decides alone (see the module docstring)
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_nonce, nonce):
        return None
    return WebUser(user, user.role)  # type: ignore[arg-type]


def load_token_user(_request: Any) -> WebUser | DeviceRequester | None:
    """Return the user (or device) of a valid (active, unexpired) bearer token, else None."""
    text = bearer_token()
    if text is None:
        return None
    session = get_session()
    if devicetokens.is_device_token(text):
        device_token = devicetokens.resolve_device_token(session, text)
        if device_token is None:
            return None
        requester = DeviceRequester(device_token.device_id, device_token.prefix)
        if session.dirty:  # the token's last_used_at, when it moved
            session.commit()
        return requester
    found = tokens.resolve_token(session, text)
    if found is None:
        return None
    token, user = found
    web_user = WebUser(user, tokens.effective_role(token, user), token.prefix)
    if session.dirty:  # the token's last_used_at, when it moved
        session.commit()
    return web_user


def client_address() -> str | None:
    """Return the client's address (a proxy's, unless ``collector.trusted_proxy`` names it)."""
    return request.remote_addr


def record_event(
    session: Session,
    *,
    action: str,
    outcome: audit.Outcome = "ok",
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Add an audit event by this request's requester and address (caller commits)."""
    audit.record(
        session,
        actor=actor or current_user.actor,
        action=action,
        outcome=outcome,
        target=target,
        address=client_address(),
        detail=detail,
    )


def init_app(app: Flask) -> None:
    """Attach Flask-Login with the session and bearer-token loaders."""
    manager = LoginManager(app)
    manager.anonymous_user = Anonymous
    manager.user_loader(load_session_user)
    manager.request_loader(load_token_user)
