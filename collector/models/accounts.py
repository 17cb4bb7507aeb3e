"""The server's accounts: users, their API tokens, boards' device tokens, the audit log.

Secrets are never stored: passwords as argon2id hashes, tokens as the SHA-256 of their
secret (``collector/accounts.py``, ``tokens.py``, ``devicetokens.py``, ``audit.py``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from edgebench.collector.models.base import (
    TABLE_API_TOKENS,
    TABLE_AUDIT,
    TABLE_DEVICE_TOKENS,
    TABLE_USERS,
    Base,
    JSONType,
)


class User(Base):
    """A person who uses the dashboard or API, with one role (``collector/accounts.py``)."""

    __tablename__ = TABLE_USERS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # argon2id in PHC string form (argon2-cffi); never the password itself.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    # Part of the browser session's identity: changing it (new password, new role,
    # "log out everywhere") ends every session the user has open.
    session_nonce: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[float] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"User({self.name!r}, role={self.role!r})"


class ApiToken(Base):
    """A bearer token for scripts: stored as the SHA-256 of its secret, shown once."""

    __tablename__ = TABLE_API_TOKENS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey(f"{TABLE_USERS}.id", ondelete="CASCADE"), index=True
    )
    # The token's public part ("ebt_" + 8 characters): names it in lists and logs.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # A token is 32 random bytes, so a fast hash is enough (no guessing to slow down).
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[float] = mapped_column(sa.Double)
    expires_at: Mapped[float | None] = mapped_column(sa.Double)
    revoked_at: Mapped[float | None] = mapped_column(sa.Double)
    last_used_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"ApiToken({self.prefix!r}, scope={self.scope!r})"


class AuditEvent(Base):
    """Who did what, when and from where: logins, account changes, state changes."""

    __tablename__ = TABLE_AUDIT

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(sa.Double, index=True)
    # A user name, "token ebt_xxxxxxxx (user)", "cli (unix-user)" or "anonymous".
    actor: Mapped[str] = mapped_column(sa.String(160))
    # Client address for web requests, the host name for the command line.
    address: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(255))
    # "ok", "denied" or "failed".
    outcome: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"AuditEvent({self.action!r}, actor={self.actor!r}, outcome={self.outcome!r})"


class DeviceToken(Base):
    """A board's credential for the model store: stored as the SHA-256 of its secret.

    Not a user's token: it belongs to a device id, has no role, and opens only the model
    store's reads (``collector/devicetokens.py``, ``auth/access.py``).
    """

    __tablename__ = TABLE_DEVICE_TOKENS

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # No foreign key: a token is made before the board has ever connected.
    device_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    # "ebd_" + 8 characters, in clear: names the token in lists and the audit log.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[float] = mapped_column(sa.Double)
    revoked_at: Mapped[float | None] = mapped_column(sa.Double)
    last_used_at: Mapped[float | None] = mapped_column(sa.Double)

    def __repr__(self) -> str:
        """Return a short representation for debugging."""
        return f"DeviceToken({self.prefix!r}, device={self.device_id!r})"
