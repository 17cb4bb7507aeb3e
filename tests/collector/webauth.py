"""Helpers for tests that use the collector's web side: accounts, tokens, signed-in clients.

Accounts go through the real storage functions (argon2 hashes, hashed tokens) into the
test's database; clients authenticate the real way (a bearer header or the login form).
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from edgebench.collector import accounts, db, tokens

PASSWORD = "correct horse battery staple"
# Tests pass the signing key directly instead of writing one into the venv's instance folder.
SECRET_KEY = "tests-" + "k" * 40
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# The login page's one message for a refused attempt.
LOGIN_ERROR_RE = re.compile(r'id="login-error"[^>]*>([^<]+)<')


def web_config(db_url: str, **extra: Any) -> dict[str, Any]:
    """Return create_app settings for a test app on ``db_url``.

    The model store's folder is beside a SQLite file (a temporary folder for PostgreSQL),
    never the venv's instance folder.
    """
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database:
        model_dir = Path(url.database).parent / "models"
    else:
        model_dir = Path(tempfile.mkdtemp(prefix="edgebench-test-models-"))
    return {
        "TESTING": True,
        "DATABASE": db_url,
        "SECRET_KEY": SECRET_KEY,
        "MODEL_DIR": model_dir,
        **extra,
    }


def add_account(
    db_url: str,
    name: str,
    role: str = "admin",
    scope: str | None = "operate",
    expires_days: float | None = None,
) -> str | None:
    """Create a user (password PASSWORD) and, with ``scope``, a token; return the token."""
    engine: sa.Engine = db.make_engine(db_url)
    try:
        db.upgrade(engine)
        with Session(engine) as session:
            try:
                accounts.get_user(session, name)
            except accounts.AccountError:
                accounts.add_user(session, name, PASSWORD, role)
            text = None
            if scope is not None:
                text, _ = tokens.create_token(session, name, scope, expires_days)
            session.commit()
            return text
    finally:
        engine.dispose()


def bearer_client(app: Flask, token: str | None) -> FlaskClient:
    """Return a test client that sends ``Authorization: Bearer TOKEN`` on every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def csrf_token(html: str) -> str:
    """Return the CSRF token a page's form carries."""
    match = CSRF_RE.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def log_in(client: FlaskClient, name: str, password: str = PASSWORD, **extra: str) -> Any:
    """Log ``client`` in through the login form (CSRF token from the page); return the reply."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    form = {"username": name, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=form)


@dataclass
class Reply:
    """One HTTP response: status, headers, body."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """Return the body as text."""
        return self.body.decode()

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)

    def cookie(self) -> str:
        """Return the Set-Cookie header ("" when none)."""
        return self.headers.get("Set-Cookie", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the test instead of following them."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class HttpClient:
    """A cookie-keeping HTTP client for a real server (a browser without JavaScript)."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        """Send one request; HTTP errors and redirects come back as replies too."""
        data = body if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={**self.headers, **(headers or {})},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read())

    def get(self, path: str, **kwargs: Any) -> Reply:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, str], **kwargs: Any) -> Reply:
        """POST a form to ``path``."""
        return self.request("POST", path, form=form, **kwargs)

    def upload(
        self,
        path: str,
        data: bytes,
        filename: str = "model.tflite",
        fields: dict[str, str] | None = None,
    ) -> Reply:
        """POST ``data`` as the multipart/form-data field ``file`` (plus text ``fields``)."""
        body, kind = multipart(fields or {}, data, filename)
        return self.request("POST", path, body=body, headers={"Content-Type": kind})

    def csrf(self, path: str = "/login") -> str:
        """Return the CSRF token of the form on ``path``."""
        return csrf_token(self.get(path).text)

    def log_in(
        self,
        name: str,
        password: str = PASSWORD,
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> Reply:
        """Log in through the login form (``extra``: more form fields, e.g. ``next``)."""
        form = {"username": name, "password": password, "csrf_token": self.csrf(), **extra}
        return self.post("/login", form, headers=headers or {})


def multipart(fields: dict[str, str], data: bytes, filename: str) -> tuple[bytes, str]:
    """Encode text ``fields`` and a file as multipart/form-data; return body and type."""
    boundary = "edgebench-test-" + "b" * 24
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    body = b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def audit_log(base_url: str, headers: dict[str, str], **params: str) -> list[dict]:
    """Return ``/api/audit`` items (newest first) read with an admin's ``headers``."""
    reply = HttpClient(base_url, headers).get("/api/audit?" + urllib.parse.urlencode(params))
    assert reply.status == 200, reply.text
    return reply.json()["items"]
