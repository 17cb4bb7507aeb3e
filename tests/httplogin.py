"""Logging in to a running collector over real HTTP, the way a browser does (no Chromium).

GET /login, take the hidden ``csrf_token`` from the form, POST ``username``, ``password``
and ``csrf_token`` with the session cookie; the login succeeds with a 302. The returned
client keeps the cookie, so later requests are those of the logged-in user.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

CSRF_RE = re.compile(r"""<input[^>]*name=["']csrf_token["'][^>]*>""", re.IGNORECASE)
VALUE_RE = re.compile(r"""value=["']([^"']*)["']""")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class HttpClient:
    """urllib with a cookie jar and no automatic redirects."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        """Return (status, headers, body) of a GET (or a form POST with ``data``)."""
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        body = None if data is None else urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base.rstrip("/") + path, data=body)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with opener.open(req, timeout=15) as resp:
                return resp.status, dict(resp.headers), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")


def csrf_token(page: str) -> str:
    """Return the value of the form's hidden csrf_token input."""
    match = CSRF_RE.search(page)
    assert match, "no csrf_token input on the login page"
    value = VALUE_RE.search(match.group(0))
    assert value, "the csrf_token input has no value"
    return value.group(1)


def log_in(base: str, user: str, password: str) -> tuple[int, HttpClient]:
    """Log in through the form; return the POST's status and the client holding the cookie."""
    client = HttpClient(base)
    status, _, page = client.request("/login")
    assert status == 200, f"GET /login answered {status}"
    token = csrf_token(page)
    status, _, _ = client.request(
        "/login", {"username": user, "password": password, "csrf_token": token}
    )
    return status, client
