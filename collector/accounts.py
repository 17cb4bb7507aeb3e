"""Users of the collector: roles, argon2 password hashes, and the account operations.

Storage layer (no Flask): the command line (``collector user ...``), the login page and
the API all go through these functions. Each takes an open SQLAlchemy session and leaves
the commit to the caller, so an account change and its audit record commit together.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edgebench.collector.models import User
from edgebench.collector.roles import ROLES, Role
from edgebench.shared.errors import EdgebenchError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; this bounds the work per attempt


class AccountError(EdgebenchError):
    """An account operation cannot be done (unknown user, bad name or password, ...)."""


# argon2-cffi's defaults: RFC 9106's low-memory profile (argon2id, 64 MiB, t=3).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` after checking its length."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password: use at most {MAX_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def generate_password() -> str:
    """Return a random password (20 URL-safe characters, about 120 bits)."""
    return secrets.token_urlsafe(15)


def check_role(role: str) -> Role:
    """Return ``role`` if it is one of ROLES, else raise AccountError naming them."""
    if role not in ROLES:
        raise AccountError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def has_users(session: Session) -> bool:
    """Return whether at least one user exists (the server's start-up check)."""
    return session.execute(sa.select(User.id).limit(1)).first() is not None


def get_user(session: Session, name: str) -> User:
    """Return the user called ``name`` or raise AccountError."""
    user = session.scalars(sa.select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(f"no user {name!r}; `edgebench collector user list` shows them")
    return user


def list_users(session: Session) -> Sequence[User]:
    """Return every user, by name."""
    return session.scalars(sa.select(User).order_by(User.name)).all()


def add_user(session: Session, name: str, password: str, role: str) -> User:
    """Create a user (flushed, not committed)."""
    if not NAME_RE.match(name):
        raise AccountError(
            f"name: {name!r} is not a user name (1-64 letters, digits, '.', '_', '@', '-')"
        )
    if session.scalars(sa.select(User.id).where(User.name == name)).first() is not None:
        raise AccountError(f"user {name!r} exists; change it with `user set-role`/`set-password`")
    user = User(
        name=name,
        password_hash=hash_password(password),
        role=check_role(role),
        session_nonce=secrets.token_hex(16),
        created_at=time.time(),
    )
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, name: str, role: str) -> User:
    """Change a user's role; their browser sessions end (they log in again)."""
    user = get_user(session, name)
    _keep_an_admin(session, user, new_role=check_role(role))
    user.role = role
    user.session_nonce = secrets.token_hex(16)
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """Change a user's password; their browser sessions end."""
    user = get_user(session, name)
    user.password_hash = hash_password(password)
    user.session_nonce = secrets.token_hex(16)
    return user


def delete_user(session: Session, name: str) -> None:
    """Delete a user with their tokens (the audit log keeps their name)."""
    user = get_user(session, name)
    _keep_an_admin(session, user, new_role=None)
    session.delete(user)
    session.flush()


def _keep_an_admin(session: Session, user: User, new_role: str | None) -> None:
    """Refuse to remove the last admin: nobody could manage accounts afterwards."""
    if user.role != "admin" or new_role == "admin":
        return
    admins = session.scalar(sa.select(sa.func.count()).where(User.role == "admin"))
    if admins == 1:
        raise AccountError(f"{user.name!r} is the only admin; make another admin first")


# A real hash of a random password: verifying against it when the user does not exist
# costs what a real check costs, so timing does not reveal which names exist.
_DUMMY_HASH: str | None = None


def authenticate(session: Session, name: str, password: str) -> User | None:
    """Return the user if ``password`` is theirs, else None (same cost either way)."""
    global _DUMMY_HASH  # noqa: PLW0603 - computed once, on first use
    hasher = _HASHER
    user = session.scalars(sa.select(User).where(User.name == name)).first()
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hasher.hash(generate_password())
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user
