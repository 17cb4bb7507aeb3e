"""Device tokens: a board's credential for the model store, shown once, stored as a hash.

A device token reads ``ebd_<8 hex>_<secret>``: the ``ebd_`` marker (not ``ebt_``) tells
the access guard it is a board's, not a person's, before any lookup. It belongs to a
device id, not a user, carries no role, and opens only the model store's reads
(``GET /api/models``, ``/api/models/<sha256>`` and its file): a stolen board leaks its
model downloads, never the fleet's results or any change. Stored and compared like user
tokens (``tokens.py``); revoked by prefix with ``collector token revoke``, or all of a
device's at once when it gets a new one with ``token create --device ID --replace``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from edgebench.collector import audit
from edgebench.collector.accounts import AccountError
from edgebench.collector.models import DeviceToken

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

DEVICE_TOKEN_PREFIX = "ebd_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = len(DEVICE_TOKEN_PREFIX) + 8
LAST_USED_RESOLUTION_S = 60.0
# The agent's rule for a device id (agent/config.py): what may appear in a topic.
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_device_token(text: str) -> bool:
    """Return whether a presented token is a device token (by its marker)."""
    return text.startswith(DEVICE_TOKEN_PREFIX)


def create_device_token(session: Session, device_id: str) -> tuple[str, DeviceToken]:
    """Create a token for ``device_id`` (flushed, not committed); return its text once."""
    if not DEVICE_ID_RE.match(device_id):
        raise AccountError(
            f"device: {device_id!r} is not a device id (1-64 letters, digits, '-', '_', '.')"
        )
    prefix = DEVICE_TOKEN_PREFIX + secrets.token_hex(4)
    text = f"{prefix}_{secrets.token_urlsafe(32)}"
    token = DeviceToken(
        device_id=device_id, prefix=prefix, secret_sha256=_digest(text), created_at=time.time()
    )
    session.add(token)
    session.flush()
    return text, token


def list_device_tokens(session: Session) -> Sequence[DeviceToken]:
    """Return every device token, newest first (never the secret)."""
    return session.scalars(sa.select(DeviceToken).order_by(DeviceToken.created_at.desc())).all()


def revoke_device_token(session: Session, prefix: str) -> DeviceToken:
    """Mark the device token with this prefix revoked (kept for the record)."""
    token = session.scalars(sa.select(DeviceToken).where(DeviceToken.prefix == prefix)).first()
    if token is None:
        raise AccountError(f"no token {prefix!r}; `edgebench collector token list` shows them")
    if token.revoked_at is None:
        token.revoked_at = time.time()
    return token


def revoke_tokens_of_device(session: Session, device_id: str) -> list[DeviceToken]:
    """Revoke every active token of ``device_id`` (a reimaged board's old copies); return them."""
    active = session.scalars(
        sa.select(DeviceToken)
        .where(DeviceToken.device_id == device_id, DeviceToken.revoked_at.is_(None))
        .order_by(DeviceToken.created_at)
    ).all()
    now = time.time()
    for token in active:
        token.revoked_at = now
    return list(active)


def issue_device_token(
    session: Session, device_id: str, *, replace: bool, by: str | None = None
) -> tuple[str, DeviceToken, list[DeviceToken]]:
    """Create a token for ``device_id`` from the command line, audited; return its text once.

    ``replace`` first revokes the device's active tokens, in the same transaction, so the
    board is never left without a working token. Returns the text, the new token and the
    revoked ones. ``by`` names the command in the audit events (e.g. ``edgebench fleet``).
    """
    detail: dict[str, object] = {"device": device_id} | ({"by": by} if by else {})
    revoked = revoke_tokens_of_device(session, device_id) if replace else []
    for old in revoked:
        audit.record_cli(session, "token.revoke", old.prefix, detail | {"replaced": True})
    text, token = create_device_token(session, device_id)
    audit.record_cli(session, "token.create", token.prefix, detail | {"scope": "device"})
    return text, token, revoked


def resolve_device_token(session: Session, text: str) -> DeviceToken | None:
    """Return the active device token a presented token names, else None."""
    prefix = text[:PREFIX_LENGTH]
    if not is_device_token(prefix) or text[PREFIX_LENGTH : PREFIX_LENGTH + 1] != "_":
        return None
    token = session.scalars(sa.select(DeviceToken).where(DeviceToken.prefix == prefix)).first()
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.secret_sha256, _digest(text)):
        return None
    now = time.time()
    # At most one write a minute, like user tokens: a download is not a write transaction.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION_S:
        token.last_used_at = now
    return token
