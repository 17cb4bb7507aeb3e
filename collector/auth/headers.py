"""Security headers on every response: pages, the API, errors, static files, /healthz.

- ``Content-Security-Policy``: scripts only from this server and no inline script (page
  data sits in JSON script blocks, which browsers never execute); inline styles stay
  allowed for Chart.js's canvas sizing; no plugins, no ``<base>``, forms post only here,
  and no other site may frame a page.
- ``X-Frame-Options: DENY``: the same frame denial for browsers without CSP 2.
- ``X-Content-Type-Options: nosniff``: a JSON or CSV body is never run as a script.
- ``Referrer-Policy: same-origin``: run and device ids in URLs do not leak to other sites.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Add the security headers a view did not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Register the headers for every response of ``app``."""
    app.after_request(add_security_headers)
