"""API tokens: created for a user with a scope, shown once, stored as a hash, revocable.

A token reads ``ebt_<prefix>_<secret>``. The prefix (``ebt_`` and 8 characters) is
stored in clear to name the token in lists and the audit log; the whole token is stored
only as its SHA-256 and compared in constant time. What a token may do is the lower of
its scope and its user's role (``effective_role``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from edgebench.collector.accounts import AccountError, get_user
from edgebench.collector.models import ApiToken, User
from edgebench.collector.roles import SCOPE_ROLE, SCOPES, Role, role_allows

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

TOKEN_PREFIX = "ebt_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_EXPIRY_DAYS = 3650
LAST_USED_RESOLUTION_S = 60.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user_name: str, scope: str, expires_days: float | None = None
) -> tuple[str, ApiToken]:
    """Create a token (flushed, not committed); return its text, shown only this once."""
    user = get_user(session, user_name)
    if scope not in SCOPES:
        raise AccountError(f"scope: {scope!r} is not one of {', '.join(SCOPES)}")
    if not role_allows(user.role, SCOPE_ROLE[scope]):
        raise AccountError(f"{user.name!r} is a {user.role}: a token cannot do more than its user")
    if expires_days is not None and not 0 < expires_days <= MAX_EXPIRY_DAYS:
        raise AccountError(f"expires: give 1-{MAX_EXPIRY_DAYS} days (or leave it out)")
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    text = f"{prefix}_{secrets.token_urlsafe(32)}"
    now = time.time()
    token = ApiToken(
        user_id=user.id,
        prefix=prefix,
        secret_sha256=_digest(text),
        scope=scope,
        created_at=now,
        expires_at=None if expires_days is None else now + expires_days * 86_400,
    )
    session.add(token)
    session.flush()
    return text, token


def list_tokens(session: Session) -> Sequence[tuple[ApiToken, str]]:
    """Return every token with its user's name, newest first (never the secret)."""
    stmt = (
        sa.select(ApiToken, User.name)
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc())
    )
    return [(token, name) for token, name in session.execute(stmt).all()]


def revoke_token(session: Session, prefix: str) -> ApiToken:
    """Mark the token with this prefix revoked (kept for the record)."""
    token = session.scalars(sa.select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if token is None:
        raise AccountError(f"no token {prefix!r}; `edgebench collector token list` shows them")
    if token.revoked_at is None:
        token.revoked_at = time.time()
    return token


def token_state(token: ApiToken, now: float | None = None) -> str:
    """Return "active", "revoked" or "expired"."""
    now = time.time() if now is None else now
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def resolve_token(session: Session, text: str) -> tuple[ApiToken, User] | None:
    """Return the active token and its user for a presented token, else None."""
    # The secret may contain "_" too, so the prefix is cut by its known length.
    prefix = text[:PREFIX_LENGTH]
    if not prefix.startswith(TOKEN_PREFIX) or text[PREFIX_LENGTH : PREFIX_LENGTH + 1] != "_":
        return None
    row = session.execute(
        sa.select(ApiToken, User).join(User).where(ApiToken.prefix == prefix)
    ).first()
    if row is None:
        return None
    token, user = row
    if not hmac.compare_digest(token.secret_sha256, _digest(text)):
        return None
    if token_state(token) != "active":
        return None
    now = time.time()
    # Record use at most once a minute: every API call would otherwise be a write
    # transaction competing with ingest for the database.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION_S:
        token.last_used_at = now
    return token, user


def effective_role(token: ApiToken, user: User) -> Role:
    """Return what the token may do: the lower of its scope and its user's role."""
    scope_role = SCOPE_ROLE[token.scope]
    return scope_role if role_allows(user.role, scope_role) else user.role  # type: ignore[return-value]
