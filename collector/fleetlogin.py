"""The fleet of one's first login: an ``admin`` with a random password, kept in a 0600 file.

``edgebench fleet`` must work from one command, yet its dashboard needs a login like
any other collector's. When the database has no user, the fleet creates ``admin`` with a
generated password, prints it once, and keeps it in ``fleet-login`` in the instance
folder (readable by its owner only) so ``edgebench fleet --show-login`` can print it
again. The file is written before the user is committed: a crash in between leaves a
file whose password does not work (``--show-login`` says so), never an admin whose
password nobody knows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edgebench.collector import db
from edgebench.collector.privatefile import write_private
from edgebench.shared.errors import EdgebenchError

FLEET_ADMIN = "admin"
LOGIN_FILENAME = "fleet-login"
_NEW_PASSWORD_HINT = (
    f"set a new one with `edgebench collector user set-password {FLEET_ADMIN} --generate-password`"
)


@dataclass(frozen=True)
class FleetLogin:
    """A user name and password for the fleet's dashboard, and the database they are in."""

    user: str
    password: str
    database: str


def default_login_file() -> Path:
    """Return where the fleet keeps its login: ``fleet-login`` in the instance folder."""
    return db.instance_path() / LOGIN_FILENAME


def ensure_admin(database: str, path: Path) -> FleetLogin | None:
    """Create ``admin`` with a random password if ``database`` has no user; return it."""
    from sqlalchemy.orm import Session

    from edgebench.collector import audit
    from edgebench.collector.accounts import add_user, generate_password, has_users

    engine = db.make_engine(database)
    try:
        db.upgrade(engine)
        with Session(engine) as session, session.begin():
            if has_users(session):
                return None
            login = FleetLogin(FLEET_ADMIN, generate_password(), database)
            _write(path, login)
            add_user(session, login.user, login.password, "admin")
            detail = {"role": "admin", "by": "edgebench fleet"}
            audit.record_cli(session, "user.add", login.user, detail)
        return login
    finally:
        engine.dispose()


def _write(path: Path, login: FleetLogin) -> None:
    """Write the login file, readable by its owner only."""
    document = {"user": login.user, "password": login.password, "database": login.database}
    write_private(path, json.dumps(document) + "\n")


def read_login(path: Path) -> FleetLogin:
    """Return the saved login, checked against its database (EdgebenchError if it fails)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from edgebench.collector.accounts import authenticate

    try:
        saved = json.loads(path.read_text())
        login = FleetLogin(saved["user"], saved["password"], saved["database"])
    except FileNotFoundError:
        raise EdgebenchError(
            f"no saved fleet login: {path} is gone; {_NEW_PASSWORD_HINT}"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EdgebenchError(f"cannot read the fleet login in {path} ({exc})") from None
    engine = db.make_engine(login.database)
    try:
        with Session(engine) as session:
            works = authenticate(session, login.user, login.password) is not None
    except sa.exc.SQLAlchemyError as exc:
        raise EdgebenchError(f"database {login.database}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if not works:
        raise EdgebenchError(
            f"the password saved in {path} no longer logs in as {login.user!r} (changed or"
            f" user deleted since); {_NEW_PASSWORD_HINT}"
        )
    return login


def format_login(login: FleetLogin, url: str) -> str:
    """Return the login as the lines the fleet prints."""
    return "\n".join(
        [
            f"edgebench fleet: log in at {url}login",
            f"  user      {login.user}",
            f"  password  {login.password}",
        ]
    )
