"""Login rate limits, session lifetime and TLS behind a proxy, over real HTTP.

Each test runs a server of its own on the fleet's database, so its failed-login counters
start empty (they live in the app's memory) and its settings (a trusted proxy, a short
session) touch no other test.
"""

from __future__ import annotations

import time

from tests.collector.dashboard.conftest import ADMIN, Server, serve
from tests.collector.webauth import (
    LOGIN_ERROR_RE,
    PASSWORD,
    HttpClient,
    add_account,
    audit_log,
    csrf_token,
)


def audit(server: Server, **params: str) -> list[dict]:
    return audit_log(server.url, server.headers, **params)


def test_sixth_failed_login_for_a_name_is_429(fresh_app, server: Server) -> None:
    # Each attempt from another address (through a trusted proxy), so only the name's
    # budget runs out.
    add_account(server.app.config["DATABASE"], "nina", "viewer", None)
    with serve(fresh_app(), trusted_proxy="127.0.0.1") as proxied:

        def attempt(address: str, name: str, password: str) -> int:
            client = HttpClient(proxied.url, {"X-Forwarded-For": address})
            return client.log_in(name, password).status

        assert [attempt(f"10.0.0.{i}", "nina", "wrong password") for i in range(5)] == [401] * 5
        assert attempt("10.0.0.9", "nina", "wrong password") == 429
        assert attempt("10.0.0.9", "nina", PASSWORD) == 429  # even the right one
        assert attempt("10.0.0.9", "NINA", "wrong password") == 429  # names fold case
        assert attempt("10.0.0.9", ADMIN, PASSWORD) == 302  # other names still log in
        # A name that does not exist gets the same answer.
        assert [attempt(f"10.0.1.{i}", "ghost", "wrong password") for i in range(5)] == [401] * 5
        ghost = HttpClient(proxied.url, {"X-Forwarded-For": "10.0.1.9"}).log_in("ghost", "x" * 12)
        nina = HttpClient(proxied.url, {"X-Forwarded-For": "10.0.1.9"}).log_in("nina", "x" * 12)
        assert ghost.status == nina.status == 429
        assert LOGIN_ERROR_RE.search(ghost.text)[1] == LOGIN_ERROR_RE.search(nina.text)[1]
    limited = [e for e in audit(server, action="login") if e["outcome"] == "denied"]
    assert {"nina", "ghost"} <= {e["target"] for e in limited}
    assert {e["address"] for e in limited} == {"10.0.0.9", "10.0.1.9"}
    assert all(e["detail"] == {"reason": "rate limited"} for e in limited)


def test_sixth_failed_login_from_an_address_is_429(fresh_app, server: Server) -> None:
    with serve(fresh_app()) as plain:
        client = HttpClient(plain.url)
        statuses = [client.log_in(f"user{i}", "wrong password").status for i in range(5)]
        assert statuses == [401] * 5
        assert client.log_in(ADMIN, PASSWORD).status == 429
        # Signed-in requests and other pages are not limited.
        assert client.get("/healthz").status == 200


def test_secure_cookie_when_a_trusted_proxy_says_https(fresh_app, server: Server) -> None:
    with serve(fresh_app(), trusted_proxy="127.0.0.1") as proxied:
        tls = {
            "X-Forwarded-Proto": "https",
            "Referer": proxied.url.replace("http:", "https:") + "/login",
        }
        client = HttpClient(proxied.url, tls)
        form = client.get("/login")
        assert "Secure" in form.cookie() and "HttpOnly" in form.cookie()
        # The cookie jar keeps a Secure cookie off plain http, as a browser would: the
        # test hands it over itself, as the proxy's TLS side would carry it.
        cookie = form.cookie().split(";", 1)[0]
        login = {"username": ADMIN, "password": PASSWORD, "csrf_token": csrf_token(form.text)}
        reply = client.post("/login", login, headers={"Cookie": cookie})
        assert reply.status == 302 and "Secure" in reply.cookie()
    # Without a trusted proxy the header is a client's claim and changes nothing.
    plain = HttpClient(server.url, {"X-Forwarded-Proto": "https"}).log_in(ADMIN)
    assert plain.status == 302 and "Secure" not in plain.cookie()


def test_session_ends_after_session_hours_without_use(fresh_app, server: Server) -> None:
    # One second of life (SESSION_HOURS is hours): a signature older than that is refused.
    with serve(fresh_app(SESSION_HOURS=1 / 3600)) as short:
        client = HttpClient(short.url)
        assert client.log_in(ADMIN).status == 302
        assert client.get("/").status == 200
        time.sleep(2.5)
        reply = client.get("/")
        assert reply.status == 302 and reply.headers["Location"].startswith("/login")
