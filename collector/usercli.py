"""``edgebench collector user|token|audit``: manage accounts and tokens, read the audit log.

Passwords come from a prompt (typed twice) or, when stdin is not a terminal, from its
first line; never from an argument, which other users could read in the process list and
the shell keeps in its history. Every change is recorded in the audit log as ``cli``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from edgebench.collector.roles import ROLES, SCOPES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@contextmanager
def account_session(ctx: click.Context, db: str | None) -> Iterator[Session]:
    """Open the configured database (schema upgraded first), commit when the block ends."""
    from sqlalchemy.orm import Session

    from edgebench.collector import db as dbmod
    from edgebench.collector.config import load_for_command
    from edgebench.collector.ingest.service import database_url

    engine = dbmod.make_engine(database_url(load_for_command(ctx, {"db": db})))
    try:
        dbmod.upgrade(engine)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _audit(session: Session, action: str, target: str, **detail: object) -> None:
    from edgebench.collector import audit

    audit.record_cli(session, action, target, detail or None)


def read_password(generate: bool) -> str:
    """Return a new password: generated, prompted twice, or stdin's first line."""
    from edgebench.collector.accounts import generate_password

    if generate:
        return generate_password()
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _show_generated(password: str, generate: bool) -> None:
    """Print a generated password once the change is committed (never logged)."""
    if generate:
        click.echo(f"password: {password}  (shown once; store it now)")


_db_option = click.option("--db", help="SQLAlchemy database URL [default: the collector's].")
_generate_option = click.option(
    "--generate-password", "generate", is_flag=True, help="Generate a random password, print it."
)


@click.group("user")
def user_group() -> None:
    """Manage the people who may log in (roles: viewer, operator, admin)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@_generate_option
@_db_option
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, generate: bool, db: str | None) -> None:
    """Create a user; the password is prompted for (or read from stdin)."""
    from edgebench.collector.accounts import add_user

    password = read_password(generate)
    with account_session(ctx, db) as session:
        add_user(session, name, password, role)
        _audit(session, "user.add", name, role=role)
    click.echo(f"user {name!r} added as {role}")
    _show_generated(password, generate)


@user_group.command("list")
@_db_option
@click.pass_context
def user_list(ctx: click.Context, db: str | None) -> None:
    """List users and their roles."""
    from edgebench.collector.accounts import list_users

    with account_session(ctx, db) as session:
        users = list_users(session)
        for user in users:
            created = time.strftime("%Y-%m-%d", time.gmtime(user.created_at))
            click.echo(f"{user.name:<24} {user.role:<9} created {created}")
        if not users:
            click.echo("no users; add one with `edgebench collector user add NAME --role admin`")


@user_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@_db_option
@click.pass_context
def user_set_role(ctx: click.Context, name: str, role: str, db: str | None) -> None:
    """Change a user's role (their browser sessions end)."""
    from edgebench.collector.accounts import set_role

    with account_session(ctx, db) as session:
        set_role(session, name, role)
        _audit(session, "user.set_role", name, role=role)
    click.echo(f"user {name!r} is now {role}")


@user_group.command("set-password")
@click.argument("name")
@_generate_option
@_db_option
@click.pass_context
def user_set_password(ctx: click.Context, name: str, generate: bool, db: str | None) -> None:
    """Change a user's password (their browser sessions end)."""
    from edgebench.collector.accounts import set_password

    password = read_password(generate)
    with account_session(ctx, db) as session:
        set_password(session, name, password)
        _audit(session, "user.set_password", name)
    click.echo(f"password of {name!r} changed")
    _show_generated(password, generate)


@user_group.command("delete")
@click.argument("name")
@_db_option
@click.pass_context
def user_delete(ctx: click.Context, name: str, db: str | None) -> None:
    """Delete a user and their tokens."""
    from edgebench.collector.accounts import delete_user

    with account_session(ctx, db) as session:
        delete_user(session, name)
        _audit(session, "user.delete", name)
    click.echo(f"user {name!r} deleted")


@click.group("token")
def token_group() -> None:
    """Manage API tokens (Authorization: Bearer TOKEN)."""


