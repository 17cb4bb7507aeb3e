"""Accounts, tokens and the audit log on a real SQLite database (storage layer, no web)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import accounts, audit, roles, tokens
from edgebench.collector.models import ApiToken, User

PASSWORD = "correct horse battery"


@pytest.fixture()
def session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def test_password_is_stored_as_argon2id_and_checked(session: Session) -> None:
    user = accounts.add_user(session, "alice", PASSWORD, "admin")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate(session, "alice", PASSWORD) is user
    assert accounts.authenticate(session, "alice", PASSWORD + "x") is None
    assert accounts.authenticate(session, "nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("../etc", PASSWORD, "admin", "is not a user name"),
        ("", PASSWORD, "admin", "is not a user name"),
        ("bob", "short", "admin", "at least 10 characters"),
        ("bob", PASSWORD, "root", "is not one of viewer, operator, admin"),
    ],
)
def test_bad_account_input_is_refused(
    session: Session, name: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(accounts.AccountError, match=message):
        accounts.add_user(session, name, password, role)
    assert not accounts.has_users(session)


def test_roles_are_ordered() -> None:
    assert roles.role_allows("admin", "operator")
    assert roles.role_allows("operator", "viewer")
    assert not roles.role_allows("viewer", "operator")
    assert not roles.role_allows("nonsense", "viewer")


def test_role_and_password_changes_end_sessions(session: Session) -> None:
    accounts.add_user(session, "root", PASSWORD, "admin")
    user = accounts.add_user(session, "bob", PASSWORD, "viewer")
    nonce = user.session_nonce
    accounts.set_role(session, "bob", "operator")
    assert user.role == "operator" and user.session_nonce != nonce
    nonce = user.session_nonce
    accounts.set_password(session, "bob", "another long password")
    assert user.session_nonce != nonce
    assert accounts.authenticate(session, "bob", "another long password") is user


def test_the_last_admin_cannot_be_removed(session: Session) -> None:
    accounts.add_user(session, "root", PASSWORD, "admin")
    with pytest.raises(accounts.AccountError, match="only admin"):
        accounts.delete_user(session, "root")
    with pytest.raises(accounts.AccountError, match="only admin"):
        accounts.set_role(session, "root", "viewer")
    accounts.add_user(session, "root2", PASSWORD, "admin")
    accounts.delete_user(session, "root")
    assert [u.name for u in accounts.list_users(session)] == ["root2"]


def test_a_token_resolves_until_revoked_and_is_stored_hashed(session: Session) -> None:
    accounts.add_user(session, "ops", PASSWORD, "operator")
    text, token = tokens.create_token(session, "ops", "operate")
    assert text.startswith(token.prefix + "_")
    assert text not in str(session.execute(sa.select(ApiToken.__table__)).all())
    resolved = tokens.resolve_token(session, text)
    assert resolved is not None and resolved[1].name == "ops"
    assert tokens.effective_role(*resolved) == "operator"
    assert tokens.resolve_token(session, text[:-1] + ("A" if text[-1] != "A" else "B")) is None
    assert tokens.resolve_token(session, "not a token") is None
    tokens.revoke_token(session, token.prefix)
    assert tokens.resolve_token(session, text) is None
    assert tokens.token_state(token) == "revoked"


def test_an_expired_token_is_refused(session: Session) -> None:
    accounts.add_user(session, "ops", PASSWORD, "operator")
    text, token = tokens.create_token(session, "ops", "read", expires_days=1)
    assert tokens.resolve_token(session, text) is not None
    token.expires_at = time.time() - 1
    assert tokens.resolve_token(session, text) is None
    assert tokens.token_state(token) == "expired"


def test_a_token_never_does_more_than_its_user(session: Session) -> None:
    accounts.add_user(session, "viewer", PASSWORD, "viewer")
    with pytest.raises(accounts.AccountError, match="cannot do more than its user"):
        tokens.create_token(session, "viewer", "operate")
    accounts.add_user(session, "admin", PASSWORD, "admin")
    text, _ = tokens.create_token(session, "admin", "read")
    resolved = tokens.resolve_token(session, text)
    assert resolved is not None and tokens.effective_role(*resolved) == "viewer"


def test_deleting_a_user_deletes_their_tokens(session: Session) -> None:
    accounts.add_user(session, "root", PASSWORD, "admin")
    accounts.add_user(session, "ops", PASSWORD, "operator")
    text, _ = tokens.create_token(session, "ops", "operate")
    accounts.delete_user(session, "ops")
    session.commit()
    assert tokens.resolve_token(session, text) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_audit_events_page_newest_first(session: Session) -> None:
    for i in range(5):
        audit.record(session, actor="alice", action="login", address="10.0.0.1", target=str(i))
    audit.record(session, actor="bob", action="login.failed", outcome="failed")
    session.commit()
    newest = audit.list_events(session, limit=3)
    assert [e.action for e in newest] == ["login.failed", "login", "login"]
    older = audit.list_events(session, limit=10, before_id=newest[-1].id)
    assert [e.target for e in older] == ["2", "1", "0"]
    assert [e.actor for e in audit.list_events(session, actor="bob")] == ["bob"]
    assert audit.event_dict(newest[0])["outcome"] == "failed"


def test_token_use_is_recorded_at_most_once_a_minute(session: Session) -> None:
    accounts.add_user(session, "ops", PASSWORD, "operator")
    text, token = tokens.create_token(session, "ops", "read")
    assert token.last_used_at is None
    tokens.resolve_token(session, text)
    first = token.last_used_at
    assert first is not None
    tokens.resolve_token(session, text)
    assert token.last_used_at == first
    token.last_used_at = first - tokens.LAST_USED_RESOLUTION_S
    tokens.resolve_token(session, text)
    assert token.last_used_at is not None and token.last_used_at >= first
