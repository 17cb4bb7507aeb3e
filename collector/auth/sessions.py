"""Browser sessions: the key that signs them, their cookie, their lifetime, and TLS.

Sessions are Flask's signed cookies (no server-side store, so several web workers share
them with nothing but the key). The key comes from ``SECRET_KEY`` (tests), else from
``SECRET_KEY_FILE``, else from ``<instance>/secret_key``; a missing file is created with
mode 0600 holding 32 random bytes. The key is never logged or shown.

Secure cookies: the cookie gets ``Secure`` whenever the request arrived over TLS
(``request.is_secure``), decided per request rather than by a setting, so the same
server works on plain HTTP on a loopback address and behind HTTPS without a flag that
could be forgotten. Behind a reverse proxy that ends TLS, the web server believes the
proxy's ``X-Forwarded-Proto``/``-For``/``-Host`` only when ``collector.trusted_proxy``
names it (waitress, ``collector/webserver.py``); the request is then ``https`` and has
the client's address, so the flag follows. A client's own ``X-Forwarded-Proto`` changes
nothing. ``SESSION_COOKIE_SECURE = True`` forces the flag in any case.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import request
from flask.sessions import SecureCookieSessionInterface

from edgebench.shared.errors import EdgebenchError

if TYPE_CHECKING:
    from flask import Flask

SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_KEY_CHARS = 32


class TlsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with ``Secure`` set on requests that came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Return whether the session cookie must only travel over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def read_or_create_key(path: Path) -> str:
    """Return the key stored in ``path``, creating the file (mode 0600) when it is absent."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together never overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as exc:
        raise EdgebenchError(
            f"secret key: cannot create {path} ({exc.strerror}); set collector.secret_key_file"
            " to a file the collector may create or read"
        ) from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _read_key(path: Path) -> str:
    """Return the key in an existing file, refusing one too short to sign anything."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not text"
        raise EdgebenchError(f"secret key: cannot read {path} ({reason})") from None
    if len(key) < MIN_KEY_CHARS:
        raise EdgebenchError(
            f"secret key: {path} holds fewer than {MIN_KEY_CHARS} characters;"
            " delete it and a new key is made on the next start"
        )
    return key


def init_app(app: Flask) -> None:
    """Set the signing key, the cookie's flags and the session lifetime."""
    if not app.config.get("SECRET_KEY"):
        configured = app.config.get("SECRET_KEY_FILE")
        path = Path(configured) if configured else Path(app.instance_path) / SECRET_KEY_FILENAME
        app.config["SECRET_KEY"] = read_or_create_key(path.expanduser())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A permanent session's cookie is re-signed on every request, so the lifetime
        # counts from the last use; older signatures are refused on the server.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["SESSION_HOURS"])),
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    app.session_interface = TlsAwareSessionInterface()