@token_group.command("create")
@click.option("--user", "user_name", help="Whose token it is (a person's or a script's).")
@click.option("--device", "device_id", help="A board's token: reads only the model store.")
@click.option("--scope", type=click.Choice(SCOPES), help="What a user's token may do.")
@click.option("--expires", type=float, help="Days until a user's token expires [default: never].")
@click.option(
    "--replace",
    is_flag=True,
    help="With --device: revoke the device's other tokens (a reimaged board's old copies).",
)
@_db_option
@click.pass_context
def token_create(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    user_name: str | None,
    device_id: str | None,
    scope: str | None,
    expires: float | None,
    replace: bool,
    db: str | None,
) -> None:
    """Create a token for --user (with --scope) or --device and print it (once)."""
    if (user_name is None) == (device_id is None):
        raise click.UsageError("give --user NAME --scope SCOPE, or --device DEVICE_ID")
    if device_id is not None:
        if scope is not None or expires is not None:
            raise click.UsageError("a device token has no --scope or --expires (revoke it)")
        _create_device_token(ctx, device_id, db, replace=replace)
        return
    if replace:
        raise click.UsageError("--replace is for device tokens (revoke a user's with revoke)")
    if scope is None:
        raise click.UsageError("a user's token needs --scope (read or operate)")
    from edgebench.collector.tokens import create_token

    with account_session(ctx, db) as session:
        text, token = create_token(session, user_name, scope, expires)
        _audit(session, "token.create", token.prefix, user=user_name, scope=scope)
    click.echo(text)
    click.echo(f"token {token.prefix} for {user_name!r} ({scope}); shown once", err=True)


def _create_device_token(
    ctx: click.Context, device_id: str, db: str | None, *, replace: bool
) -> None:
    """Create a board's model-store token and print it (once); ``replace`` revokes the rest."""
    from edgebench.collector.devicetokens import issue_device_token

    with account_session(ctx, db) as session:
        text, token, revoked = issue_device_token(session, device_id, replace=replace)
    click.echo(text)
    if revoked:
        prefixes = ", ".join(old.prefix for old in revoked)
        click.echo(f"revoked device {device_id!r}'s older tokens: {prefixes}", err=True)
    click.echo(
        f"token {token.prefix} for device {device_id!r} (model store downloads); shown once",
        err=True,
    )


@token_group.command("list")
@_db_option
@click.pass_context
def token_list(ctx: click.Context, db: str | None) -> None:
    """List tokens: prefix, owner, scope, state, expiry and last use (never the secret)."""
    from edgebench.collector.devicetokens import list_device_tokens
    from edgebench.collector.tokens import list_tokens, token_state

    def day(ts: float | None) -> str:
        return "-" if ts is None else time.strftime("%Y-%m-%d", time.gmtime(ts))

    with account_session(ctx, db) as session:
        rows = list_tokens(session)
        for token, user in rows:
            click.echo(
                f"{token.prefix:<13} {user:<20} {token.scope:<8} {token_state(token):<8}"
                f" expires {day(token.expires_at)}  last used {day(token.last_used_at)}"
            )
        devices = list_device_tokens(session)
        for device in devices:
            state = "revoked" if device.revoked_at is not None else "active"
            click.echo(
                f"{device.prefix:<13} {'device ' + device.device_id:<20} {'device':<8}"
                f" {state:<8} expires -  last used {day(device.last_used_at)}"
            )
        if not rows and not devices:
            click.echo("no tokens; create one with `edgebench collector token create`")


@token_group.command("revoke")
@click.argument("prefix")
@_db_option
@click.pass_context
def token_revoke(ctx: click.Context, prefix: str, db: str | None) -> None:
    """Revoke a token by its prefix (ebt_xxxxxxxx, or ebd_xxxxxxxx for a device's)."""
    from edgebench.collector.devicetokens import is_device_token, revoke_device_token
    from edgebench.collector.tokens import revoke_token

    with account_session(ctx, db) as session:
        if is_device_token(prefix):
            revoke_device_token(session, prefix)
        else:
            revoke_token(session, prefix)
        _audit(session, "token.revoke", prefix)
    click.echo(f"token {prefix} revoked")


@click.command("audit")
@click.option("--limit", type=click.IntRange(1, 5000), default=50, show_default=True)
@_db_option
@click.pass_context
def audit_command(ctx: click.Context, limit: int, db: str | None) -> None:
    """Print the newest audit events (who, when, from where, what)."""
    from edgebench.collector.audit import list_events

    with account_session(ctx, db) as session:
        for event in reversed(list_events(session, limit=limit)):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(event.at))
            click.echo(
                f"{when}Z {event.outcome:<6} {event.action:<20} {event.target or '-':<24}"
                f" {event.actor} from {event.address or '-'}"
            )
