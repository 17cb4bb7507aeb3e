"""``edgebench collector user|token|audit`` on a real SQLite file, through the real CLI."""

from __future__ import annotations

from click.testing import CliRunner

from edgebench.shared.cli import cli

PASSWORD = "correct horse battery"


def run(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["collector", *args, "--db", db_url], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_user_lifecycle_with_password_from_stdin(db_url: str) -> None:
    assert run(db_url, "user", "add", "alice", "--role", "admin", stdin=PASSWORD + "\n")[0] == 0
    code, out = run(db_url, "user", "add", "bob", "--role", "viewer", "--generate-password")
    assert code == 0 and "password: " in out
    code, out = run(db_url, "user", "list")
    assert "alice" in out and "admin" in out and "bob" in out and "viewer" in out
    assert run(db_url, "user", "set-role", "bob", "operator")[0] == 0
    assert run(db_url, "user", "delete", "bob")[0] == 0
    code, out = run(db_url, "audit")
    assert [line.split()[3] for line in out.splitlines()] == [
        "user.add",
        "user.add",
        "user.set_role",
        "user.delete",
    ]
    assert PASSWORD not in out


def test_bad_input_is_one_line_and_changes_nothing(db_url: str) -> None:
    code, out = run(db_url, "user", "add", "carol", "--role", "admin", stdin="short\n")
    assert code == 2 and out.strip().count("\n") == 0 and "at least 10 characters" in out
    code, out = run(db_url, "user", "delete", "nobody")
    assert code == 2 and "no user 'nobody'" in out
    code, out = run(db_url, "user", "list")
    assert "no users" in out


def test_password_is_never_an_argument(db_url: str) -> None:
    code, out = run(db_url, "user", "add", "dave", "--role", "admin", "--password", PASSWORD)
    assert code == 2 and "No such option" in out


def test_token_create_prints_once_lists_without_secret_and_revokes(db_url: str) -> None:
    run(db_url, "user", "add", "ops", "--role", "operator", stdin=PASSWORD + "\n")
    code, out = run(db_url, "token", "create", "--user", "ops", "--scope", "read")
    assert code == 0
    token = out.splitlines()[0]
    prefix = token[:12]
    code, listing = run(db_url, "token", "list")
    assert prefix in listing and token not in listing and "active" in listing
    assert run(db_url, "token", "revoke", prefix)[0] == 0
    assert "revoked" in run(db_url, "token", "list")[1]
    code, out = run(
        db_url, "token", "create", "--user", "ops", "--scope", "operate", "--expires", "0"
    )
    assert code == 2 and "days" in out
